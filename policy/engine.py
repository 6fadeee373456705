"""Evaluation: resolved steps + account + market data + counters + time + policy → decisions.

:func:`evaluate` is a pure function: one :class:`~policy.decision.StepDecision` per
resolved step, in order, each with every reason that applied and the policy's
stamp. Deny beats escalate beats confirm beats allow.

How steps are decided:

- a query is always allowed;
- a cancel passes every rule but the message rate (a person must always be able
  to pull orders, also when trading is HALTED);
- an unresolved step is denied (rule ``builtin.resolution``, its resolution code);
- an order goes through the built-in checks (trading state, the venue's rules,
  valuation in the policy currency) and every rule in scope. Its decision is the
  strictest effect among the reasons, and never more permissive than the
  policy's ``default_decision`` (which is also the decision when no rule applies).

A plan's steps are decided in order, and each one counts the plan's earlier
orders (daily budget, message rate, duplicates, positions, sells, balances,
open-order caps) whatever their own decision was. Counting only the steps that
passed would let a stricter threshold, by refusing an early step, make a later
one pass: the decisions would not be monotone in the thresholds.

Missing data fails closed: a rule that cannot compute its value (no quote, no
cap for a symbol) gives a ``deny`` reason saying what is missing.

When a conditional order fires, the executor calls :func:`evaluate` again with
``firing=True``: the collar then uses the current quote, and the planning-time
checks on triggers and schedules are not repeated.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from decimal import ROUND_CEILING, Decimal

from intent.market import AccountSnapshot, MarketData
from intent.plan import HUNDRED
from intent.resolved import ResolvedCancel, ResolvedOrder, ResolvedQuery, ResolvedStep
from intent.valuation import price_in, value_in
from policy.counters import Counters, RecentOrder
from policy.decision import SEVERITY, PolicyStamp, Reason, StepDecision, Verdict
from policy.model import (
    RULE_DEFAULT,
    RULE_RESOLUTION,
    RULE_TRADING_STATE,
    RULE_VALUATION,
    RULE_VENUE,
    STATE_SEVERITY,
    AllowedAccounts,
    AllowedOrderTypes,
    AllowedSymbols,
    Balance,
    Concentration,
    DailyNotional,
    DeniedSymbols,
    Duplicate,
    ExecutionThrottle,
    FirstTrade,
    LossBreaker,
    MaxOrderQuantity,
    MaxOrderValue,
    MaxPosition,
    MessageRate,
    OpenOrders,
    PlanTotal,
    Policy,
    PriceCollar,
    Rule,
    RuleBase,
    ScheduleLimits,
    Scope,
    SellShare,
    TradingState,
    TriggerBand,
    format_duration,
    matches_symbol,
)

__all__ = ["evaluate", "overall"]

ZERO = Decimal(0)
CENT = Decimal("0.01")


def overall(decisions: Sequence[StepDecision]) -> Verdict:
    """The strictest decision of a plan."""
    worst: Verdict = "allow"
    for decision in decisions:
        if SEVERITY[decision.decision] > SEVERITY[worst]:
            worst = decision.decision
    return worst


# --- formatting -----------------------------------------------------------------------


def fmt_exact(value: Decimal) -> str:
    """A limit as written: ``1000``, ``0.5``."""
    return format(value.normalize(), "f")


def fmt_observed(value: Decimal) -> str:
    """An observed value: two decimals rounded up (never shown at or under a limit it
    exceeds), or up to eight significant digits under 1."""
    if abs(value) >= 1:
        return format(value.quantize(CENT, rounding=ROUND_CEILING), "f")
    if value == 0:
        return "0"
    return format(Decimal(f"{value:.8g}").normalize(), "f")


# --- evaluation context ---------------------------------------------------------------


@dataclass
class _Plan:
    """What the plan's earlier steps add to the history."""

    orders: list[ResolvedOrder] = field(default_factory=list)
    notional: Decimal = ZERO
    messages: int = 0
    buys: dict[str, Decimal] = field(default_factory=dict)
    sells: dict[str, Decimal] = field(default_factory=dict)
    resting_by_symbol: dict[str, int] = field(default_factory=dict)
    resting: int = 0
    conditional: int = 0
    spent: dict[str, Decimal] = field(default_factory=dict)
    received: dict[str, Decimal] = field(default_factory=dict)


