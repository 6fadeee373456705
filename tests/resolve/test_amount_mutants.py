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
