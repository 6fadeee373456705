"""The policy file's model: settings, approval settings and the rule catalogue.

A policy is compliance's file (``configs/policy.toml`` by default). Every model
here is frozen and refuses unknown keys; numbers are exact decimals; nothing has
a permissive default that a missing key could fall back to. Loading (from text)
is in :mod:`policy.loader`, evaluation in :mod:`policy.engine`, plain words in
:mod:`policy.explain`.

Each rule has an ``id``, a ``kind`` (one of :data:`RULE_KINDS`), an ``effect``
(confirm, escalate or deny), its parameters and an optional ``scope``. A limit
is the largest value allowed: a rule applies when the observed value is strictly
above it. Value limits are in the policy's ``currency``.

Each rule kind also lists its thresholds (:meth:`RuleBase.thresholds`) with the
direction that makes them stricter; a personal file (:mod:`policy.personal`) is
checked against those, so it can tighten a rule and never loosen it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from fnmatch import translate
from typing import Annotated, Any, ClassVar, Literal, Self

from pydantic import AfterValidator, BeforeValidator, Field, model_validator

from foundation.display import MAX_SHOWN_PLACES, number
from foundation.numbers import number_problem
from intent.plan import HUNDRED, Asset, Frozen, OrderType, Side
from policy.decision import SEVERITY, PolicyStamp, Verdict

TradingState = Literal["ACTIVE", "REDUCING", "HALTED"]
Effect = Literal["confirm", "escalate", "deny"]

STATE_SEVERITY: dict[str, int] = {"ACTIVE": 0, "REDUCING": 1, "HALTED": 2}

# rule ids the engine itself uses in reasons; a policy's rules cannot take them
BUILTIN_PREFIXES = ("builtin.", "policy.")
RULE_TRADING_STATE = "builtin.trading_state"
RULE_VENUE = "builtin.venue"
RULE_VALUATION = "builtin.valuation"
RULE_RESOLUTION = "builtin.resolution"
RULE_DEFAULT = "policy.default_decision"

# --- field types ----------------------------------------------------------------------

_DURATION_RE = re.compile(r"^([1-9][0-9]{0,6})(s|m|h|d|w)$")
_DURATION_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_SYMBOL_RE = re.compile(r"^[A-Z0-9]{1,20}/[A-Z0-9]{1,20}$")
_PATTERN_RE = re.compile(r"^[A-Z0-9*?]{1,20}/[A-Z0-9*?]{1,20}$")


def _number(value: object) -> Decimal:
    if isinstance(value, bool):
        raise ValueError(f"must be a number, got {str(value).lower()}")
    if isinstance(value, float):
        raise ValueError(f'must be an exact number; write it as a string: "{value}"')
    if isinstance(value, int | Decimal):
        number = Decimal(value)
    elif isinstance(value, str):
        try:
            number = Decimal(value.strip().replace("_", ""))
        except InvalidOperation:
            raise ValueError(f"must be a number, got {value!r}") from None
    else:
        raise ValueError(f"must be a number, got {type(value).__name__} {value!r}")
    if not number.is_finite():
        raise ValueError(f"must be a finite number, got {value!r}")
    problem = number_problem(number)
    if problem is not None:
        raise ValueError(problem)
    return number


def _shown(value: object) -> str:
    """A number a person typed, echoed in plain digits (never ``-1E+5``)."""
    return number(value, places=MAX_SHOWN_PLACES, group=False)


def _non_negative(value: Decimal) -> Decimal:
    if value < 0:
        raise ValueError(f"must not be negative, got {_shown(value)}")
    return value


def _percent(value: Decimal) -> Decimal:
    if not 0 <= value <= HUNDRED:
        raise ValueError(f"must be a percentage from 0 to 100, got {_shown(value)}")
    return value


def _wide_percent(value: Decimal) -> Decimal:
    if not 0 <= value <= 1000:
        raise ValueError(f"must be a percentage from 0 to 1000, got {_shown(value)}")
    return value


def _count(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        shown = value if isinstance(value, Decimal) else repr(value)
        raise ValueError(f"must be a whole number, got {shown}")
    if value < 0:
        raise ValueError(f"must not be negative, got {_shown(value)}")
    return value


def _positive_count(value: int) -> int:
    if value < 1:
        raise ValueError(f"must be at least 1, got {_shown(value)}")
    return value


def parse_duration(value: object) -> timedelta:
    """``"30s"``, ``"15m"``, ``"4h"``, ``"1d"``, ``"2w"`` → a positive timedelta."""
    if isinstance(value, timedelta):
        if value <= timedelta(0):
            raise ValueError("must be a positive duration")
        return value
    if not isinstance(value, str) or not _DURATION_RE.match(value.strip()):
        raise ValueError(f'must be a duration such as "30s", "15m", "4h" or "1d"; got {value!r}')
    match = _DURATION_RE.match(value.strip())
    assert match is not None
    return timedelta(seconds=int(match.group(1)) * _DURATION_UNITS[match.group(2)])


def format_duration(value: timedelta) -> str:
    seconds = int(value.total_seconds())
    for unit, size in (("w", 604800), ("d", 86400), ("h", 3600), ("m", 60)):
        if seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def _symbol(value: str) -> str:
    if not _SYMBOL_RE.match(value):
        raise ValueError(f"must be a market symbol such as BTC/USDT, got {value!r}")
    return value


def _pattern(value: str) -> str:
    if not _PATTERN_RE.match(value):
        raise ValueError(
            f"must be a market symbol such as BTC/USDT (wildcards * and ? allowed), got {value!r}"
        )
    return value


def _non_empty(value: tuple[Any, ...]) -> tuple[Any, ...]:
    if not value:
        raise ValueError("must not be an empty list (leave the key out to mean 'all')")
    if len(set(value)) != len(value):
        raise ValueError("lists an entry twice")
    return value


_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


def _rule_id(value: str) -> str:
    if not _ID_RE.match(value):
        raise ValueError(
            f"must be letters, digits, '.', '_' or '-' (at most 64, starting with a letter "
            f"or digit), got {value!r}"
        )
    if value.startswith(BUILTIN_PREFIXES):
        raise ValueError(f"ids starting with {' or '.join(BUILTIN_PREFIXES)} are reserved")
    return value


Amount = Annotated[Decimal, BeforeValidator(_number), AfterValidator(_non_negative)]
Percent = Annotated[Decimal, BeforeValidator(_number), AfterValidator(_percent)]
WidePercent = Annotated[Decimal, BeforeValidator(_number), AfterValidator(_wide_percent)]
Count = Annotated[int, BeforeValidator(_count)]
PositiveCount = Annotated[int, BeforeValidator(_count), AfterValidator(_positive_count)]
Duration = Annotated[timedelta, BeforeValidator(parse_duration)]
Symbol = Annotated[str, AfterValidator(_symbol)]
SymbolPattern = Annotated[str, AfterValidator(_pattern)]
RuleId = Annotated[str, AfterValidator(_rule_id)]
Name = Annotated[str, Field(min_length=1, max_length=200)]


class SymbolMatcher:
    """Whether a symbol matches a list of patterns: a set lookup for exact symbols, one
    compiled regular expression for the wildcard ones."""

    __slots__ = ("exact", "wild")

    def __init__(self, patterns: tuple[str, ...]) -> None:
        self.exact = frozenset(p for p in patterns if "*" not in p and "?" not in p)
        wild = [p for p in patterns if "*" in p or "?" in p]
        self.wild = re.compile("|".join(f"(?:{translate(p)})" for p in wild)) if wild else None

    def matches(self, symbol: str) -> bool:
        if symbol in self.exact:
            return True
        return self.wild is not None and self.wild.match(symbol) is not None


_MATCHERS: dict[int, tuple[tuple[str, ...], SymbolMatcher]] = {}


def symbol_matcher(patterns: tuple[str, ...]) -> SymbolMatcher:
    """The matcher of a pattern tuple, built once per tuple object (the cache keeps the
    tuple alive, so its identity is not reused while cached)."""
    found = _MATCHERS.get(id(patterns))
    if found is not None and found[0] is patterns:
        return found[1]
    if len(_MATCHERS) >= 4096:
        _MATCHERS.clear()
    matcher = SymbolMatcher(patterns)
    _MATCHERS[id(patterns)] = (patterns, matcher)
    return matcher


def matches_symbol(patterns: tuple[str, ...], symbol: str) -> bool:
    """Whether ``symbol`` matches any of ``patterns`` (``*`` and ``?`` wildcards)."""
    return symbol_matcher(patterns).matches(symbol)


# --- thresholds: what "stricter" means, for personal files -----------------------------


@dataclass(frozen=True)
class Threshold:
    """One comparable setting of a rule, and which way is stricter.

    ``lower``: a smaller value is stricter; ``higher``: a larger one; ``fewer``: a
    subset is stricter (allowed lists); ``more``: a superset is stricter (denied
    lists). ``unset`` says what ``None`` means for ``lower``: no limit at all, or
    (for caps that fail closed) refused.
    """

    value: Decimal | int | timedelta | frozenset[str] | None
    stricter: Literal["lower", "higher", "fewer", "more"]
    unset: Literal["unlimited", "deny"] = "unlimited"

    def looser_than(self, firm: Threshold) -> bool:
        """Whether this setting lets through something ``firm`` would not."""
        mine, theirs = self.value, firm.value
        if self.stricter in ("fewer", "more"):
            assert isinstance(mine, frozenset)
            assert isinstance(theirs, frozenset)
            return not (mine <= theirs if self.stricter == "fewer" else mine >= theirs)
        if mine is None or theirs is None:
            if mine is None and theirs is None:
                return False
            if self.unset == "deny":
                return theirs is None  # firm refuses outright; any cap lets something in
            return mine is None  # no limit at all where the firm has one
        assert not isinstance(mine, frozenset)
        assert not isinstance(theirs, frozenset)
        if self.stricter == "lower":
            return mine > theirs  # type: ignore[operator]
        return mine < theirs  # type: ignore[operator]


def _caps(
    name: str, default: Decimal | None, per: dict[str, Decimal], keys: frozenset[str]
) -> dict[str, Threshold]:
    out = {name: Threshold(default, "lower", "deny")}
    for key in keys:
        out[f"{name}[{key}]"] = Threshold(per.get(key, default), "lower", "deny")
    return out


# --- scope and rules ------------------------------------------------------------------


class Scope(Frozen):
    """Which orders a rule looks at; a key left out means all."""

    symbols: Annotated[tuple[SymbolPattern, ...], AfterValidator(_non_empty)] | None = None
    sides: Annotated[tuple[Side, ...], AfterValidator(_non_empty)] | None = None
    order_types: Annotated[tuple[OrderType, ...], AfterValidator(_non_empty)] | None = None

    @property
    def everything(self) -> bool:
        return self.symbols is None and self.sides is None and self.order_types is None

    def matches(self, symbol: str, side: str, order_type: str) -> bool:
        if self.sides is not None and side not in self.sides:
            return False
        if self.order_types is not None and order_type not in self.order_types:
            return False
        return self.symbols is None or matches_symbol(self.symbols, symbol)


class RuleBase(Frozen):
    """What every rule has. Subclasses add their parameters."""

    kind: str
    id: RuleId
    effect: Effect
    scope: Scope = Field(default_factory=Scope)
    description: Name | None = None

    code: ClassVar[str]
    """The reason code this rule's reasons carry."""
    cancels: ClassVar[bool] = False
    """Whether the rule also looks at cancels (only the message rate does)."""

    def map_keys(self) -> frozenset[str]:
        """Keys of per-symbol or per-asset tables, so thresholds can be compared key by key."""
        return frozenset()

    def thresholds(self, keys: frozenset[str]) -> dict[str, Threshold]:
        return {}