class _Context:
    def __init__(
        self,
        policy: Policy,
        account: AccountSnapshot,
        market: MarketData,
        counters: Counters,
        now: datetime,
        plan_id: str | None,
        firing: bool,
    ) -> None:
        self.policy = policy
        self.currency = policy.currency
        self.account = account
        self.market = market
        self.counters = counters
        self.now = now
        self.plan_id = plan_id
        self.firing = firing
        self.plan = _Plan()
        self.plan_total = ZERO
        self._prices: dict[str, Decimal | None] = {}
        self._portfolio: Decimal | None = None
        self._windows: dict[tuple[str, timedelta], int] = {}
        self._daily: Decimal | None = None
        self._open: tuple[dict[str, int], int, int, dict[str, Decimal]] | None = None
        self._checks: list[tuple[Rule, Check, Scope | None]] | None = None
        self._recent: dict[tuple[str, timedelta], list[RecentOrder]] = {}
        state = policy.trading_state
        if STATE_SEVERITY[counters.trading_state] > STATE_SEVERITY[state]:
            state = counters.trading_state
        self.state: TradingState = state

    @property
    def checks(self) -> list[tuple[Rule, Check, Scope | None]]:
        """Each rule with its check, and its scope unless it covers everything."""
        if self._checks is None:
            self._checks = [
                (rule, CHECKS[type(rule)], None if rule.scope.everything else rule.scope)
                for rule in self.policy.rules
            ]
        return self._checks

    def recent_orders(self, window: timedelta) -> list[RecentOrder]:
        key = ("orders", window)
        if key not in self._recent:
            since = self.now - window
            self._recent[key] = [o for o in self.counters.orders if since < o.at <= self.now]
        return self._recent[key]

    def price(self, asset: str) -> Decimal | None:
        if asset not in self._prices:
            self._prices[asset] = price_in(asset, self.currency, self.market)
        return self._prices[asset]

    def value(self, order: ResolvedOrder) -> Decimal | None:
        if order.reporting_currency == self.currency:
            return order.notional_reporting
        return value_in(order.notional, order.quote, self.currency, self.market)

    @property
    def portfolio(self) -> Decimal:
        """The account's value in the policy currency (assets that cannot be priced left out:
        a smaller portfolio only makes share limits stricter)."""
        if self._portfolio is None:
            total = ZERO
            for asset, balance in self.account.balances.items():
                price = self.price(asset)
                if price is not None:
                    total += balance.total * price
            self._portfolio = total
        return self._portfolio

    @property
    def daily_used(self) -> Decimal:
        if self._daily is None:
            # the budget day is the UTC calendar day of ``now``
            midnight = datetime.combine(self.now.astimezone(UTC).date(), time(0), tzinfo=UTC)
            self._daily = sum(
                (o.notional for o in self.counters.orders if midnight <= o.at <= self.now),
                start=ZERO,
            )
        return self._daily

    def recent_messages(self, window: timedelta) -> int:
        key = ("messages", window)
        if key not in self._windows:
            since = self.now - window
            self._windows[key] = sum(1 for t in self.counters.messages if since < t <= self.now)
        return self._windows[key]

    def executions(self, window: timedelta) -> int:
        if self.plan_id is None:
            return 0
        key = ("executions", window)
        if key not in self._windows:
            since = self.now - window
            self._windows[key] = sum(
                1
                for e in self.counters.executions
                if e.plan_id == self.plan_id and since < e.at <= self.now
            )
        return self._windows[key]

    @property
    def open_orders(self) -> tuple[dict[str, int], int, int, dict[str, Decimal]]:
        """Resting orders per symbol, in all, conditional ones; open buy quantity per asset."""
        if self._open is None:
            by_symbol: dict[str, int] = {}
            conditional = 0
            buys: dict[str, Decimal] = {}
            for order in self.account.open_orders:
                by_symbol[order.symbol] = by_symbol.get(order.symbol, 0) + 1
                conditional += order.conditional
                if order.side == "buy":
                    base = order.symbol.partition("/")[0]
                    buys[base] = buys.get(base, ZERO) + order.remaining
            for pending in self.counters.pending:
                by_symbol[pending.symbol] = by_symbol.get(pending.symbol, 0) + 1
                conditional += pending.conditional
            total = len(self.account.open_orders) + len(self.counters.pending)
            self._open = (by_symbol, total, conditional, buys)
        return self._open

    def blocked_by_state(self, order: ResolvedOrder, state: str) -> bool:
        """Whether ``state`` stops the order.

        HALTED stops every order; REDUCING every order that grows a position.
        """
        if state == "HALTED":
            return True
        if state == "REDUCING":
            if order.side == "buy":
                return True
            sold = self.plan.sells.get(order.base, ZERO) + order.quantity
            return sold > self.account.total(order.base)
        return False

    def record(self, order: ResolvedOrder, value: Decimal | None) -> None:
        plan = self.plan
        plan.orders.append(order)
        plan.notional += value or ZERO
        plan.messages += 1
        book = plan.buys if order.side == "buy" else plan.sells
        book[order.base] = book.get(order.base, ZERO) + order.quantity
        if order.order_type == "limit" or order.trigger is not None:
            plan.resting += 1
            plan.resting_by_symbol[order.symbol] = plan.resting_by_symbol.get(order.symbol, 0) + 1
            plan.conditional += order.trigger is not None
        if order.trigger is None:
            if order.side == "buy":
                gave, got, out, back = order.quote, order.base, order.notional, order.quantity
            else:
                gave, got, out, back = order.base, order.quote, order.quantity, order.notional
            plan.spent[gave] = plan.spent.get(gave, ZERO) + out
            plan.received[got] = plan.received.get(got, ZERO) + back


