"""A firing order is priced at the market of that moment, side by side: a limit order at its
limit against the ask (buy) or the bid (sell), a cross pair valued through the reporting
currency, a tiny order still priced. And ``gate`` decides a recorded plan with its id, so
a tripped throttle holds. (Tests written to kill the mutants that survived in
policy/engine.py and policy/gate.py.)"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from intent.plan import Plan, Trigger
from policy.counters import Counters, Execution
from policy.engine import at_market
from policy.gate import GatedPlan, gate
from tests.policy.policy_helpers import (
    NOW,
    account,
    decide,
    flat_market,
    order,
    policy_from,
    quoted_market,
)

SPREAD = quoted_market({"SOL/USDT": ("110", "112", "111.5")})


def test_a_firing_limit_order_keeps_its_limit_and_is_referenced_to_the_side_it_trades() -> None:
    planned = flat_market({"SOL/USDT": "100"})
    acct = account({"USDT": "100000", "SOL": "10"})
    buy = order("SOL/USDT", "buy", "2", acct=acct, market=planned, limit="100")
    sell = order("SOL/USDT", "sell", "2", acct=acct, market=planned, limit="120")
    now_buy, now_sell = at_market(buy, SPREAD), at_market(sell, SPREAD)
    assert now_buy is not None
    assert now_sell is not None
    assert (now_buy.notional, now_buy.reference_price) == (Decimal(200), Decimal(112))
    assert (now_sell.notional, now_sell.reference_price) == (Decimal(240), Decimal(110))
    assert now_buy.notional_reporting == Decimal(200)


def test_a_firing_market_order_is_referenced_to_the_ask_or_the_bid_of_now() -> None:
    planned = flat_market({"SOL/USDT": "100"})
    acct = account({"USDT": "100000", "SOL": "10"})
    buy = order("SOL/USDT", "buy", "2", acct=acct, market=planned)
    sell = order("SOL/USDT", "sell", "2", acct=acct, market=planned)
    assert buy.reference_price == Decimal(100)
    now_buy, now_sell = at_market(buy, SPREAD), at_market(sell, SPREAD)
    assert now_buy is not None
    assert now_sell is not None
    assert now_buy.reference_price == Decimal(112)
    assert now_sell.reference_price == Decimal(110)


def test_a_firing_cross_pair_is_valued_in_the_reporting_currency_at_the_quotes_of_now() -> None:
    planned = flat_market({"ETH/BTC": "0.05", "BTC/USDT": "60000", "ETH/USDT": "3000"})
    acct = account({"BTC": "10"})
    buy = order("ETH/BTC", "buy", "2", acct=acct, market=planned)
    assert buy.reporting_currency == "USDT"
    now = flat_market({"ETH/BTC": "0.06", "BTC/USDT": "50000"})
    fired = at_market(buy, now)
    assert fired is not None
    assert fired.notional == Decimal("0.12")  # BTC
    assert fired.notional_reporting == Decimal(6000)  # 0.12 BTC at 50000 USDT
    # no way to value BTC in USDT now: the firing cannot be priced
    assert at_market(buy, flat_market({"ETH/BTC": "0.06"})) is None


def test_a_firing_order_worth_less_than_one_unit_is_still_priced() -> None:
    planned = flat_market({"DOGE/USDT": "0.2"})
    acct = account({"USDT": "1000"})
    buy = order("DOGE/USDT", "buy", "5", acct=acct, market=planned, limit="0.1")
    fired = at_market(buy, flat_market({"DOGE/USDT": "0.1"}))
    assert fired is not None
    assert fired.notional_reporting == Decimal("0.5")


def test_the_refusal_of_an_unpriced_firing_names_the_symbol() -> None:
    policy = policy_from()
    planned = flat_market({"SOL/USDT": "90"})
    acct = account({"USDT": "100000"})
    stop = order(
        "SOL/USDT", "buy", "1", acct=acct, market=planned, trigger=Trigger(base="SOL", below=90)
    )
    (fired,) = decide(policy, [stop], acct=acct, market=flat_market({}), firing=True)
    assert fired.decision == "deny"
    (reason,) = [r for r in fired.reasons if r.code == "NO_VALUATION"]
    assert "no quote for SOL/USDT now" in reason.message


THROTTLE = """
[[rule]]
id = "throttle"
kind = "execution_throttle"
effect = "deny"
max_executions = 2
window = "1h"
"""


def test_gate_counts_the_earlier_executions_of_the_same_plan() -> None:
    policy = policy_from(THROTTLE)
    plan = Plan.model_validate(
        {
            "steps": [
                {
                    "action": "order",
                    "side": "buy",
                    "base": "SOL",
                    "amount": {"unit": "base", "value": "1"},
                }
            ]
        }
    )
    acct = account({"USDT": "100000"})
    market = flat_market({"SOL/USDT": "100"})
    runs = tuple(Execution(plan_id="p-7", at=NOW - timedelta(minutes=m)) for m in (5, 10))
    counters = Counters(executions=runs)

    def run(plan_id: str) -> GatedPlan:
        return gate(
            plan,
            policy=policy,
            account=acct,
            market=market,
            counters=counters,
            now=NOW,
            plan_id=plan_id,
        )

    same, other = run("p-7"), run("p-8")
    assert same.overall == "deny"
    assert {r.code for r in same.decisions[0].reasons} == {"EXECUTION_THROTTLE"}
    assert other.overall == "allow"
    ((step, decision),) = same.pairs()
    assert decision.step_id == step.step_id