class PriceCollar(RuleBase):
    """A limit price (a market order's execution price) too far from the reference price."""

    kind: Literal["price_collar"] = "price_collar"
    code: ClassVar[str] = "PRICE_COLLAR"
    max_deviation_percent: WidePercent
    buy_max_deviation_percent: WidePercent | None = None
    sell_max_deviation_percent: WidePercent | None = None
    per_symbol: dict[Symbol, WidePercent] = Field(default_factory=dict)
    reference: Literal["last", "mid"] = "mid"

    def limit_for(self, symbol: str, side: str) -> Decimal:
        if symbol in self.per_symbol:
            return self.per_symbol[symbol]
        sided = self.buy_max_deviation_percent if side == "buy" else self.sell_max_deviation_percent
        return self.max_deviation_percent if sided is None else sided

    def map_keys(self) -> frozenset[str]:
        return frozenset(self.per_symbol)

    def thresholds(self, keys: frozenset[str]) -> dict[str, Threshold]:
        out = {}
        for side in ("buy", "sell"):
            out[f"{side} deviation"] = Threshold(self.limit_for("", side), "lower")
            for key in keys:
                out[f"deviation[{key}] {side}"] = Threshold(self.limit_for(key, side), "lower")
        # a different reference price is neither stricter nor looser: refuse changing it
        out["reference"] = Threshold(frozenset({self.reference}), "fewer")
        return out