def _reason(
    rule: RuleBase | str,
    code: str,
    effect: Verdict,
    message: str,
    limit: str | None = None,
    observed: str | None = None,
) -> Reason:
    rule_id = rule if isinstance(rule, str) else rule.id
    return Reason(
        rule=rule_id, code=code, effect=effect, limit=limit, observed=observed, message=message
    )


def _over(
    rule: RuleBase, limit: Decimal, observed: Decimal, unit: str, name: str, extra: str = ""
) -> Reason:
    suffix = unit if unit in ("", "%") else f" {unit}"
    lim, obs = f"{fmt_exact(limit)}{suffix}", f"{fmt_observed(observed)}{suffix}"
    return _reason(
        rule,
        rule.code,
        rule.effect,
        f"{rule.code}: limit={lim}, {name}={obs}{extra}",
        lim,
        obs,
    )


def _missing(rule: RuleBase, what: str) -> Reason:
    return _reason(rule, rule.code, "deny", f"{rule.code}: {what} (fails closed)", None, None)


# --- rule checks (one per kind) -------------------------------------------------------

Check = Callable[[Rule, ResolvedOrder, Decimal | None, _Context], list[Reason] | Reason | None]


def _collar(
    rule: PriceCollar, order: ResolvedOrder, value: Decimal | None, ctx: _Context
) -> Reason | None:
    trigger = order.trigger
    if trigger is not None and trigger.base == order.base and not ctx.firing:
        if order.limit_price is None:
            return None  # a market order waiting on its own trigger: checked when it fires
        reference, ref_name = trigger.level, "trigger"
        price = order.limit_price
    else:
        quote = ctx.market.quotes.get(order.symbol)
        if quote is None:
            return _missing(rule, f"no quote for {order.symbol} to check the collar against")
        reference = quote.last if rule.reference == "last" else quote.mid
        ref_name = rule.reference
        if order.limit_price is not None:
            price = order.limit_price
        else:
            price = quote.ask if order.side == "buy" else quote.bid
    deviation = abs(price - reference) * HUNDRED / reference
    limit = rule.limit_for(order.symbol, order.side)
    if deviation <= limit:
        return None
    return _over(
        rule,
        limit,
        deviation,
        "%",
        "deviation",
        f" (price {fmt_exact(price)} vs {ref_name} {fmt_exact(reference)} {order.quote})",
    )


def _max_value(
    rule: MaxOrderValue, order: ResolvedOrder, value: Decimal | None, ctx: _Context
) -> Reason | None:
    cap = rule.cap_for(order.symbol)
    if cap is None:
        return _missing(rule, f"no cap set for {order.symbol}")
    if value is None or value <= cap:
        return None
    return _over(rule, cap, value, ctx.currency, "notional")


def _max_quantity(
    rule: MaxOrderQuantity, order: ResolvedOrder, value: Decimal | None, ctx: _Context
) -> Reason | None:
    cap = rule.cap_for(order.symbol)
    if cap is None:
        return _missing(rule, f"no cap set for {order.symbol}")
    if order.quantity <= cap:
        return None
    return _over(rule, cap, order.quantity, order.base, "quantity")


