"""Engine fixes: a firing order is valued at the market of that moment; cross pairs move
positions like direct pairs; the plan's own refused steps count towards rates."""

from __future__ import annotations

from decimal import Decimal

from intent.market import MarketData, Quote
from intent.plan import Trigger
from policy.engine import at_market
from tests.policy.policy_helpers import NOW, account, decide, flat_market, order, policy_from

BALANCE = """
[[rule]]
id = "balance"
kind = "balance"
effect = "deny"

[[rule]]
id = "value"
kind = "max_order_value"
effect = "confirm"
limit = "1000"
"""


def test_a_firing_buy_beyond_the_free_balance_is_refused_at_the_price_of_now() -> None:
    policy = policy_from(BALANCE)
    planned_at = flat_market({"SOL/USDT": "90"})
    acct = account({"USDT": "1000"})
    stop = order(
        "SOL/USDT",
        "buy",
        "10",
        acct=acct,
        market=planned_at,
        trigger=Trigger(base="SOL", below=Decimal(90)),
    )
    (planned,) = decide(policy, [stop], acct=acct, market=planned_at)
    assert planned.decision == "allow"
    gapped = flat_market({"SOL/USDT": "105"})
    (fired,) = decide(policy, [stop], acct=acct, market=gapped, firing=True)
    assert fired.decision == "deny"
    codes = {r.code for r in fired.reasons}
    assert codes == {"INSUFFICIENT_BALANCE", "MAX_ORDER_VALUE"}
    value = next(r for r in fired.reasons if r.code == "MAX_ORDER_VALUE")
    assert value.observed is not None
    amount, unit = value.observed.split()
    assert (Decimal(amount), unit) == (Decimal(1050), "USDT")  # 10 SOL at the ask of now


def test_at_market_prices_a_market_buy_at_the_ask_and_a_sell_at_the_bid() -> None:
    quotes = flat_market({"SOL/USDT": "100"})
    acct = account({"USDT": "100000", "SOL": "10"})
    buy = order("SOL/USDT", "buy", "2", acct=acct, market=quotes)
    sell = order("SOL/USDT", "sell", "2", acct=acct, market=quotes)
    spread = MarketData(
        rules=quotes.rules,
        quotes={
            "SOL/USDT": Quote(
                symbol="SOL/USDT", bid=Decimal(110), ask=Decimal(112), last=Decimal(111), time=NOW
            )
        },
    )
    now_buy, now_sell = at_market(buy, spread), at_market(sell, spread)
    assert now_buy is not None
    assert now_sell is not None
    assert now_buy.notional == Decimal(224)
    assert now_sell.notional == Decimal(220)
    assert at_market(buy, MarketData(rules=quotes.rules)) is None


def test_a_firing_order_without_a_quote_now_is_refused() -> None:
    policy = policy_from(BALANCE)
    quotes = flat_market({"SOL/USDT": "90"})
    acct = account({"USDT": "100000"})
    stop = order(
        "SOL/USDT",
        "buy",
        "1",
        acct=acct,
        market=quotes,
        trigger=Trigger(base="SOL", below=Decimal(90)),
    )
    (fired,) = decide(policy, [stop], acct=acct, market=MarketData(rules=quotes.rules), firing=True)
    assert fired.decision == "deny"
    assert "NO_VALUATION" in {r.code for r in fired.reasons}


POSITION = """
[[rule]]
id = "position"
kind = "max_position"
effect = "escalate"
limit = "60000"
"""


def test_a_cross_pair_sell_moves_the_position_it_buys_exactly_like_the_direct_pair() -> None:
    policy = policy_from(POSITION)
    market = flat_market({"BTC/USDT": "50000", "SOL/USDT": "100", "SOL/BTC": "0.002"})
    acct = account({"USDT": "100000", "BTC": "1.1", "SOL": "1000"})
    for qty_direct, qty_cross, want in (("0.1", "50", "allow"), ("0.10001", "50.005", "escalate")):
        direct = order("BTC/USDT", "buy", qty_direct, acct=acct, market=market)
        cross = order("SOL/BTC", "sell", qty_cross, acct=acct, market=market)
        (d,) = decide(policy, [direct], acct=acct, market=market)
        (c,) = decide(policy, [cross], acct=acct, market=market)
        assert d.decision == c.decision == want
        assert [r.observed for r in d.reasons] == [r.observed for r in c.reasons]


def test_reducing_refuses_a_cross_pair_order_that_grows_a_position() -> None:
    policy = policy_from(state="REDUCING")
    market = flat_market({"BTC/USDT": "50000", "SOL/USDT": "100", "SOL/BTC": "0.002"})
    acct = account({"USDT": "100000", "BTC": "1", "SOL": "1000"})
    grows = order("SOL/BTC", "sell", "10", acct=acct, market=market)
    shrinks = order("SOL/USDT", "sell", "10", acct=acct, market=market)
    (g,) = decide(policy, [grows], acct=acct, market=market)
    (s,) = decide(policy, [shrinks], acct=acct, market=market)
    assert g.decision == "deny"
    assert {r.code for r in g.reasons} == {"TRADING_REDUCING"}
    assert s.decision == "allow"
