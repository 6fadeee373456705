"""What the resolver hands the policy, in the corners mutation testing found unguarded
(scripts/mutation.py, docs/mutation.md): the side of a cancel, the asset of a query, a
conversion's note and its routes through a middle currency, a recurring order's quote
amount, rebalancing an empty or partly held portfolio, and the reasons a step cannot be
resolved (each naming the figures a user needs to fix it)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from intent.market import MarketData, MarketRules, Quote
from intent.plan import Plan, Trigger
from intent.resolve import order_as_given, resolve
from intent.resolved import ResolvedCancel, ResolvedOrder, ResolvedQuery, Unresolved
from tests.policy.policy_helpers import NOW, account, flat_market

ACCT = account({"USDT": "10000", "ETH": "4"})
MARKET = flat_market({"BTC/USDT": "60000", "ETH/USDT": "3000"})


def _all(step: dict[str, Any], acct: Any = ACCT, market: Any = MARKET) -> tuple[Any, ...]:
    return resolve(Plan.model_validate({"steps": [step]}), acct, market)


def _one(step: dict[str, Any], acct: Any = ACCT, market: Any = MARKET) -> Any:
    (resolved,) = _all(step, acct, market)
    return resolved


def _market(*symbols: tuple[str, str]) -> MarketData:
    """Only these markets (symbol, price), each on a 0.00000001 step and tick."""
    rules, quotes = {}, {}
    for symbol, price in symbols:
        base, quote = symbol.split("/")
        tiny = Decimal("0.00000001")
        rules[symbol] = MarketRules(
            symbol=symbol, base=base, quote=quote, tick_size=tiny, step_size=tiny
        )
        value = Decimal(price)
        quotes[symbol] = Quote(symbol=symbol, bid=value, ask=value, last=value, time=NOW)
    return MarketData(rules=rules, quotes=quotes)


def test_a_cancel_keeps_the_side_it_cancels() -> None:
    cancel = _one({"action": "cancel", "base": "BTC", "side": "buy"})
    assert isinstance(cancel, ResolvedCancel)
    assert (cancel.base, cancel.side) == ("BTC", "buy")


def test_a_query_keeps_the_asset_it_asks_about() -> None:
    query = _one({"action": "query", "what": "price", "base": "BTC"})
    assert isinstance(query, ResolvedQuery)
    assert (query.what, query.base) == ("price", "BTC")


def test_a_direct_conversion_is_noted_as_one() -> None:
    order = _one(
        {"action": "convert", "from": "ETH", "to": "USDT", "amount": {"unit": "base", "value": "1"}}
    )
    assert isinstance(order, ResolvedOrder)
    assert order.note == "convert ETH to USDT"


def test_a_percentage_of_less_than_one_unit_converts() -> None:
    acct = account({"USDT": "10000", "ETH": "0.5"})
    order = _one(
        {
            "action": "convert",
            "from": "ETH",
            "to": "USDT",
            "amount": {"unit": "percent", "value": "50"},
        },
        acct,
    )
    assert isinstance(order, ResolvedOrder)
    assert (order.side, order.quantity) == ("sell", Decimal("0.25"))


def test_a_conversion_from_the_reporting_currency_goes_through_another_quote() -> None:
    # no ETH/USDT: USDT buys BTC, BTC buys ETH
    market = _market(("BTC/USDT", "60000"), ("ETH/BTC", "0.05"))
    legs = _all(
        {
            "action": "convert",
            "from": "USDT",
            "to": "ETH",
            "amount": {"unit": "base", "value": "600"},
        },
        market=market,
    )
    assert [(leg.symbol, leg.side) for leg in legs] == [("BTC/USDT", "buy"), ("ETH/BTC", "buy")]
    assert legs[0].note == "convert USDT to ETH, leg 1 of 2 (via BTC)"


def test_a_conversion_tries_each_middle_currency_in_turn() -> None:
    # SOL has no USDT market: the route goes through ETH, after USDT and BTC do not serve
    market = _market(("BTC/USDT", "60000"), ("ETH/BTC", "0.05"), ("SOL/ETH", "0.05"))
    acct = account({"USDT": "10000", "SOL": "10"})
    legs = _all(
        {
            "action": "convert",
            "from": "SOL",
            "to": "BTC",
            "amount": {"unit": "base", "value": "10"},
        },
        acct,
        market,
    )
    assert [(leg.symbol, leg.side) for leg in legs] == [("SOL/ETH", "sell"), ("ETH/BTC", "sell")]
    assert legs[1].note == "convert SOL to BTC, leg 2 of 2 (via ETH)"


def test_a_recurring_market_order_of_a_quote_amount_spends_that_amount_each_run() -> None:
    step = {
        "action": "order",
        "side": "buy",
        "base": "BTC",
        "amount": {"unit": "quote", "value": "100"},
        "schedule": {"every": "1d", "count": 5},
    }
    assert _one(step).quote_amount == Decimal(100)
    # a limit order buys a fixed quantity at its price; a one-off order has no runs
    limit = {**step, "order_type": "limit", "limit_price": "50000"}
    assert _one(limit).quote_amount is None
    assert _one({**step, "schedule": None}).quote_amount is None


def test_rebalancing_an_empty_portfolio_is_unresolved() -> None:
    empty = account({"USDT": "0"})
    result = _one({"action": "rebalance", "targets": {"BTC": "50", "USDT": "50"}}, empty)
    assert isinstance(result, Unresolved)
    assert (result.code, result.reason) == ("NOTHING_TO_SELL", "the portfolio is empty")


def test_a_rebalance_ignores_an_asset_with_nothing_held_and_no_price() -> None:
    acct = account({"USDT": "10000", "DOGE": "0"})  # DOGE has no quote in MARKET
    (buy,) = _all({"action": "rebalance", "targets": {"BTC": "50", "USDT": "50"}}, acct)
    assert isinstance(buy, ResolvedOrder)
    assert (buy.symbol, buy.side) == ("BTC/USDT", "buy")


def test_a_rebalance_buys_what_is_not_held_yet() -> None:
    acct = account({"USDT": "10000"})
    (buy,) = _all({"action": "rebalance", "targets": {"BTC": "50", "USDT": "50"}}, acct)
    assert isinstance(buy, ResolvedOrder)
    assert (buy.symbol, buy.side) == ("BTC/USDT", "buy")
    assert Decimal(4999) < buy.notional <= Decimal(5000)  # half the portfolio, on the step


def _order(quantity: str, market: Any = MARKET, **kw: Any) -> Any:
    step = {
        "action": "order",
        "side": "buy",
        "base": "BTC",
        "amount": {"unit": "base", "value": quantity},
    }
    return _one({**step, **kw}, market=market)


def test_a_quantity_under_the_minimum_names_both() -> None:
    result = _order("0.000001")
    assert isinstance(result, Unresolved)
    assert (result.code, result.reason) == (
        "BELOW_MIN_QTY",
        # the quantity as asked, then as rounded down to the market's step
        "0.000001 BTC (0 on its step of 0.00001) is below BTC/USDT's minimum of 0.00001 BTC",
    )


def test_a_value_under_the_minimum_names_the_value_and_the_minimum() -> None:
    market = flat_market({"BTC/USDT": "49980"})
    result = _order("0.0001", market)  # 4.998 USDT, under 5: not shown rounded up to 5
    assert isinstance(result, Unresolved)
    assert result.code == "BELOW_MIN_NOTIONAL"
    assert result.reason == (
        "0.0001 BTC is worth about 4.998 USDT, below BTC/USDT's minimum of 5 USDT"
    )


def test_an_unknown_market_names_the_markets_there_are() -> None:
    market = _market(("BTC/USDT", "60000"), ("BTC/USDC", "60000"))
    result = _order("0.1", market, quote="EUR")
    assert isinstance(result, Unresolved)
    assert (result.code, result.reason) == (
        "NO_MARKET",
        "no market BTC/EUR; markets for BTC: BTC/USDC, BTC/USDT",
    )


def test_an_order_that_cannot_be_valued_in_the_reporting_currency_is_unresolved() -> None:
    market = _market(("ETH/BTC", "0.05"))  # no BTC/USDT to value BTC with
    step = {
        "action": "order",
        "side": "buy",
        "base": "ETH",
        "quote": "BTC",
        "amount": {"unit": "base", "value": "1"},
    }
    result = _one(step, market=market)
    assert isinstance(result, Unresolved)
    assert (result.code, result.reason) == (
        "NO_PRICE",
        "cannot value BTC in the reporting currency USDT",
    )


def test_an_order_as_given_on_its_own_trigger_is_valued_at_the_trigger() -> None:
    def given(trigger: Trigger) -> Any:
        return order_as_given(
            sid="s1",
            symbol="BTC/USDT",
            side="sell",
            quantity=Decimal("0.1"),
            limit_price=None,
            account=ACCT,
            market=MARKET,
            trigger=trigger,
        )

    own = given(Trigger(base="BTC", below=Decimal(55000)))
    assert (own.reference_price, own.notional) == (Decimal(55000), Decimal(5500))
    other = given(Trigger(base="ETH", below=Decimal(2500)))
    assert (other.reference_price, other.notional) == (Decimal(60000), Decimal(6000))
