"""Every rule of the catalogue at, just under and just over its limit.

Each case is a one-rule policy and a situation built for one level of the observed
value. A limit is the largest value allowed: the rule applies only above it (for a
time window the other way round: inside it). ``configs/policy-tests/`` does the same
for the shipped policy through ``signoff policy test``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal

import pytest

from intent.market import AccountSnapshot, MarketData, OpenOrder
from intent.plan import Schedule, Trigger
from intent.resolved import ResolvedStep
from policy.counters import Counters, Execution, PendingOrder, RecentOrder
from policy.model import RULE_KINDS
from tests.policy.policy_helpers import (
    NOW,
    account,
    decide,
    flat_market,
    order,
    policy_from,
    rules_of,
)

SOL = flat_market({"SOL/USDT": "100"})


@dataclass
class Situation:
    steps: list[ResolvedStep]
    acct: AccountSnapshot
    market: MarketData = field(default_factory=lambda: SOL)
    counters: Counters = field(default_factory=Counters)
    plan_id: str | None = None


@dataclass
class Case:
    name: str
    kind: str
    params: str
    levels: tuple[str, str, str]
    build: Callable[[str], Situation]
    code: str
    applies: tuple[bool, bool, bool] = (False, False, True)
    step: str = "s1"


RICH = {"USDT": "100000", "SOL": "10"}


def buy(q: str, **kw: object) -> Callable[[AccountSnapshot], ResolvedStep]:
    return lambda acct: order("SOL/USDT", "buy", q, acct=acct, market=SOL, **kw)  # type: ignore[arg-type]


def simple(q: str, balances: dict[str, str] = RICH, **kw: object) -> Situation:
    acct = account(balances)
    return Situation([buy(q, **kw)(acct)], acct)


def with_counters(q: str, counters: Counters, balances: dict[str, str] = RICH) -> Situation:
    acct = account(balances)
    return Situation([buy(q)(acct)], acct, counters=counters)


def _open_sol(n: int, *, conditional: bool = False) -> tuple[OpenOrder, ...]:
    return tuple(
        OpenOrder(
            order_id=f"o{i}",
            symbol="SOL/USDT",
            side="buy",
            order_type="limit",
            price=Decimal(90),
            quantity=Decimal(1),
            conditional=conditional,
        )
        for i in range(n)
    )


def _messages(n: str) -> Counters:
    return Counters(messages=tuple(NOW - timedelta(seconds=i + 1) for i in range(int(n))))


def _open_orders(n: str) -> Situation:
    acct = account(RICH, open_orders=_open_sol(int(n)))
    return Situation([buy("1", limit="95")(acct)], acct)


def _open_total(n: str) -> Situation:
    acct = account(RICH)
    pending = tuple(PendingOrder(symbol="BTC/USDT") for _ in range(int(n)))
    return Situation([buy("1", limit="95")(acct)], acct, counters=Counters(pending=pending))


def _conditional(n: str) -> Situation:
    acct = account(RICH, open_orders=_open_sol(int(n), conditional=True))
    step = order(
        "SOL/USDT", "sell", "1", acct=acct, market=SOL, trigger=Trigger(base="SOL", below=90)
    )
    return Situation([step], acct)


def _duplicate(age: str) -> Situation:
    recent = RecentOrder(
        symbol="SOL/USDT",
        side="buy",
        order_type="market",
        quantity=Decimal(1),
        notional=Decimal(100),
        at=NOW - timedelta(seconds=int(age)),
    )
    return with_counters("1", Counters(orders=(recent,)))


def _daily(q: str) -> Situation:
    recent = RecentOrder(
        symbol="BTC/USDT",
        side="buy",
        order_type="market",
        quantity=Decimal(1),
        notional=Decimal(900),
        at=NOW - timedelta(hours=1),
    )
    return with_counters(q, Counters(orders=(recent,)))


def _position(q: str) -> Situation:
    acct = account({"USDT": "100000", "SOL": "5"}, open_orders=_open_sol(2))
    return Situation([buy(q)(acct)], acct)


def _sell(q: str) -> Situation:
    acct = account(RICH)
    return Situation([order("SOL/USDT", "sell", q, acct=acct, market=SOL)], acct)


def _plan(q: str) -> Situation:
    acct = account(RICH)
    return Situation([buy("5")(acct), buy(q, sid="s2")(acct)], acct)


def _trigger(level: str) -> Situation:
    acct = account(RICH)
    trigger = Trigger(base="SOL", below=Decimal(level))
    return Situation([order("SOL/USDT", "sell", "1", acct=acct, market=SOL, trigger=trigger)], acct)


def _schedule(every: str, count: str, q: str = "1") -> Situation:
    acct = account(RICH)
    schedule = Schedule(every=every, count=int(count))
    return Situation([buy(q, schedule=schedule)(acct)], acct)


def _executions(n: str) -> Situation:
    runs = tuple(
        Execution(plan_id="p-1", at=NOW - timedelta(minutes=5 * (i + 1))) for i in range(int(n))
    )
    situation = with_counters("1", Counters(executions=runs))
    situation.plan_id = "p-1"
    return situation


CASES = [
    Case(
        "collar",
        "price_collar",
        'max_deviation_percent = "2"',
        ("101.99", "102", "102.01"),
        lambda x: simple("1", limit=x),
        "PRICE_COLLAR",
    ),
    Case(
        "collar, sell side",
        "price_collar",
        'max_deviation_percent = "5"\nsell_max_deviation_percent = "2"',
        ("98.01", "98", "97.99"),
        lambda x: Situation(
            [order("SOL/USDT", "sell", "1", acct=account(RICH), market=SOL, limit=x)],
            account(RICH),
        ),
        "PRICE_COLLAR",
    ),
    Case(
        "order value",
        "max_order_value",
        'limit = "1000"',
        ("9.999", "10", "10.001"),
        simple,
        "MAX_ORDER_VALUE",
    ),
    Case(
        "order value per symbol",
        "max_order_value",
        'limit = "5000"\nper_symbol = { "SOL/USDT" = "1000" }',
        ("9.999", "10", "10.001"),
        simple,
        "MAX_ORDER_VALUE",
    ),
    Case(
        "order quantity",
        "max_order_quantity",
        'per_symbol = { "SOL/USDT" = "5" }',
        ("4.999", "5", "5.001"),
        simple,
        "MAX_ORDER_QUANTITY",
    ),
    Case(
        "daily notional",
        "daily_notional",
        'limit = "1000"',
        ("0.999", "1", "1.001"),
        _daily,
        "DAILY_NOTIONAL",
    ),
    Case(
        "daily share of portfolio",
        "daily_notional",
        'max_percent_of_portfolio = "10"',
        ("9.999", "10", "10.001"),
        lambda q: simple(q, {"USDT": "10000"}),
        "DAILY_NOTIONAL",
    ),
    Case(
        "position",
        "max_position",
        'limit = "1000"',
        ("2.999", "3", "3.001"),
        _position,
        "MAX_POSITION",
    ),
    Case(
        "concentration",
        "concentration",
        'max_percent = "50"',
        ("4.999", "5", "5.001"),
        lambda q: simple(q, {"USDT": "1000"}),
        "CONCENTRATION",
    ),
    Case(
        "message rate",
        "message_rate",
        'max_messages = 5\nwindow = "1m"',
        ("3", "4", "5"),
        lambda n: with_counters("1", _messages(n)),
        "MESSAGE_RATE",
    ),
    Case(
        "open orders per symbol",
        "open_orders",
        "max_per_symbol = 3",
        ("1", "2", "3"),
        _open_orders,
        "OPEN_ORDERS",
    ),
    Case(
        "open orders in all",
        "open_orders",
        "max_total = 3",
        ("1", "2", "3"),
        _open_total,
        "OPEN_ORDERS",
    ),
    Case(
        "conditional orders",
        "open_orders",
        "max_conditional = 3",
        ("1", "2", "3"),
        _conditional,
        "OPEN_ORDERS",
    ),
    Case(
        "duplicate window",
        "duplicate",
        'window = "60s"',
        ("59", "60", "61"),
        _duplicate,
        "DUPLICATE_ORDER",
        applies=(True, False, False),
    ),
    Case(
        "sell share",
        "sell_share",
        'max_percent = "50"',
        ("4.999", "5", "5.001"),
        _sell,
        "SELL_SHARE",
    ),
    Case(
        "plan total",
        "plan_total",
        'limit = "1000"',
        ("4.999", "5", "5.001"),
        _plan,
        "PLAN_TOTAL",
    ),
    Case(
        "trigger band",
        "trigger_band",
        'max_distance_percent = "30"',
        ("70.01", "70", "69.99"),
        _trigger,
        "TRIGGER_BAND",
    ),
    Case(
        "schedule count",
        "schedule_limits",
        "max_count = 10",
        ("9", "10", "11"),
        lambda n: _schedule("1h", n),
        "SCHEDULE_LIMITS",
    ),
    Case(
        "schedule horizon",
        "schedule_limits",
        'max_horizon = "10d"',
        ("9", "10", "11"),
        lambda n: _schedule("1d", n),
        "SCHEDULE_LIMITS",
    ),
    Case(
        "schedule total",
        "schedule_limits",
        'max_total_value = "1000"',
        ("9", "10", "11"),
        lambda n: _schedule("1d", n),
        "SCHEDULE_LIMITS",
    ),
    Case(
        "execution throttle",
        "execution_throttle",
        'max_executions = 3\nwindow = "1h"',
        ("1", "2", "3"),
        _executions,
        "EXECUTION_THROTTLE",
    ),
    Case(
        "balance",
        "balance",
        "",
        ("9.999", "10", "10.001"),
        lambda q: simple(q, {"USDT": "1000"}),
        "INSUFFICIENT_BALANCE",
    ),
    Case(
        "loss breaker, daily loss",
        "loss_breaker",
        'max_daily_loss = "100"\ntrips_to = "REDUCING"',
        ("99.99", "100", "100.01"),
        lambda loss: with_counters("1", Counters(realised_loss_today=Decimal(loss))),
        "LOSS_BREAKER",
    ),
    Case(
        "loss breaker, drawdown",
        "loss_breaker",
        'max_drawdown_percent = "10"\ntrips_to = "HALTED"',
        ("9.99", "10", "10.01"),
        lambda dd: with_counters("1", Counters(drawdown_percent=Decimal(dd))),
        "LOSS_BREAKER",
    ),
]

LEVELS = ("just under", "at", "just over")


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
@pytest.mark.parametrize("level", [0, 1, 2], ids=LEVELS)
def test_rule_at_under_and_over_its_limit(case: Case, level: int) -> None:
    policy = policy_from(
        f'\n[[rule]]\nid = "r"\nkind = "{case.kind}"\neffect = "escalate"\n{case.params}\n'
    )
    situation = case.build(case.levels[level])
    decisions = decide(
        policy,
        situation.steps,
        acct=situation.acct,
        market=situation.market,
        counters=situation.counters,
        plan_id=situation.plan_id,
    )
    decision = next(d for d in decisions if d.step_id == case.step)
    if case.applies[level]:
        assert decision.decision == "escalate", decision.reasons
        assert rules_of(decision) == {"r"}
        assert {r.code for r in decision.reasons} == {case.code}
        reason = decision.reasons[0]
        assert reason.message.startswith(f"{case.code}: ")
        assert reason.limit is not None
        assert reason.observed is not None
    else:
        assert decision.decision == "allow", decision.reasons
        assert decision.reasons == ()


def test_every_kind_with_a_threshold_has_boundary_cases() -> None:
    # the rest are yes/no rules, tested in test_policy_engine.py
    binary = {"allowed_symbols", "denied_symbols", "allowed_order_types", "allowed_accounts"}
    binary |= {"first_trade"}
    assert {c.kind for c in CASES} == set(RULE_KINDS) - binary


def test_reason_message_reads_rule_code_limit_and_observed_value() -> None:
    policy = policy_from(
        '\n[[rule]]\nid = "big"\nkind = "max_order_value"\neffect = "confirm"\nlimit = "1000"\n'
    )
    acct = account({"USDT": "100000"})
    market = flat_market({"ETH/USDT": "3041.10"})
    step = order("ETH/USDT", "buy", "0.5", acct=acct, market=market)
    (decision,) = decide(policy, [step], acct=acct, market=market)
    (reason,) = decision.reasons
    assert reason.message == "MAX_ORDER_VALUE: limit=1000 USDT, notional=1520.55 USDT"
    assert (reason.rule, reason.code, reason.effect) == ("big", "MAX_ORDER_VALUE", "confirm")
    assert (reason.limit, reason.observed) == ("1000 USDT", "1520.55 USDT")


def test_observed_value_is_never_shown_at_a_limit_it_exceeds() -> None:
    policy = policy_from(
        '\n[[rule]]\nid = "big"\nkind = "max_order_value"\neffect = "confirm"\nlimit = "1000"\n'
    )
    acct = account({"USDT": "100000"})
    market = flat_market({"BTC/USDT": "100000.1"})
    step = order("BTC/USDT", "buy", "0.01", acct=acct, market=market)  # 1000.001
    (decision,) = decide(policy, [step], acct=acct, market=market)
    # exact, not rounded up to 1000.01 (a value it never had) nor down onto the limit
    assert decision.reasons[0].observed == "1000.001 USDT"
