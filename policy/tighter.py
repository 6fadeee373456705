"""Search generated situations for one a NEW policy decides more permissively than OLD.

:func:`find_loosening` draws situations with hypothesis (orders on the markets both
policies name, quotes with a spread and a last trade apart, balances, history,
trading state, losses) and shrinks the first one where NEW gives a step a less strict
decision than OLD to a small counter-example. Deterministic (``derandomize``) and
without hypothesis's example database: the same policies give the same answer.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import TypeVar

from hypothesis import HealthCheck, Phase, find, settings
from hypothesis import strategies as st
from hypothesis.errors import NoSuchExample

from intent.market import AccountSnapshot, Balance, MarketData, Quote
from intent.resolve import order_as_given
from intent.resolved import ResolvedOrder, ResolvedStep
from intent.valuation import price_in, round_down
from policy.counters import Counters, RecentOrder
from policy.lifecycle import Loosening, compare
from policy.model import Policy

__all__ = ["Case", "find_loosening", "named_symbols", "value_marks"]

T = TypeVar("T")
Case = tuple[tuple[ResolvedStep, ...], AccountSnapshot, MarketData, Counters]


def named_symbols(*policies: Policy) -> set[str]:
    """Markets the policies name in scopes, per-symbol tables and lists (wildcards left out)."""
    out: set[str] = set()
    for policy in policies:
        for rule in policy.rules:
            for pattern in rule.scope.symbols or ():
                out.add(pattern)
            out.update(getattr(rule, "per_symbol", {}) or {})
            out.update(getattr(rule, "symbols", ()) or ())
    return {s for s in out if "*" not in s and "?" not in s}


def value_marks(*policies: Policy) -> list[Decimal]:
    """The amounts the policies' thresholds name: values near them are where decisions flip."""
    out: set[Decimal] = set()
    for policy in policies:
        for rule in policy.rules:
            for threshold in rule.thresholds(rule.map_keys()).values():
                value = threshold.value
                if isinstance(value, Decimal) and value > 0:
                    out.add(value)
    return sorted(out)


def changed_marks(old: Policy, new: Policy) -> list[Decimal]:
    """The amounts of thresholds that differ between the two policies (rule by rule id)."""
    before = {r.id: r for r in old.rules}
    out: set[Decimal] = set()
    for rule in new.rules:
        was = before.get(rule.id)
        if was is None or was.kind != rule.kind:
            continue
        keys = was.map_keys() | rule.map_keys()
        mine, theirs = rule.thresholds(keys), was.thresholds(keys)
        for name, threshold in mine.items():
            other = theirs.get(name)
            if other is None or other.value == threshold.value:
                continue
            for value in (threshold.value, other.value):
                if isinstance(value, Decimal) and value > 0:
                    out.add(value)
    return sorted(out)


def _often(value: T, strategy: st.SearchStrategy[T]) -> st.SearchStrategy[T]:
    """``value`` about two times in three, else a draw from ``strategy``."""
    return st.one_of(st.just(value), st.just(value), strategy)