class _CapPerSymbol(RuleBase):
    limit: Amount | None = None
    per_symbol: dict[Symbol, Amount] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _has_a_cap(self) -> Self:
        if self.limit is None and not self.per_symbol:
            raise ValueError("needs 'limit' (the default cap), 'per_symbol' caps, or both")
        return self

    def cap_for(self, symbol: str) -> Decimal | None:
        """The cap for ``symbol``; ``None``: no cap set, which fails closed (deny)."""
        return self.per_symbol.get(symbol, self.limit)

    def map_keys(self) -> frozenset[str]:
        return frozenset(self.per_symbol)

    def thresholds(self, keys: frozenset[str]) -> dict[str, Threshold]:
        return _caps("limit", self.limit, self.per_symbol, keys)


class MaxOrderValue(_CapPerSymbol):
    """An order's value over the cap (in the policy currency). No cap for a symbol: deny."""

    kind: Literal["max_order_value"] = "max_order_value"
    code: ClassVar[str] = "MAX_ORDER_VALUE"


class MaxOrderQuantity(_CapPerSymbol):
    """An order's quantity (base units) over the cap. No cap for a symbol: deny."""

    kind: Literal["max_order_quantity"] = "max_order_quantity"
    code: ClassVar[str] = "MAX_ORDER_QUANTITY"


