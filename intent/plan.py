"""The typed intent plan: what a person asked for, before any account or market is consulted.

A parse result is exactly one of

- :class:`Plan`: one or more steps signoff can carry out;
- :class:`Clarification`: the request is about trading, but something that changes the
  order is missing or ambiguous; it carries the question to ask;
- :class:`Refusal`: out of scope (withdrawals, leverage, asking to skip confirmations, ...).

The JSON form of these models is the contract of ``signoff parse --json`` (see
``../shared/intent-eval/SPEC.md``). Amounts and prices are ``Decimal``; in JSON they are
written as strings by pydantic (exact), and as exact JSON numbers by the CLI.

Every model is frozen and refuses unknown keys: a plan is a value, and nothing that is not
part of the contract can ride along inside it.
"""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal
from typing import Annotated, Any, Literal, Self

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    TypeAdapter,
    model_validator,
)

from intent.describe import describe_result, describe_step

HUNDRED = Decimal(100)

Side = Literal["buy", "sell"]
OrderType = Literal["market", "limit"]
AmountUnit = Literal["base", "quote", "percent"]
QueryWhat = Literal["balance", "price", "orders"]

_ASSET_RE = re.compile(r"^[A-Z0-9]{1,20}$")
_EVERY_RE = re.compile(r"^([1-9][0-9]{0,5})([mhdw])$")
_UNIT_SECONDS = {"m": 60, "h": 3600, "d": 86400, "w": 604800}


def _check_asset(value: str) -> str:
    if not _ASSET_RE.match(value):
        raise ValueError(f"asset must be an upper-case ticker such as BTC, got {value!r}")
    return value


def _check_positive(value: Decimal) -> Decimal:
    if not value.is_finite() or value <= 0:
        raise ValueError(f"must be a positive number, got {value}")
    return value


Asset = Annotated[str, AfterValidator(_check_asset)]
"""An upper-case ticker: ``BTC``, ``ETH``, ``USDT``."""

PositiveDecimal = Annotated[Decimal, AfterValidator(_check_positive)]


class Frozen(BaseModel):
    """Base of every domain value: immutable, no unknown keys, validated on assignment."""

    model_config = ConfigDict(frozen=True, extra="forbid", validate_default=True)


class Amount(Frozen):
    """How much: units of the base asset, units of the quote currency, or a share of a holding.

    ``percent`` is a share (0, 100] of the holding the step draws on: the base asset for a
    sell or a convert, the quote currency for a buy.
    """

    unit: AmountUnit
    value: PositiveDecimal

    @model_validator(mode="after")
    def _percent_in_range(self) -> Self:
        if self.unit == "percent" and self.value > HUNDRED:
            raise ValueError(f"a percentage must be in (0, 100], got {self.value}")
        return self


class Trigger(Frozen):
    """Wait until ``base``'s price (in the order's quote currency) crosses a level."""

    base: Asset
    below: PositiveDecimal | None = None
    above: PositiveDecimal | None = None

    @model_validator(mode="after")
    def _exactly_one_level(self) -> Self:
        if (self.below is None) == (self.above is None):
            raise ValueError("a trigger needs exactly one of 'below' or 'above'")
        return self

    @property
    def direction(self) -> Literal["below", "above"]:
        return "below" if self.below is not None else "above"

    @property
    def level(self) -> Decimal:
        level = self.below if self.below is not None else self.above
        assert level is not None  # guaranteed by the validator
        return level


class Schedule(Frozen):
    """Repeat a step every interval, ``count`` times in all (``None``: until stopped)."""

    every: str = Field(description="<N><m|h|d|w>: minutes, hours, days, weeks")
    count: int | None = Field(default=None, ge=1, le=100_000)

    @model_validator(mode="after")
    def _interval_shape(self) -> Self:
        if not _EVERY_RE.match(self.every):
            raise ValueError(f"'every' must look like 15m, 4h, 1d or 2w, got {self.every!r}")
        return self

    @property
    def interval(self) -> timedelta:
        match = _EVERY_RE.match(self.every)
        assert match is not None
        return timedelta(seconds=int(match.group(1)) * _UNIT_SECONDS[match.group(2)])