def _cases(
    market: MarketData,
    symbols: list[str],
    currency: str,
    now: datetime,
    marks: list[Decimal],
    changed: list[Decimal],
) -> st.SearchStrategy[Case]:
    near = st.builds(
        lambda mark, factor: mark * factor,
        st.sampled_from(marks or [Decimal(1000)]),
        st.sampled_from(
            [Decimal("0.5"), Decimal("0.99"), Decimal(1), Decimal("1.01"), Decimal("1.3")]
        ),
    )
    factors = st.sampled_from(
        [Decimal("0.5"), Decimal("0.99"), Decimal(1), Decimal("1.01"), Decimal("1.3")]
    )
    near_changed = st.builds(
        lambda mark, factor: mark * factor,
        st.sampled_from(changed or marks or [Decimal(1000)]),
        factors,
    )
    values = st.one_of(near_changed, near_changed, near, st.integers(5, 120_000).map(Decimal))

    @st.composite
    def build(draw: st.DrawFn) -> Case:
        quotes = dict(market.quotes)
        steps: list[ResolvedStep] = []
        bases: set[str] = set()
        count = draw(st.integers(1, 3))
        picked = [draw(st.sampled_from(symbols)) for _ in range(count)]
        for symbol in sorted(set(picked)):
            start = market.quotes[symbol]
            mid = start.mid * Decimal(draw(st.integers(50, 150))) / 100
            spread = Decimal(draw(st.integers(0, 300))) / 20000
            last = mid * (1 + Decimal(draw(st.integers(-50, 50))) / 1000)
            quotes[symbol] = Quote(
                symbol=symbol, bid=mid * (1 - spread), ask=mid * (1 + spread), last=last, time=now
            )
        priced = MarketData(rules=market.rules, quotes=quotes)
        balances: dict[str, Balance] = {
            currency: Balance(asset=currency, free=Decimal(draw(st.integers(0, 500_000))))
        }
        for number, symbol in enumerate(picked):
            rules = market.rules[symbol]
            bases.add(rules.base)
            quote = quotes[symbol]
            value = draw(values)
            per_unit = price_in(rules.base, currency, priced) or quote.mid
            quantity = round_down(value / per_unit, rules.step_size)
            if quantity < max(rules.min_qty, rules.step_size):
                quantity = max(rules.min_qty, rules.step_size)
            limit = None
            if draw(st.booleans()):
                deviation = Decimal(draw(st.integers(-250, 250))) / 1000
                if draw(st.booleans()):
                    deviation = Decimal(draw(st.integers(-30, 30))) / 1000
                limit = round_down(quote.mid * (1 + deviation), rules.tick_size)
                if limit <= 0:
                    limit = rules.tick_size
            held_value = draw(
                st.sampled_from([Decimal(0), value * 3, Decimal(draw(st.integers(0, 200_000)))])
            )
            held = held_value / per_unit
            for asset in (rules.base, rules.quote):
                if asset not in balances:
                    amount = held if asset == rules.base else Decimal(draw(st.integers(0, 10)))
                    balances[asset] = Balance(asset=asset, free=round_down(amount, Decimal("1e-8")))
            account = AccountSnapshot(
                account_id="generated", venue="paper", balances=balances, taken_at=now
            )
            step = order_as_given(
                sid=f"s{number + 1}",
                symbol=symbol,
                side=draw(st.sampled_from(["buy", "sell"])),
                quantity=quantity,
                limit_price=limit,
                account=account,
                market=priced,
                index=number,
            )
            steps.append(step)
        account = AccountSnapshot(
            account_id="generated", venue="paper", balances=balances, taken_at=now
        )
        used = Decimal(draw(_often(0, st.integers(0, 150_000))))
        history: tuple[RecentOrder, ...] = ()
        if used > 0:
            history = (
                RecentOrder(
                    symbol=picked[0],
                    side="buy",
                    order_type="market",
                    quantity=Decimal(1),
                    notional=used,
                    at=now - timedelta(minutes=draw(st.integers(1, 300))),
                ),
            )
        counters = Counters(
            orders=history,
            messages=tuple(
                now - timedelta(seconds=s)
                for s in draw(_often([], st.lists(st.integers(1, 120), max_size=30)))
            ),
            assets_traded=frozenset(
                sorted(bases)
                if draw(st.integers(0, 3))
                else draw(st.sets(st.sampled_from(sorted(bases))))
            ),
            trading_state=draw(st.sampled_from(["ACTIVE"] * 6 + ["REDUCING", "HALTED"])),
            realised_loss_today=Decimal(draw(_often(0, st.integers(0, 20_000)))),
            drawdown_percent=Decimal(draw(_often(0, st.integers(0, 30)))),
        )
        return tuple(steps), account, priced, counters

    return build()


def find_loosening(
    old: Policy,
    new: Policy,
    market: MarketData,
    now: datetime,
    *,
    max_examples: int = 400,
) -> Loosening | None:
    """A generated situation where ``new`` is more permissive than ``old``, shrunk; or None."""
    available = sorted(s for s in market.rules if s in market.quotes)
    named = sorted(named_symbols(old, new) & set(available))
    symbols = named + [s for s in available if s not in named][: max(4, 12 - len(named))]
    strategy = _cases(
        market, symbols, old.currency, now, value_marks(old, new), changed_marks(old, new)
    )

    def loosened(case: Case) -> bool:
        return _compare(old, new, case, now) is not None

    config = settings(
        max_examples=max_examples,
        database=None,
        derandomize=True,
        deadline=None,
        phases=[Phase.generate, Phase.shrink],
        suppress_health_check=list(HealthCheck),
    )
    try:
        case = find(strategy, loosened, settings=config)
    except NoSuchExample:
        return None
    return _compare(old, new, case, now)


def _compare(old: Policy, new: Policy, case: Case, now: datetime) -> Loosening | None:
    steps, account, market, counters = case
    orders = [s for s in steps if isinstance(s, ResolvedOrder)]
    described = "; ".join(
        f"{o.side} {o.quantity} {o.symbol}"
        + (f" limit {o.limit_price}" if o.limit_price is not None else "")
        for o in orders
    )
    quotes = "; ".join(
        f"{o.symbol} bid {market.quotes[o.symbol].bid:.6g} ask {market.quotes[o.symbol].ask:.6g} "
        f"last {market.quotes[o.symbol].last:.6g}"
        for o in orders
    )
    balances = ", ".join(f"{b.total.normalize():f} {a}" for a, b in account.balances.items())
    source = (
        f"generated: {described or 'no orders'}; quotes {quotes}; holding {balances}; "
        f"trading {counters.trading_state}, loss today {counters.realised_loss_today}, "
        f"drawdown {counters.drawdown_percent}%, {len(counters.messages)} recent messages"
    )
    return compare(
        old,
        new,
        steps=steps,
        account=account,
        market=market,
        counters=counters,
        now=now,
        plan_id=None,
        source=source,
    )
