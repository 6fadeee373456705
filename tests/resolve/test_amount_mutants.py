"""Amount and negation behaviours that mutation testing found unguarded
(scripts/mutation.py): a conversion priced at the side it trades on, a price found
through a middle currency, and the assets a step names."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from intent.plan import Plan
from intent.polarity import step_assets
from intent.resolve import resolve
from intent.resolved import ResolvedOrder
from intent.valuation import price_in, value_in
from tests.policy.policy_helpers import account, flat_market, spread_market

ACCT = account({"USDT": "10000", "ETH": "4"})


def _convert(frm: str, to: str, value: str, market: Any) -> ResolvedOrder:
    plan = Plan.model_validate(
        {
            "steps": [
                {
                    "action": "convert",
                    "from": frm,
                    "to": to,
                    "amount": {"unit": "base", "value": value},
                }
            ]
        }
    )
    (order,) = resolve(plan, ACCT, market)
    assert isinstance(order, ResolvedOrder), order
    return order


def test_a_conversion_buys_at_the_ask_and_sells_at_the_bid() -> None:
    market = spread_market({"ETH/USDT": "3000"}, spread_bps=100)  # bid 2985, ask 3015
    quote = market.quotes["ETH/USDT"]
    buy = _convert("USDT", "ETH", "1000", market)
    assert (buy.side, buy.reference_price) == ("buy", quote.ask)
    assert buy.quantity * quote.ask <= Decimal(1000)
    sell = _convert("ETH", "USDT", "1", market)
    assert (sell.side, sell.reference_price) == ("sell", quote.bid)


def test_a_price_is_found_through_one_middle_currency() -> None:
    market = flat_market({"ETH/BTC": "0.05", "BTC/USDT": "60000"})
    assert price_in("ETH", "USDT", market) == Decimal(3000)
    assert price_in("USDT", "ETH", market) == Decimal(1) / Decimal(3000)
    assert value_in(Decimal(2), "ETH", "USDT", market) == Decimal(6000)
    assert price_in("ETH", "EUR", market) is None


def test_the_assets_a_step_names_for_every_kind_of_step() -> None:
    assert step_assets({"action": "order", "base": "BTC", "quote": "USDT"}) == {"BTC"}
    assert step_assets({"action": "convert", "from": "ETH", "to": "BTC"}) == {"ETH", "BTC"}
    assert step_assets({"action": "rebalance", "targets": {"BTC": "50", "SOL": "50"}}) == {
        "BTC",
        "SOL",
    }
    assert step_assets({"action": "cancel", "base": "DOGE"}) == {"DOGE"}
    assert step_assets({"action": "cancel"}) == set()


def _one(step: dict[str, Any], acct: Any = ACCT, market: Any = None) -> Any:
    market = market or flat_market({"BTC/USDT": "60000", "ETH/USDT": "3000", "DOGE/USDT": "0.1"})
    (resolved,) = resolve(Plan.model_validate({"steps": [step]}), acct, market)
    return resolved


def test_a_buy_of_exactly_a_hundred_times_the_cash_is_asked_about() -> None:
    from intent.resolved import Unresolved

    step = {"action": "order", "side": "buy", "base": "BTC"}
    at = _one({**step, "amount": {"unit": "quote", "value": "1000000"}})  # 100 x 10,000
    assert isinstance(at, Unresolved)
    assert at.code == "IMPLAUSIBLE_AMOUNT"
    under = _one({**step, "amount": {"unit": "quote", "value": "999999"}})
    assert isinstance(under, ResolvedOrder)


def test_a_rebalance_sells_a_holding_of_less_than_one_unit_the_targets_leave_out() -> None:
    acct = account({"USDT": "1000", "BTC": "0.5"})
    steps = resolve(
        Plan.model_validate({"steps": [{"action": "rebalance", "targets": {"ETH": "50"}}]}),
        acct,
        flat_market({"BTC/USDT": "60000", "ETH/USDT": "3000"}),
    )
    sells = [s for s in steps if isinstance(s, ResolvedOrder) and s.side == "sell"]
    assert [(s.base, s.quantity) for s in sells] == [("BTC", Decimal("0.5"))]


def test_converting_a_share_of_nothing_is_refused_as_nothing_to_sell() -> None:
    from intent.resolved import Unresolved

    convert = {"action": "convert", "from": "DOGE", "to": "USDT"}
    refused = _one({**convert, "amount": {"unit": "percent", "value": "50"}})
    assert isinstance(refused, Unresolved)
    assert refused.code == "NOTHING_TO_SELL"
    assert refused.reason == "no free DOGE to convert"


def test_an_order_given_as_it_is_refused_says_why() -> None:
    from intent.resolve import order_as_given
    from intent.resolved import Unresolved

    market = flat_market({"BTC/USDT": "60000"})
    unknown = order_as_given(
        sid="s1",
        symbol="XYZ/USDT",
        side="buy",
        quantity=Decimal("1"),
        limit_price=None,
        account=ACCT,
        market=market,
    )
    assert isinstance(unknown, Unresolved)
    assert unknown.source_index == 0
    assert "XYZ" in unknown.reason
    fine = order_as_given(
        sid="s1",
        symbol="BTC/USDT",
        side="buy",
        quantity=Decimal("0.01"),
        limit_price=None,
        account=ACCT,
        market=market,
    )
    assert isinstance(fine, ResolvedOrder)
    assert fine.source_index == 0