def _daily(
    rule: DailyNotional, order: ResolvedOrder, value: Decimal | None, ctx: _Context
) -> list[Reason]:
    if value is None:
        return []
    used = ctx.daily_used + ctx.plan.notional + value
    out = []
    if rule.limit is not None and used > rule.limit:
        out.append(_over(rule, rule.limit, used, ctx.currency, "today"))
    if rule.max_percent_of_portfolio is not None:
        portfolio = ctx.portfolio
        if portfolio <= 0:
            out.append(_missing(rule, "the portfolio has no value to take a share of"))
        else:
            share = used * HUNDRED / portfolio
            if share > rule.max_percent_of_portfolio:
                out.append(
                    _over(rule, rule.max_percent_of_portfolio, share, "%", "share_of_portfolio")
                )
    return out


def _position_after(order: ResolvedOrder, ctx: _Context) -> Decimal:
    open_buys = ctx.open_orders[3]
    return (
        ctx.account.total(order.base)
        + open_buys.get(order.base, ZERO)
        + ctx.plan.buys.get(order.base, ZERO)
        + order.quantity
    )


def _position(
    rule: MaxPosition, order: ResolvedOrder, value: Decimal | None, ctx: _Context
) -> Reason | None:
    if order.side != "buy":
        return None
    cap = rule.cap_for(order.base)
    if cap is None:
        return _missing(rule, f"no position cap set for {order.base}")
    price = ctx.price(order.base)
    if price is None:
        return _missing(rule, f"cannot value {order.base} in {ctx.currency}")
    position = _position_after(order, ctx) * price
    if position <= cap:
        return None
    return _over(rule, cap, position, ctx.currency, "position")


def _concentration(
    rule: Concentration, order: ResolvedOrder, value: Decimal | None, ctx: _Context
) -> Reason | None:
    if order.side != "buy" or order.base == ctx.currency or order.base in rule.exclude_assets:
        return None
    price = ctx.price(order.base)
    if price is None:
        return _missing(rule, f"cannot value {order.base} in {ctx.currency}")
    portfolio = ctx.portfolio
    if portfolio <= 0:
        return _missing(rule, "the portfolio has no value to take a share of")
    share = _position_after(order, ctx) * price * HUNDRED / portfolio
    if share <= rule.max_percent:
        return None
    return _over(rule, rule.max_percent, share, "%", f"share_of_{order.base}")


def _listed(rule: RuleBase, message: str, limit: str, observed: str) -> Reason:
    return _reason(rule, rule.code, rule.effect, f"{rule.code}: {message}", limit, observed)


def _allowed_symbols(
    rule: AllowedSymbols, order: ResolvedOrder, value: Decimal | None, ctx: _Context
) -> Reason | None:
    if matches_symbol(rule.symbols, order.symbol):
        return None
    return _listed(
        rule, f"{order.symbol} is not on the allowed list", ", ".join(rule.symbols), order.symbol
    )


def _denied_symbols(
    rule: DeniedSymbols, order: ResolvedOrder, value: Decimal | None, ctx: _Context
) -> Reason | None:
    if matches_symbol(rule.symbols, order.symbol):
        return _listed(
            rule, f"{order.symbol} is on the restricted list", ", ".join(rule.symbols), order.symbol
        )
    for asset in (order.base, order.quote):
        if asset in rule.assets:
            return _listed(
                rule, f"{asset} is on the restricted list", ", ".join(rule.assets), asset
            )
    return None


def _order_types(
    rule: AllowedOrderTypes, order: ResolvedOrder, value: Decimal | None, ctx: _Context
) -> list[Reason]:
    out = []
    allowed = ", ".join(rule.order_types)
    if order.order_type not in rule.order_types:
        out.append(
            _listed(rule, f"{order.order_type} orders are not allowed", allowed, order.order_type)
        )
    if order.trigger is not None and not rule.conditional:
        out.append(
            _listed(rule, "conditional (triggered) orders are not allowed", allowed, "conditional")
        )
    if order.schedule is not None and not rule.scheduled:
        out.append(_listed(rule, "scheduled orders are not allowed", allowed, "scheduled"))
    return out


def _accounts(
    rule: AllowedAccounts, order: ResolvedOrder, value: Decimal | None, ctx: _Context
) -> Reason | None:
    account = ctx.account.account_id
    if account in rule.accounts:
        return None
    return _listed(rule, f"account {account} may not trade", ", ".join(rule.accounts), account)


def _rate(rule: MessageRate, messages: int, ctx: _Context) -> Reason | None:
    count = ctx.recent_messages(rule.window) + ctx.plan.messages + messages
    if count <= rule.max_messages:
        return None
    window = format_duration(rule.window)
    lim, obs = f"{rule.max_messages} per {window}", f"{count} per {window}"
    return _reason(
        rule, rule.code, rule.effect, f"{rule.code}: limit={lim}, messages={obs}", lim, obs
    )


