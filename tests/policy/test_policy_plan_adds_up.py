"""A plan's steps add up: the third of three buys sees what the first two spend, the
budget, the sells and the resting orders of every earlier step, not only of the one
before. (Tests written to kill the mutants that survived in policy/context.py.)"""

from __future__ import annotations

from intent.plan import Side
from tests.policy.policy_helpers import account, decide, flat_market, order, policy_from

MARKET = flat_market({"SOL/USDT": "100"})


def _rule(kind: str, body: str) -> str:
    return f'[[rule]]\nid = "r"\nkind = "{kind}"\neffect = "deny"\n{body}\n'


def _run(rule: str, side: Side, balances: dict[str, str], limit: str | None = None) -> list[str]:
    """Three equal orders of 4 SOL in one plan; the decision on each."""
    acct = account(balances)
    steps = [
        order("SOL/USDT", side, "4", acct=acct, market=MARKET, sid=f"s{i}", limit=limit)
        for i in (1, 2, 3)
    ]
    return [d.decision for d in decide(policy_from(rule), steps, acct=acct, market=MARKET)]


def test_the_balance_counts_every_earlier_buy_of_the_plan() -> None:
    # 3 x 400 USDT against 1000 USDT: the third goes beyond what is free
    assert _run(_rule("balance", ""), "buy", {"USDT": "1000"}) == ["allow", "allow", "deny"]


def test_the_daily_budget_counts_every_earlier_step_of_the_plan() -> None:
    decided = _run(_rule("daily_notional", 'limit = "1000"'), "buy", {"USDT": "100000"})
    assert decided == ["allow", "allow", "deny"]


def test_the_sell_share_counts_every_earlier_sell_of_the_plan() -> None:
    decided = _run(_rule("sell_share", 'max_percent = "50"'), "sell", {"SOL": "20"})
    assert decided == ["allow", "allow", "deny"]  # 4, 8, then 12 of 20 SOL


def test_resting_orders_of_the_plan_count_towards_the_cap() -> None:
    rule = _rule("open_orders", "max_per_symbol = 10\nmax_total = 2\nmax_conditional = 5")
    decided = _run(rule, "buy", {"USDT": "100000"}, limit="90")
    assert decided == ["allow", "allow", "deny"]