class DailyNotional(RuleBase):
    """Orders traded today (UTC) plus this plan's orders up to this one, over a budget."""

    kind: Literal["daily_notional"] = "daily_notional"
    code: ClassVar[str] = "DAILY_NOTIONAL"
    limit: Amount | None = None
    max_percent_of_portfolio: Percent | None = None

    @model_validator(mode="after")
    def _has_a_limit(self) -> Self:
        if self.limit is None and self.max_percent_of_portfolio is None:
            raise ValueError("needs 'limit', 'max_percent_of_portfolio', or both")
        return self

    def thresholds(self, keys: frozenset[str]) -> dict[str, Threshold]:
        return {
            "limit": Threshold(self.limit, "lower"),
            "max_percent_of_portfolio": Threshold(self.max_percent_of_portfolio, "lower"),
        }


class MaxPosition(RuleBase):
    """Holding + open buy orders + this plan's buys, valued in the policy currency, over a cap."""

    kind: Literal["max_position"] = "max_position"
    code: ClassVar[str] = "MAX_POSITION"
    limit: Amount | None = None
    per_asset: dict[Asset, Amount] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _has_a_cap(self) -> Self:
        if self.limit is None and not self.per_asset:
            raise ValueError("needs 'limit' (the default cap), 'per_asset' caps, or both")
        return self

    def cap_for(self, asset: str) -> Decimal | None:
        return self.per_asset.get(asset, self.limit)

    def map_keys(self) -> frozenset[str]:
        return frozenset(self.per_asset)

    def thresholds(self, keys: frozenset[str]) -> dict[str, Threshold]:
        return _caps("limit", self.limit, self.per_asset, keys)


