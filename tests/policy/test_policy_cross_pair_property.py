"""Property: exposure through a cross pair counts exactly like the direct pair.

Selling q SOL on SOL/BTC gets q x p BTC; buying q x p BTC on BTC/USDT gets the same. For
any holding, open orders, caps and amounts, the position and concentration rules say the
same about both (same rules, same observed values), and REDUCING refuses both.
"""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from intent.market import OpenOrder
from tests.policy.policy_helpers import account, decide, order, policy_from, quoted_market

RULES = """
[[rule]]
id = "position"
kind = "max_position"
effect = "escalate"
limit = "{cap}"

[[rule]]
id = "concentration"
kind = "concentration"
effect = "confirm"
max_percent = "{share}"
"""
WATCHED = {"position", "concentration", "builtin.trading_state"}


@settings(max_examples=120)
@given(
    cap=st.integers(0, 200_000),
    share=st.integers(0, 100),
    btc=st.integers(0, 3000),  # thousandths of a BTC held
    sol=st.integers(1, 5000),
    usdt=st.integers(0, 200_000),
    sold=st.integers(1, 1000),  # SOL sold on SOL/BTC
    open_buy=st.integers(0, 500),  # an open BTC/USDT buy, thousandths
    state=st.sampled_from(["ACTIVE", "REDUCING"]),
)
def test_a_cross_pair_sell_moves_the_position_like_the_direct_buy(
    cap: int, share: int, btc: int, sol: int, usdt: int, sold: int, open_buy: int, state: str
) -> None:
    market = quoted_market(
        {
            "BTC/USDT": ("49990", "50010", "50003"),
            "SOL/USDT": ("99.9", "100.1", "100.02"),
            "SOL/BTC": ("0.002", "0.002", "0.002"),
        }
    )
    opens: tuple[OpenOrder, ...] = ()
    if open_buy:
        opens = (
            OpenOrder(
                order_id="o-1",
                symbol="BTC/USDT",
                side="buy",
                order_type="limit",
                price=Decimal(40000),
                quantity=Decimal(open_buy) / 1000,
            ),
        )
    acct = account(
        {"USDT": str(usdt), "BTC": str(Decimal(btc) / 1000), "SOL": str(sol)}, open_orders=opens
    )
    policy = policy_from(RULES.format(cap=cap, share=share), state=state)
    got = Decimal(sold) * Decimal("0.002")
    cross = order("SOL/BTC", "sell", str(sold), acct=acct, market=market)
    direct = order("BTC/USDT", "buy", str(got), acct=acct, market=market)
    (c,) = decide(policy, [cross], acct=acct, market=market)
    (d,) = decide(policy, [direct], acct=acct, market=market)
    seen_cross = sorted((r.rule, r.observed) for r in c.reasons if r.rule in WATCHED)
    seen_direct = sorted((r.rule, r.observed) for r in d.reasons if r.rule in WATCHED)
    if state == "REDUCING":
        assert ("builtin.trading_state", "sell") in seen_cross
        assert ("builtin.trading_state", "buy") in seen_direct
        seen_cross = [x for x in seen_cross if x[0] != "builtin.trading_state"]
        seen_direct = [x for x in seen_direct if x[0] != "builtin.trading_state"]
    assert seen_cross == seen_direct