def _message_rate(
    rule: MessageRate, order: ResolvedOrder, value: Decimal | None, ctx: _Context
) -> Reason | None:
    return _rate(rule, 1, ctx)


def _open_orders(
    rule: OpenOrders, order: ResolvedOrder, value: Decimal | None, ctx: _Context
) -> list[Reason]:
    if order.order_type != "limit" and order.trigger is None:
        return []  # fills at once: never rests on the book
    by_symbol, total, conditional, _ = ctx.open_orders
    plan = ctx.plan
    out = []

    def over(limit: int, count: int, what: str) -> None:
        if count > limit:
            lim, obs = str(limit), str(count)
            out.append(
                _reason(
                    rule,
                    rule.code,
                    rule.effect,
                    f"{rule.code}: limit={lim} {what}, open={obs}",
                    lim,
                    obs,
                )
            )

    if rule.max_per_symbol is not None:
        count = by_symbol.get(order.symbol, 0) + plan.resting_by_symbol.get(order.symbol, 0) + 1
        over(rule.max_per_symbol, count, f"on {order.symbol}")
    if rule.max_total is not None:
        over(rule.max_total, total + plan.resting + 1, "in all")
    if rule.max_conditional is not None and order.trigger is not None:
        over(rule.max_conditional, conditional + plan.conditional + 1, "conditional")
    return out


def _same(rule: Duplicate, order: ResolvedOrder, other: ResolvedOrder | RecentOrder) -> bool:
    for name in rule.match:
        if name == "symbol" and order.symbol != other.symbol:
            return False
        if name == "side" and order.side != other.side:
            return False
        if name == "quantity" and order.quantity != other.quantity:
            return False
        if name == "order_type" and order.order_type != other.order_type:
            return False
        if name == "limit_price" and order.limit_price != other.limit_price:
            return False
    return True


def _duplicate(
    rule: Duplicate, order: ResolvedOrder, value: Decimal | None, ctx: _Context
) -> Reason | None:
    for earlier in ctx.plan.orders:
        if _same(rule, order, earlier):
            window = format_duration(rule.window)
            return _listed(
                rule, f"same as step {earlier.step_id} of this plan", window, earlier.step_id
            )
    for recent in ctx.recent_orders(rule.window):
        if _same(rule, order, recent):
            window = format_duration(rule.window)
            ago = int((ctx.now - recent.at).total_seconds())
            return _listed(
                rule,
                f"same as an order sent {ago}s ago (window {window})",
                window,
                recent.at.isoformat(),
            )
    return None


def _first_trade(
    rule: FirstTrade, order: ResolvedOrder, value: Decimal | None, ctx: _Context
) -> Reason | None:
    if order.base in ctx.counters.assets_traded or ctx.account.total(order.base) > 0:
        return None
    return _listed(
        rule, f"first trade in {order.base} on this account", "traded before", order.base
    )


def _sell_share(
    rule: SellShare, order: ResolvedOrder, value: Decimal | None, ctx: _Context
) -> Reason | None:
    if order.side != "sell":
        return None
    holding = ctx.account.total(order.base)
    sold = ctx.plan.sells.get(order.base, ZERO) + order.quantity
    if holding <= 0:
        return _listed(
            rule,
            f"sells {fmt_exact(sold)} {order.base} with no holding",
            f"{fmt_exact(rule.max_percent)}%",
            "no holding",
        )
    share = sold * HUNDRED / holding
    if share <= rule.max_percent:
        return None
    return _over(rule, rule.max_percent, share, "%", f"share_of_{order.base}_holding")


def _plan_total(
    rule: PlanTotal, order: ResolvedOrder, value: Decimal | None, ctx: _Context
) -> Reason | None:
    if ctx.plan_total <= rule.limit:
        return None
    return _over(rule, rule.limit, ctx.plan_total, ctx.currency, "plan_total")


def _trigger_band(
    rule: TriggerBand, order: ResolvedOrder, value: Decimal | None, ctx: _Context
) -> Reason | None:
    trigger = order.trigger
    if trigger is None or ctx.firing:
        return None
    price = price_in(trigger.base, order.quote, ctx.market)
    if price is None:
        return _missing(rule, f"no price for {trigger.base} in {order.quote} to check the trigger")
    distance = abs(trigger.level - price) * HUNDRED / price
    if distance <= rule.max_distance_percent:
        return None
    return _over(
        rule,
        rule.max_distance_percent,
        distance,
        "%",
        "distance",
        f" (trigger {fmt_exact(trigger.level)} vs price {fmt_observed(price)} {order.quote})",
    )