class Concentration(RuleBase):
    """One asset's share of the portfolio's value after the order (open buys included)."""

    kind: Literal["concentration"] = "concentration"
    code: ClassVar[str] = "CONCENTRATION"
    max_percent: Percent
    exclude_assets: tuple[Asset, ...] = ()

    def thresholds(self, keys: frozenset[str]) -> dict[str, Threshold]:
        return {
            "max_percent": Threshold(self.max_percent, "lower"),
            "exclude_assets": Threshold(frozenset(self.exclude_assets), "fewer"),
        }


class AllowedSymbols(RuleBase):
    """Only these markets may be traded."""

    kind: Literal["allowed_symbols"] = "allowed_symbols"
    code: ClassVar[str] = "SYMBOL_NOT_ALLOWED"
    symbols: Annotated[tuple[SymbolPattern, ...], AfterValidator(_non_empty)]

    def thresholds(self, keys: frozenset[str]) -> dict[str, Threshold]:
        return {"symbols": Threshold(frozenset(self.symbols), "fewer")}


class DeniedSymbols(RuleBase):
    """A restricted list: these markets, or any market of these assets."""

    kind: Literal["denied_symbols"] = "denied_symbols"
    code: ClassVar[str] = "SYMBOL_DENIED"
    symbols: tuple[SymbolPattern, ...] = ()
    assets: tuple[Asset, ...] = ()

    @model_validator(mode="after")
    def _lists_something(self) -> Self:
        if not self.symbols and not self.assets:
            raise ValueError("needs 'symbols', 'assets', or both")
        return self

    def thresholds(self, keys: frozenset[str]) -> dict[str, Threshold]:
        return {
            "symbols": Threshold(frozenset(self.symbols), "more"),
            "assets": Threshold(frozenset(self.assets), "more"),
        }


class AllowedOrderTypes(RuleBase):
    """Only these order types; and whether conditional or scheduled orders are allowed."""

    kind: Literal["allowed_order_types"] = "allowed_order_types"
    code: ClassVar[str] = "ORDER_TYPE_NOT_ALLOWED"
    order_types: Annotated[tuple[OrderType, ...], AfterValidator(_non_empty)]
    conditional: bool = True
    scheduled: bool = True

    def thresholds(self, keys: frozenset[str]) -> dict[str, Threshold]:
        return {
            "order_types": Threshold(frozenset(self.order_types), "fewer"),
            "conditional": Threshold(int(self.conditional), "lower"),
            "scheduled": Threshold(int(self.scheduled), "lower"),
        }


class AllowedAccounts(RuleBase):
    """Only these accounts may trade."""

    kind: Literal["allowed_accounts"] = "allowed_accounts"
    code: ClassVar[str] = "ACCOUNT_NOT_ALLOWED"
    accounts: Annotated[tuple[Name, ...], AfterValidator(_non_empty)]

    def thresholds(self, keys: frozenset[str]) -> dict[str, Threshold]:
        return {"accounts": Threshold(frozenset(self.accounts), "fewer")}