class OrderStep(Frozen):
    """Buy or sell ``base`` against ``quote``."""

    action: Literal["order"] = "order"
    side: Side
    base: Asset
    quote: Asset = "USDT"
    amount: Amount
    order_type: OrderType = "market"
    limit_price: PositiveDecimal | None = None
    trigger: Trigger | None = None
    schedule: Schedule | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.base == self.quote:
            raise ValueError(f"base and quote are both {self.base}")
        if self.order_type == "limit" and self.limit_price is None:
            raise ValueError("a limit order needs a limit price")
        if self.order_type == "market" and self.limit_price is not None:
            raise ValueError("a market order cannot carry a limit price")
        return self

    def describe(self) -> str:
        return describe_step(self.model_dump())


class CancelStep(Frozen):
    """Cancel open orders: on one asset or all (``base`` None), one side or both."""

    action: Literal["cancel"] = "cancel"
    base: Asset | None = None
    side: Side | None = None

    def describe(self) -> str:
        return describe_step(self.model_dump())


class RebalanceStep(Frozen):
    """Trade towards target shares of the portfolio's value; the quote takes the rest."""

    action: Literal["rebalance"] = "rebalance"
    targets: dict[Asset, PositiveDecimal] = Field(min_length=1)

    @model_validator(mode="after")
    def _targets_fit(self) -> Self:
        for asset, share in self.targets.items():
            if share > HUNDRED:
                raise ValueError(f"target for {asset} is {share}%, over 100%")
        total = sum(self.targets.values(), Decimal(0))
        # equal thirds are 33.33...% each; allow the rounding of such shares
        if total > HUNDRED + Decimal("1e-9"):
            raise ValueError(f"targets add up to {total}%, over 100%")
        return self

    def describe(self) -> str:
        return describe_step(self.model_dump())


class ConvertStep(Frozen):
    """Turn some of one asset into another (directly, or through the quote currency)."""

    model_config = ConfigDict(
        validate_by_name=True, validate_by_alias=True, serialize_by_alias=True
    )

    action: Literal["convert"] = "convert"
    from_: Asset = Field(alias="from")
    to: Asset
    amount: Amount

    @model_validator(mode="after")
    def _distinct(self) -> Self:
        if self.from_ == self.to:
            raise ValueError(f"cannot convert {self.from_} into itself")
        if self.amount.unit == "quote":
            raise ValueError("a convert amount is in units of 'from' or a percent of it")
        return self

    def describe(self) -> str:
        return describe_step(self.model_dump(by_alias=True))


class QueryStep(Frozen):
    """Ask about the account or the market; never trades."""

    action: Literal["query"] = "query"
    what: QueryWhat
    base: Asset | None = None

    def describe(self) -> str:
        return describe_step(self.model_dump())


Step = Annotated[
    OrderStep | CancelStep | RebalanceStep | ConvertStep | QueryStep,
    Field(discriminator="action"),
]


class Plan(Frozen):
    """The request maps to steps signoff can carry out, in order."""

    status: Literal["plan"] = "plan"
    steps: tuple[Step, ...] = Field(min_length=1, max_length=50)

    def describe(self) -> str:
        return describe_result(self.model_dump(by_alias=True))


Missing = Literal[
    "text",
    "action",
    "amount",
    "asset",
    "side",
    "price",
    "trigger",
    "interval",
    "count",
    "quote",
    "number",
]


class Clarification(Frozen):
    """Something that changes the order is missing or ambiguous: ask, do not guess."""

    status: Literal["clarify"] = "clarify"
    question: str = Field(min_length=1)
    missing: tuple[Missing, ...] = ()

    def describe(self) -> str:
        return describe_result(self.model_dump())


RefusalCategory = Literal[
    "withdrawal",
    "transfer",
    "deposit",
    "leverage",
    "margin",
    "short",
    "derivatives",
    "staking",
    "lending",
    "policy",
    "venue",
    "credentials",
    "off_topic",
]


class Refusal(Frozen):
    """Out of scope for a spot-trading assistant; says why."""

    status: Literal["unsupported"] = "unsupported"
    category: RefusalCategory
    reason: str = Field(min_length=1)

    def describe(self) -> str:
        return describe_result(self.model_dump())


ParseResult = Annotated[Plan | Clarification | Refusal, Field(discriminator="status")]

PARSE_RESULT: TypeAdapter[Plan | Clarification | Refusal] = TypeAdapter(ParseResult)


def parse_result_from_data(data: Any) -> Plan | Clarification | Refusal:
    """Validate a parse result from the parser's dicts or their JSON-decoded form."""
    return PARSE_RESULT.validate_python(data)