def _schedule(
    rule: ScheduleLimits, order: ResolvedOrder, value: Decimal | None, ctx: _Context
) -> list[Reason]:
    schedule = order.schedule
    if schedule is None or ctx.firing:
        return []
    out = []
    count = schedule.count
    shown = "until stopped" if count is None else str(count)
    if rule.max_count is not None and (count is None or count > rule.max_count):
        lim = str(rule.max_count)
        out.append(
            _reason(
                rule,
                rule.code,
                rule.effect,
                f"{rule.code}: max_count={lim}, count={shown}",
                lim,
                shown,
            )
        )
    if rule.max_horizon is not None:
        horizon = None if count is None else schedule.interval * count
        if horizon is None or horizon > rule.max_horizon:
            lim = format_duration(rule.max_horizon)
            obs = "until stopped" if horizon is None else format_duration(horizon)
            out.append(
                _reason(
                    rule,
                    rule.code,
                    rule.effect,
                    f"{rule.code}: max_horizon={lim}, horizon={obs}",
                    lim,
                    obs,
                )
            )
    if rule.max_total_value is not None and value is not None:
        lim = f"{fmt_exact(rule.max_total_value)} {ctx.currency}"
        if count is None:
            out.append(
                _reason(
                    rule,
                    rule.code,
                    rule.effect,
                    f"{rule.code}: max_total_value={lim}, total=unbounded (until stopped)",
                    lim,
                    "unbounded",
                )
            )
        elif value * count > rule.max_total_value:
            obs = f"{fmt_observed(value * count)} {ctx.currency}"
            out.append(
                _reason(
                    rule,
                    rule.code,
                    rule.effect,
                    f"{rule.code}: max_total_value={lim}, total={obs}",
                    lim,
                    obs,
                )
            )
    return out