class MessageRate(RuleBase):
    """Submits and cancels in the last window (this plan's included) over a maximum.

    Every order and cancel step of the plan counts towards the later steps, refused
    ones included (as for the daily budget: decisions stay monotone in the
    thresholds); from earlier plans, only the messages that were sent count.
    """

    kind: Literal["message_rate"] = "message_rate"
    code: ClassVar[str] = "MESSAGE_RATE"
    cancels: ClassVar[bool] = True
    max_messages: PositiveCount
    window: Duration

    def thresholds(self, keys: frozenset[str]) -> dict[str, Threshold]:
        return {
            "max_messages": Threshold(self.max_messages, "lower"),
            "window": Threshold(self.window, "higher"),
        }


class OpenOrders(RuleBase):
    """Open orders + approved-but-unsent + this plan's resting orders over a cap.

    Orders that rest count: limit orders and orders waiting on a trigger. A market
    order without a trigger fills at once and does not count.
    """

    kind: Literal["open_orders"] = "open_orders"
    code: ClassVar[str] = "OPEN_ORDERS"
    max_per_symbol: Count | None = None
    max_total: Count | None = None
    max_conditional: Count | None = None

    @model_validator(mode="after")
    def _has_a_cap(self) -> Self:
        if self.max_per_symbol is None and self.max_total is None and self.max_conditional is None:
            raise ValueError(
                "needs at least one of 'max_per_symbol', 'max_total', 'max_conditional'"
            )
        return self

    def thresholds(self, keys: frozenset[str]) -> dict[str, Threshold]:
        return {
            "max_per_symbol": Threshold(self.max_per_symbol, "lower"),
            "max_total": Threshold(self.max_total, "lower"),
            "max_conditional": Threshold(self.max_conditional, "lower"),
        }


DuplicateField = Literal["symbol", "side", "quantity", "order_type", "limit_price"]
DUPLICATE_FIELDS: tuple[DuplicateField, ...] = (
    "symbol",
    "side",
    "quantity",
    "order_type",
    "limit_price",
)


class Duplicate(RuleBase):
    """An order matching a recent one (or an earlier step of the plan) on the given fields."""

    kind: Literal["duplicate"] = "duplicate"
    code: ClassVar[str] = "DUPLICATE_ORDER"
    window: Duration
    match: Annotated[tuple[DuplicateField, ...], AfterValidator(_non_empty)] = DUPLICATE_FIELDS

    def thresholds(self, keys: frozenset[str]) -> dict[str, Threshold]:
        # fewer fields to match: more orders count as duplicates
        return {
            "window": Threshold(self.window, "higher"),
            "match": Threshold(frozenset(self.match), "fewer"),
        }


class FirstTrade(RuleBase):
    """The first trade in an asset the account has never traded and does not hold."""

    kind: Literal["first_trade"] = "first_trade"
    code: ClassVar[str] = "FIRST_TRADE"


class SellShare(RuleBase):
    """Selling more than a share of the holding (this plan's earlier sells included)."""

    kind: Literal["sell_share"] = "sell_share"
    code: ClassVar[str] = "SELL_SHARE"
    max_percent: Percent

    def thresholds(self, keys: frozenset[str]) -> dict[str, Threshold]:
        return {"max_percent": Threshold(self.max_percent, "lower")}


class PlanTotal(RuleBase):
    """The whole plan's value over a limit: applies to every order of the plan."""

    kind: Literal["plan_total"] = "plan_total"
    code: ClassVar[str] = "PLAN_TOTAL"
    limit: Amount

    def thresholds(self, keys: frozenset[str]) -> dict[str, Threshold]:
        return {"limit": Threshold(self.limit, "lower")}


class TriggerBand(RuleBase):
    """A trigger level too far from the trigger asset's current price."""

    kind: Literal["trigger_band"] = "trigger_band"
    code: ClassVar[str] = "TRIGGER_BAND"
    max_distance_percent: WidePercent

    def thresholds(self, keys: frozenset[str]) -> dict[str, Threshold]:
        return {"max_distance_percent": Threshold(self.max_distance_percent, "lower")}


