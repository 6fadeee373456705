"""The state of one evaluation and the wording of reasons: shared by the checks."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal

from foundation.display import MAX_SHOWN_PLACES, number
from intent.market import AccountSnapshot, MarketData
from intent.resolved import ResolvedOrder
from intent.valuation import price_in, value_in
from policy.counters import Counters, RecentOrder
from policy.decision import Reason, Verdict
from policy.model import STATE_SEVERITY, Policy, RuleBase, TradingState

ZERO = Decimal(0)


# --- formatting -----------------------------------------------------------------------


def fmt_exact(value: Decimal) -> str:
    """A limit or an order's own figure, exactly as it is: ``1000``, ``0.5``."""
    return number(value, places=MAX_SHOWN_PLACES, group=False)


def fmt_observed(value: Decimal, limit: Decimal | None = None) -> str:
    """An observed value: two decimals when more are not needed, rounded half-even and
    marked ``~`` when rounded; never rounded onto or across ``limit`` (2.00001 BTC over a
    2 BTC limit shows as ``2.00001``, not ``2`` or ``2.01``)."""
    return number(value, places=2, limit=limit, group=False)


# --- evaluation context ---------------------------------------------------------------


@dataclass
class PlanSoFar:
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
    # what every order of the plan gives and gets, triggered ones included (positions)
    given: dict[str, Decimal] = field(default_factory=dict)
    acquired: dict[str, Decimal] = field(default_factory=dict)


def exchange(order: ResolvedOrder) -> tuple[str, Decimal, str, Decimal]:
    """What an order gives and what it gets: ``(gives, amount, gets, amount)``.

    A buy on BASE/QUOTE gives QUOTE and gets BASE; a sell gives BASE and gets QUOTE.
    Selling SOL on SOL/BTC gets BTC exactly as buying BTC/USDT does: positions and
    concentration follow the asset an order gets, whatever side of the pair it is on.
    """
    if order.side == "buy":
        return order.quote, order.notional, order.base, order.quantity
    return order.base, order.quantity, order.quote, order.notional


class Context:
    """One evaluation: the inputs, lazily computed aggregates, and the plan so far."""

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
        self.plan = PlanSoFar()
        self.plan_total = ZERO
        self._prices: dict[str, Decimal | None] = {}
        self._portfolio: Decimal | None = None
        self._windows: dict[tuple[str, timedelta], int] = {}
        self._daily: Decimal | None = None
        self._open: tuple[dict[str, int], int, int, dict[str, Decimal]] | None = None
        self._recent: dict[tuple[str, timedelta], list[RecentOrder]] = {}
        state = policy.trading_state
        if STATE_SEVERITY[counters.trading_state] > STATE_SEVERITY[state]:
            state = counters.trading_state
        self.state: TradingState = state

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
        """Resting orders per symbol, in all, conditional ones; what open orders would get
        per asset (a buy's remaining base quantity; a sell's remaining quantity times its
        price, or the market's mid for a sell without one, in the quote asset)."""
        if self._open is None:
            by_symbol: dict[str, int] = {}
            conditional = 0
            buys: dict[str, Decimal] = {}
            for order in self.account.open_orders:
                by_symbol[order.symbol] = by_symbol.get(order.symbol, 0) + 1
                conditional += order.conditional
                base, _, quote = order.symbol.partition("/")
                if order.side == "buy":
                    buys[base] = buys.get(base, ZERO) + order.remaining
                else:
                    price = order.price
                    if price is None:
                        current = self.market.quotes.get(order.symbol)
                        price = current.mid if current is not None else None
                    if price is not None:
                        buys[quote] = buys.get(quote, ZERO) + order.remaining * price
            for pending in self.counters.pending:
                by_symbol[pending.symbol] = by_symbol.get(pending.symbol, 0) + 1
                conditional += pending.conditional
            total = len(self.account.open_orders) + len(self.counters.pending)
            self._open = (by_symbol, total, conditional, buys)
        return self._open

    def blocked_by_state(self, order: ResolvedOrder, state: str) -> bool:
        """Whether ``state`` stops the order.

        HALTED stops every order; REDUCING every order that grows a position: one that
        gets anything but the policy currency (buying BTC/USDT, and selling SOL on
        SOL/BTC alike), or gives more of an asset than the account holds (the plan's
        earlier orders counted).
        """
        if state == "HALTED":
            return True
        if state == "REDUCING":
            gives, amount, gets, _ = exchange(order)
            if gets != self.currency:
                return True
            given = self.plan.given.get(gives, ZERO) + amount
            return given > self.account.total(gives)
        return False

    def record(self, order: ResolvedOrder, value: Decimal | None) -> None:
        plan = self.plan
        plan.orders.append(order)
        plan.notional += value or ZERO
        plan.messages += 1
        book = plan.buys if order.side == "buy" else plan.sells
        book[order.base] = book.get(order.base, ZERO) + order.quantity
        gives, out, gets, back = exchange(order)
        plan.given[gives] = plan.given.get(gives, ZERO) + out
        plan.acquired[gets] = plan.acquired.get(gets, ZERO) + back
        # a firing order no longer waits on its trigger: it is sent now
        waiting = order.trigger is not None and not self.firing
        if order.order_type == "limit" or waiting:
            plan.resting += 1
            plan.resting_by_symbol[order.symbol] = plan.resting_by_symbol.get(order.symbol, 0) + 1
            plan.conditional += waiting
        if not waiting:
            plan.spent[gives] = plan.spent.get(gives, ZERO) + out
            plan.received[gets] = plan.received.get(gets, ZERO) + back


def make_reason(
    rule: RuleBase | str,
    code: str,
    effect: Verdict,
    message: str,
    limit: str | None = None,
    observed: str | None = None,
) -> Reason:
    rule_id = rule if isinstance(rule, str) else rule.id
    # every field is a str (or None) built right here from validated values, and the
    # effect is a Verdict by type: validating again costs ~15% of a busy plan's time
    return Reason.model_construct(
        rule=rule_id, code=code, effect=effect, limit=limit, observed=observed, message=message
    )


def over_limit(
    rule: RuleBase, limit: Decimal, observed: Decimal, unit: str, name: str, extra: str = ""
) -> Reason:
    suffix = unit if unit in ("", "%") else f" {unit}"
    lim, obs = f"{fmt_exact(limit)}{suffix}", f"{fmt_observed(observed, limit)}{suffix}"
    return make_reason(
        rule,
        rule.code,
        rule.effect,
        f"{rule.code}: limit={lim}, {name}={obs}{extra}",
        lim,
        obs,
    )


def missing_data(rule: RuleBase, what: str) -> Reason:
    return make_reason(rule, rule.code, "deny", f"{rule.code}: {what} (fails closed)", None, None)
