"""A plan's earlier steps, booked as the later ones are decided: what two sells bring in
pays for a buy after them; two buys that each fit the balance do not fit it together."""

from __future__ import annotations

from tests.policy.policy_helpers import account, decide, flat_market, order, policy_from

BALANCE = """
[[rule]]
id = "balance"
kind = "balance"
effect = "deny"
"""


def test_what_two_sells_bring_in_pays_for_a_buy_after_them() -> None:
    policy = policy_from(BALANCE)
    market = flat_market({"SOL/USDT": "100", "ETH/USDT": "2000"})
    acct = account({"USDT": "0", "SOL": "20"})
    first = order("SOL/USDT", "sell", "6", acct=acct, market=market)  # ~600 USDT in
    second = order("SOL/USDT", "sell", "6", acct=acct, market=market)  # ~600 more
    buy = order("ETH/USDT", "buy", "0.5", acct=acct, market=market)  # ~1,000 USDT out
    decisions = decide(policy, [first, second, buy], acct=acct, market=market)
    assert [d.decision for d in decisions] == ["allow", "allow", "allow"]
    # one sell alone does not bring in enough
    alone = decide(policy, [first, buy], acct=acct, market=market)
    assert [d.decision for d in alone] == ["allow", "deny"]
    assert alone[1].reasons[0].code == "INSUFFICIENT_BALANCE"


def test_two_buys_that_each_fit_do_not_fit_together() -> None:
    policy = policy_from(BALANCE)
    market = flat_market({"SOL/USDT": "100"})
    acct = account({"USDT": "1500"})
    one = order("SOL/USDT", "buy", "10", acct=acct, market=market)  # ~1,000 USDT
    two = order("SOL/USDT", "buy", "10", acct=acct, market=market)
    decisions = decide(policy, [one, two], acct=acct, market=market)
    assert [d.decision for d in decisions] == ["allow", "deny"]
    assert decisions[1].reasons[0].code == "INSUFFICIENT_BALANCE"