class ScheduleLimits(RuleBase):
    """A scheduled order repeating too many times, too long, or for too much in all."""

    kind: Literal["schedule_limits"] = "schedule_limits"
    code: ClassVar[str] = "SCHEDULE_LIMITS"
    max_count: PositiveCount | None = None
    max_horizon: Duration | None = None
    max_total_value: Amount | None = None

    @model_validator(mode="after")
    def _has_a_limit(self) -> Self:
        if self.max_count is None and self.max_horizon is None and self.max_total_value is None:
            raise ValueError("needs at least one of 'max_count', 'max_horizon', 'max_total_value'")
        return self

    def thresholds(self, keys: frozenset[str]) -> dict[str, Threshold]:
        return {
            "max_count": Threshold(self.max_count, "lower"),
            "max_horizon": Threshold(self.max_horizon, "lower"),
            "max_total_value": Threshold(self.max_total_value, "lower"),
        }


class ExecutionThrottle(RuleBase):
    """More executions of one plan or schedule in a window than allowed.

    Once tripped it stays tripped (the caller records it in the counters'
    ``tripped_throttles``) until a named person resets it.
    """

    kind: Literal["execution_throttle"] = "execution_throttle"
    code: ClassVar[str] = "EXECUTION_THROTTLE"
    max_executions: PositiveCount
    window: Duration

    def thresholds(self, keys: frozenset[str]) -> dict[str, Threshold]:
        return {
            "max_executions": Threshold(self.max_executions, "lower"),
            "window": Threshold(self.window, "higher"),
        }


class Balance(RuleBase):
    """An order needing more than the free balance (this plan's earlier orders counted).

    Orders waiting on a trigger are left out: the balance that matters is the one
    when they fire, and they are checked again then, at the market of that moment.
    """

    kind: Literal["balance"] = "balance"
    code: ClassVar[str] = "INSUFFICIENT_BALANCE"


class LossBreaker(RuleBase):
    """Realised loss today or drawdown over a limit trips the trading state.

    Its ``effect`` is what an order the tripped state blocks gets (deny, or
    escalate to let a second approver decide).
    """

    kind: Literal["loss_breaker"] = "loss_breaker"
    code: ClassVar[str] = "LOSS_BREAKER"
    max_daily_loss: Amount | None = None
    max_drawdown_percent: Percent | None = None
    trips_to: Literal["REDUCING", "HALTED"]

    @model_validator(mode="after")
    def _has_a_limit(self) -> Self:
        if self.max_daily_loss is None and self.max_drawdown_percent is None:
            raise ValueError("needs 'max_daily_loss', 'max_drawdown_percent', or both")
        return self

    def thresholds(self, keys: frozenset[str]) -> dict[str, Threshold]:
        return {
            "max_daily_loss": Threshold(self.max_daily_loss, "lower"),
            "max_drawdown_percent": Threshold(self.max_drawdown_percent, "lower"),
            "trips_to": Threshold(-STATE_SEVERITY[self.trips_to], "lower"),
        }


Rule = (
    PriceCollar
    | MaxOrderValue
    | MaxOrderQuantity
    | DailyNotional
    | MaxPosition
    | Concentration
    | AllowedSymbols
    | DeniedSymbols
    | AllowedOrderTypes
    | AllowedAccounts
    | MessageRate
    | OpenOrders
    | Duplicate
    | FirstTrade
    | SellShare
    | PlanTotal
    | TriggerBand
    | ScheduleLimits
    | ExecutionThrottle
    | Balance
    | LossBreaker
)

RULE_KINDS: dict[str, type[RuleBase]] = {
    cls.model_fields["kind"].default: cls
    for cls in (
        PriceCollar,
        MaxOrderValue,
        MaxOrderQuantity,
        DailyNotional,
        MaxPosition,
        Concentration,
        AllowedSymbols,
        DeniedSymbols,
        AllowedOrderTypes,
        AllowedAccounts,
        MessageRate,
        OpenOrders,
        Duplicate,
        FirstTrade,
        SellShare,
        PlanTotal,
        TriggerBand,
        ScheduleLimits,
        ExecutionThrottle,
        Balance,
        LossBreaker,
    )
}
"""Every rule kind a policy file may use, by its ``kind`` key."""