def _throttle(
    rule: ExecutionThrottle, order: ResolvedOrder, value: Decimal | None, ctx: _Context
) -> Reason | None:
    if ctx.plan_id is not None and ctx.plan_id in ctx.counters.tripped_throttles:
        lim = f"{rule.max_executions} per {format_duration(rule.window)}"
        return _reason(
            rule,
            rule.code,
            rule.effect,
            f"{rule.code}: tripped for plan {ctx.plan_id}; "
            "it stays tripped until a named person resets it",
            lim,
            "tripped",
        )
    count = ctx.executions(rule.window) + 1  # this run of the plan
    schedule = order.schedule
    if schedule is not None and not ctx.firing:
        per_window = -(-rule.window // schedule.interval)  # ceiling: runs that fit in one window
        if schedule.count is not None:
            per_window = min(per_window, schedule.count)
        count = max(count, per_window)
    if count <= rule.max_executions:
        return None
    window = format_duration(rule.window)
    lim, obs = f"{rule.max_executions} per {window}", f"{count} per {window}"
    return _reason(
        rule, rule.code, rule.effect, f"{rule.code}: limit={lim}, executions={obs}", lim, obs
    )


def _balance(
    rule: Balance, order: ResolvedOrder, value: Decimal | None, ctx: _Context
) -> Reason | None:
    if order.trigger is not None:
        return None
    if order.side == "buy":
        asset, need = order.quote, order.notional
    else:
        asset, need = order.base, order.quantity
    plan = ctx.plan
    available = (
        ctx.account.free(asset) + plan.received.get(asset, ZERO) - plan.spent.get(asset, ZERO)
    )
    if need <= available:
        return None
    lim, obs = f"{fmt_observed(max(available, ZERO))} {asset}", f"{fmt_observed(need)} {asset}"
    return _reason(rule, rule.code, rule.effect, f"{rule.code}: free={lim}, needed={obs}", lim, obs)


def _breaker(
    rule: LossBreaker, order: ResolvedOrder, value: Decimal | None, ctx: _Context
) -> Reason | None:
    counters = ctx.counters
    tripped: list[str] = []
    limits: list[str] = []
    if rule.max_daily_loss is not None and counters.realised_loss_today > rule.max_daily_loss:
        limits.append(f"max_daily_loss={fmt_exact(rule.max_daily_loss)} {ctx.currency}")
        tripped.append(f"loss={fmt_observed(counters.realised_loss_today)} {ctx.currency}")
    if (
        rule.max_drawdown_percent is not None
        and counters.drawdown_percent > rule.max_drawdown_percent
    ):
        limits.append(f"max_drawdown={fmt_exact(rule.max_drawdown_percent)}%")
        tripped.append(f"drawdown={fmt_observed(counters.drawdown_percent)}%")
    if not tripped or not ctx.blocked_by_state(order, rule.trips_to):
        return None
    lim, obs = ", ".join(limits), ", ".join(tripped)
    what = "only orders that shrink a position" if rule.trips_to == "REDUCING" else "only cancels"
    return _reason(
        rule,
        rule.code,
        rule.effect,
        f"{rule.code}: {lim}, {obs}; trading is {rule.trips_to}: {what} go through",
        lim,
        obs,
    )


CHECKS: dict[type[RuleBase], Check] = {
    PriceCollar: _collar,  # type: ignore[dict-item]
    MaxOrderValue: _max_value,  # type: ignore[dict-item]
    MaxOrderQuantity: _max_quantity,  # type: ignore[dict-item]
    DailyNotional: _daily,  # type: ignore[dict-item]
    MaxPosition: _position,  # type: ignore[dict-item]
    Concentration: _concentration,  # type: ignore[dict-item]
    AllowedSymbols: _allowed_symbols,  # type: ignore[dict-item]
    DeniedSymbols: _denied_symbols,  # type: ignore[dict-item]
    AllowedOrderTypes: _order_types,  # type: ignore[dict-item]
    AllowedAccounts: _accounts,  # type: ignore[dict-item]
    MessageRate: _message_rate,  # type: ignore[dict-item]
    OpenOrders: _open_orders,  # type: ignore[dict-item]
    Duplicate: _duplicate,  # type: ignore[dict-item]
    FirstTrade: _first_trade,  # type: ignore[dict-item]
    SellShare: _sell_share,  # type: ignore[dict-item]
    PlanTotal: _plan_total,  # type: ignore[dict-item]
    TriggerBand: _trigger_band,  # type: ignore[dict-item]
    ScheduleLimits: _schedule,  # type: ignore[dict-item]
    ExecutionThrottle: _throttle,  # type: ignore[dict-item]
    Balance: _balance,  # type: ignore[dict-item]
    LossBreaker: _breaker,  # type: ignore[dict-item]
}


# --- built-in checks --------------------------------------------------------------------


def _venue(order: ResolvedOrder, ctx: _Context) -> list[Reason]:
    rules = ctx.market.rules.get(order.symbol)
    if rules is None:
        return [
            _reason(
                RULE_VENUE, "VENUE_NO_MARKET", "deny", f"VENUE_NO_MARKET: no market {order.symbol}"
            )
        ]
    out: list[Reason] = []
    base, quote = order.base, order.quote
    qty = fmt_exact(order.quantity)
    notional = fmt_observed(order.notional)

    def bad(code: str, limit: str, observed: str, what: str) -> None:
        out.append(_reason(RULE_VENUE, code, "deny", f"{code}: {what}", limit, observed))

    if not rules.trading:
        bad("VENUE_CLOSED", "trading", "closed", f"{order.symbol} is not trading")
    step = fmt_exact(rules.step_size)
    if order.quantity % rules.step_size:
        bad("VENUE_OFF_STEP", step, qty, f"quantity {qty} is not a multiple of the step {step}")
    if order.quantity < rules.min_qty:
        least = fmt_exact(rules.min_qty)
        bad("VENUE_MIN_QTY", least, qty, f"minimum={least} {base}, quantity={qty} {base}")
    if rules.max_qty is not None and order.quantity > rules.max_qty:
        most = fmt_exact(rules.max_qty)
        bad("VENUE_MAX_QTY", most, qty, f"limit={most} {base}, quantity={qty} {base}")
    if order.limit_price is not None and order.limit_price % rules.tick_size:
        price, tick = fmt_exact(order.limit_price), fmt_exact(rules.tick_size)
        bad("VENUE_OFF_TICK", tick, price, f"limit price {price} is not on the tick {tick}")
    if order.notional < rules.min_notional:
        least = fmt_exact(rules.min_notional)
        bad(
            "VENUE_MIN_NOTIONAL",
            least,
            notional,
            f"minimum={least} {quote}, notional={notional} {quote}",
        )
    if rules.max_notional is not None and order.notional > rules.max_notional:
        most = fmt_exact(rules.max_notional)
        bad(
            "VENUE_MAX_NOTIONAL",
            most,
            notional,
            f"limit={most} {quote}, notional={notional} {quote}",
        )
    return out


def _state(order: ResolvedOrder, ctx: _Context) -> Reason | None:
    if not ctx.blocked_by_state(order, ctx.state):
        return None
    if ctx.state == "HALTED":
        return _reason(
            RULE_TRADING_STATE,
            "TRADING_HALTED",
            "deny",
            "TRADING_HALTED: trading is HALTED; only cancels go through",
            "HALTED",
            order.side,
        )
    return _reason(
        RULE_TRADING_STATE,
        "TRADING_REDUCING",
        "deny",
        "TRADING_REDUCING: trading is REDUCING; only orders that shrink a position go through",
        "REDUCING",
        order.side,
    )


def _decide_order(order: ResolvedOrder, ctx: _Context) -> list[Reason]:
    reasons: list[Reason] = []
    state = _state(order, ctx)
    if state is not None:
        reasons.append(state)
    reasons.extend(_venue(order, ctx))
    value = ctx.value(order)
    if value is None:
        reasons.append(
            _reason(
                RULE_VALUATION,
                "NO_VALUATION",
                "deny",
                f"NO_VALUATION: cannot value {order.quote} in the policy currency {ctx.currency}",
            )
        )
    symbol, side, order_type = order.symbol, order.side, order.order_type
    for rule, check, scope in ctx.checks:
        if scope is not None and not scope.matches(symbol, side, order_type):
            continue
        found = check(rule, order, value, ctx)
        if found is None:
            continue
        if isinstance(found, list):
            reasons.extend(found)
        else:
            reasons.append(found)
    ctx.record(order, value)
    return reasons


def _decide_cancel(cancel: ResolvedCancel, ctx: _Context) -> list[Reason]:
    symbols = {o.symbol for o in ctx.account.open_orders if o.order_id in cancel.order_ids}
    messages = max(1, len(symbols))  # one cancel-all request per market
    reasons = []
    for rule in ctx.policy.rules:
        if isinstance(rule, MessageRate):
            found = _rate(rule, messages, ctx)
            if found is not None:
                reasons.append(found)
    ctx.plan.messages += messages
    return reasons


def evaluate(
    steps: Sequence[ResolvedStep],
    *,
    policy: Policy,
    account: AccountSnapshot,
    market: MarketData,
    counters: Counters,
    now: datetime,
    plan_id: str | None = None,
    firing: bool = False,
) -> tuple[StepDecision, ...]:
    """Decide every step of one plan, in order.

    ``counters`` carries the history before this plan; ``plan_id`` (when the plan
    is recorded) lets the execution throttle count earlier executions of the same
    plan or schedule; ``firing`` is for re-checking a conditional order when its
    trigger fires.
    """
    ctx = _Context(policy, account, market, counters, now, plan_id, firing)
    for step in steps:
        if isinstance(step, ResolvedOrder):
            value = ctx.value(step)
            ctx.plan_total += value or ZERO
    stamp: PolicyStamp = policy.stamp
    default = policy.default_decision
    default_rank = SEVERITY[default]
    decisions = []
    for step in steps:
        if isinstance(step, ResolvedQuery):
            reasons: list[Reason] = []
            decision: Verdict = "allow"
        elif isinstance(step, ResolvedCancel):
            reasons = _decide_cancel(step, ctx)
            decision = _strictest(reasons, "allow")
        elif isinstance(step, ResolvedOrder):
            reasons = _decide_order(step, ctx)
            decision = _strictest(reasons, "allow")
            if SEVERITY[decision] < default_rank:
                why = "no rule applies" if not reasons else "rules that apply ask for less"
                reasons.append(
                    _reason(
                        RULE_DEFAULT,
                        "DEFAULT_DECISION",
                        default,
                        f"DEFAULT_DECISION: {why}; the policy's default is {default}",
                        default,
                        decision,
                    )
                )
                decision = default
        else:
            reasons = [_reason(RULE_RESOLUTION, step.code, "deny", f"{step.code}: {step.reason}")]
            decision = "deny"
        decisions.append(
            StepDecision(
                step_id=step.step_id,
                decision=decision,
                reasons=tuple(reasons),
                policy=stamp,
                decided_at=now,
            )
        )
    return tuple(decisions)


def _strictest(reasons: list[Reason], start: Verdict) -> Verdict:
    worst = start
    for reason in reasons:
        if SEVERITY[reason.effect] > SEVERITY[worst]:
            worst = reason.effect
    return worst