# --- settings -------------------------------------------------------------------------

TYPE_TO_CONFIRM_ABOVE = Decimal("5000")
"""``[approvals] type_to_confirm_above`` when a policy does not set it."""


class ApprovalSettings(Frozen):
    """How approvals work under this policy; read by the confirmation and execution parts.

    - ``valid_for``: an approval expires this long after it is given;
    - ``max_price_drift_percent``: if the reference price moves more than this between
      approval and execution, the step must be approved again;
    - ``second_approvers``: who may approve an ``escalate`` step. The requester
      never approves their own escalation, even when listed;
    - ``type_to_confirm_above``: a step worth more than this (in the policy's
      ``currency``) is confirmed by typing its amount or its market, not by a key
      press. Optional: a file without it gets :data:`TYPE_TO_CONFIRM_ABOVE` (the
      value policies had before the key existed, so recorded versions load alike).
    """

    valid_for: Duration
    max_price_drift_percent: Percent
    second_approvers: tuple[Name, ...]
    type_to_confirm_above: Amount = Field(default_factory=lambda: TYPE_TO_CONFIRM_ABOVE)

    @model_validator(mode="after")
    def _unique(self) -> Self:
        if len(set(self.second_approvers)) != len(self.second_approvers):
            raise ValueError("second_approvers lists a name twice")
        return self

    def expires_at(self, approved_at: datetime) -> datetime:
        return approved_at + self.valid_for

    def expired(self, approved_at: datetime, now: datetime) -> bool:
        return now >= self.expires_at(approved_at)

    def drifted(self, approved_price: Decimal, current_price: Decimal) -> bool:
        """Whether the price moved past the drift limit since approval."""
        move = abs(current_price - approved_price) * HUNDRED / approved_price
        return move > self.max_price_drift_percent

    def may_approve(self, decision: Verdict, *, approver: str, requester: str) -> bool:
        """Whether ``approver`` may approve a step of ``requester`` with this decision.

        ``confirm``: the requester, or a second approver. ``escalate``: a listed
        second approver who is not the requester. ``allow`` needs no approval and
        ``deny`` cannot be approved.
        """
        if decision == "confirm":
            return approver == requester or approver in self.second_approvers
        if decision == "escalate":
            return approver != requester and approver in self.second_approvers
        return False


class PersonalInfo(Frozen):
    """A trader's personal file applied on top of the firm's policy."""

    owner: Name
    source: str
    hash: str = Field(pattern=r"^[0-9a-f]{64}$")


class Policy(Frozen):
    """A loaded policy: settings, approval settings, rules, and the hash of its bytes."""

    id: RuleId
    version: Name
    owner: Name
    description: str | None = None
    currency: Asset
    default_decision: Verdict
    trading_state: TradingState
    approvals: ApprovalSettings
    rules: tuple[Annotated[Rule, Field(discriminator="kind")], ...] = ()
    source: str
    hash: str = Field(pattern=r"^[0-9a-f]{64}$")
    personal: PersonalInfo | None = None

    @property
    def stamp(self) -> PolicyStamp:
        return PolicyStamp(
            id=self.id,
            version=self.version,
            hash=self.hash,
            personal_hash=self.personal.hash if self.personal else None,
        )

    def rule(self, rule_id: str) -> Rule | None:
        for rule in self.rules:
            if rule.id == rule_id:
                return rule
        return None

    @property
    def escalates(self) -> bool:
        return self.default_decision == "escalate" or any(
            r.effect == "escalate" for r in self.rules
        )


def severity(verdict: str) -> int:
    return SEVERITY[verdict]
