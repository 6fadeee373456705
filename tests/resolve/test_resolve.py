"""Resolution: intent plan + account + market data → concrete orders."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from intent.market import MarketData, MarketRules, OpenOrder
from intent.plan import Plan
from intent.resolve import resolve, step_id
from intent.resolved import ResolvedCancel, ResolvedOrder, ResolvedQuery, Unresolved
from tests.policy.policy_helpers import account, flat_market

MARKET = flat_market(
    {
        "BTC/USDT": "60000",
        "ETH/USDT": "3000",
        "SOL/USDT": "150",
        "LINK/USDT": "15",
        "ETH/BTC": "0.05",
        "USDC/USDT": "1",
        "DOGE/USDT": "0.1",
    }
)
ACCT = account({"USDT": "10000", "BTC": "0.5", "ETH": "4", "SOL": "10", "DOGE": "40"})


def plan(*steps: dict[str, Any]) -> Plan:
    return Plan.model_validate({"steps": list(steps)})


def buy(base: str, unit: str, value: str, **extra: Any) -> dict[str, Any]:
    return {
        "action": "order",
        "side": "buy",
        "base": base,
        "amount": {"unit": unit, "value": value},
        **extra,
    }


def sell(base: str, unit: str, value: str, **extra: Any) -> dict[str, Any]:
    return {
        "action": "order",
        "side": "sell",
        "base": base,
        "amount": {"unit": unit, "value": value},
        **extra,
    }


def one(step: dict[str, Any], acct: Any = ACCT, market: MarketData = MARKET) -> Any:
    (resolved,) = resolve(plan(step), acct, market)
    return resolved


def test_base_amount_is_rounded_down_to_the_step() -> None:
    order = one(buy("BTC", "base", "0.123456789"))
    assert isinstance(order, ResolvedOrder)
    assert order.quantity == Decimal("0.12345")
    assert order.symbol == "BTC/USDT"
    assert order.notional == Decimal("0.12345") * 60000
    assert order.notional_reporting == order.notional
    assert order.step_id == "s1"


def test_quote_amount_becomes_a_quantity_at_the_reference_price() -> None:
    order = one(buy("ETH", "quote", "1000"))
    assert order.quantity == Decimal("0.3333")
    assert order.reference_price == Decimal(3000)
    assert order.notional <= Decimal(1000)


def test_percent_draws_on_the_base_for_a_sell_and_the_quote_for_a_buy() -> None:
    assert one(sell("ETH", "percent", "50")).quantity == Decimal(2)
    order = one(buy("SOL", "percent", "10"))  # 10% of 10000 USDT at 150
    assert order.quantity == Decimal("6.666")


def test_a_market_order_is_valued_at_the_side_it_trades() -> None:
    wide = MarketData(
        rules=MARKET.rules,
        quotes={
            "ETH/USDT": MARKET.quotes["ETH/USDT"].model_copy(
                update={"bid": Decimal(2990), "ask": Decimal(3010)}
            )
        },
    )
    assert one(buy("ETH", "base", "1"), market=wide).reference_price == Decimal(3010)
    assert one(sell("ETH", "base", "1"), market=wide).reference_price == Decimal(2990)


def test_a_buy_limit_off_the_tick_is_rounded_down() -> None:
    order = one(buy("ETH", "quote", "1000", order_type="limit", limit_price="2999.999"))
    assert order.limit_price == Decimal("2999.99")
    assert order.notional == order.quantity * Decimal("2999.99")
    assert order.notional <= Decimal(1000)


def test_a_sell_limit_off_the_tick_is_not_rounded_either_way() -> None:
    step = one(sell("ETH", "base", "1", order_type="limit", limit_price="3100.005"))
    assert isinstance(step, Unresolved)
    assert step.code == "OFF_TICK"
    assert "use 3100.00 or 3100.01" in step.reason


def test_a_limit_on_the_tick_is_kept() -> None:
    order = one(sell("ETH", "base", "1", order_type="limit", limit_price="3100.5"))
    assert order.limit_price == Decimal("3100.5")
    assert order.order_type == "limit"


@pytest.mark.parametrize(
    ("step", "code"),
    [
        (buy("PEPE", "quote", "10"), "NO_MARKET"),
        (sell("LINK", "percent", "50"), "NOTHING_TO_SELL"),
        (buy("BTC", "percent", "50", quote="EUR"), "NO_MARKET"),
        (buy("BTC", "base", "0.1", quote="USDC"), "NO_QUOTE"),
        (buy("BTC", "base", "0.000001"), "BELOW_MIN_QTY"),
        (buy("SOL", "quote", "4"), "BELOW_MIN_NOTIONAL"),
        (buy("ADA", "quote", "100"), "NO_QUOTE"),
    ],
)
def test_unresolvable_steps_say_why(step: dict[str, Any], code: str) -> None:
    resolved = one(step)
    assert isinstance(resolved, Unresolved)
    assert resolved.code == code
    assert resolved.reason


def test_nothing_to_spend() -> None:
    resolved = one(buy("SOL", "percent", "50"), acct=account({"SOL": "1"}))
    assert isinstance(resolved, Unresolved)
    assert resolved.code == "NOTHING_TO_SPEND"


def test_a_closed_market_is_unresolved() -> None:
    rules = dict(MARKET.rules)
    rules["SOL/USDT"] = rules["SOL/USDT"].model_copy(update={"trading": False})
    resolved = one(buy("SOL", "quote", "100"), market=MarketData(rules=rules, quotes=MARKET.quotes))
    assert isinstance(resolved, Unresolved)
    assert resolved.code == "MARKET_CLOSED"


def test_other_steps_still_resolve_after_an_unresolvable_one() -> None:
    steps = resolve(
        plan(
            buy("PEPE", "quote", "10"),
            buy("BTC", "quote", "100"),
            {"action": "query", "what": "price", "base": "BTC"},
        ),
        ACCT,
        MARKET,
    )
    assert [type(s) for s in steps] == [Unresolved, ResolvedOrder, ResolvedQuery]
    assert [s.step_id for s in steps] == ["s1", "s2", "s3"]
    assert [s.source_index for s in steps] == [0, 1, 2]


def test_a_trigger_on_the_order_asset_sets_the_estimate_price() -> None:
    order = one(sell("ETH", "percent", "50", trigger={"base": "ETH", "below": "2000"}))
    assert order.reference_price == Decimal(2000)
    assert order.notional == Decimal(4000)
    assert order.trigger is not None
    assert order.trigger.level == Decimal(2000)
    other = one(sell("ETH", "base", "1", trigger={"base": "BTC", "below": "50000"}))
    assert other.reference_price == Decimal(3000)  # a BTC level says nothing of ETH's price


def test_a_schedule_stays_attached() -> None:
    order = one(buy("BTC", "quote", "100", schedule={"every": "1d", "count": 30}))
    assert order.schedule is not None
    assert order.schedule.count == 30


def test_notional_in_the_reporting_currency_through_quotes() -> None:
    order = one(buy("ETH", "base", "2", quote="BTC"))
    assert order.symbol == "ETH/BTC"
    assert order.notional == Decimal("0.1")
    assert order.reporting_currency == "USDT"
    assert order.notional_reporting == Decimal(6000)


def test_convert_through_a_direct_market() -> None:
    (order,) = resolve(
        plan(
            {
                "action": "convert",
                "from": "ETH",
                "to": "BTC",
                "amount": {"unit": "base", "value": "1"},
            }
        ),
        ACCT,
        MARKET,
    )
    assert isinstance(order, ResolvedOrder)
    assert (order.symbol, order.side, order.quantity) == ("ETH/BTC", "sell", Decimal(1))
    assert order.step_id == "s1"


def test_convert_through_an_inverse_market_buys() -> None:
    (order,) = resolve(
        plan(
            {
                "action": "convert",
                "from": "USDT",
                "to": "BTC",
                "amount": {"unit": "base", "value": "600"},
            }
        ),
        ACCT,
        MARKET,
    )
    assert isinstance(order, ResolvedOrder)
    assert (order.symbol, order.side, order.quantity) == ("BTC/USDT", "buy", Decimal("0.01"))


def test_convert_in_two_legs_through_the_quote_currency() -> None:
    legs = resolve(
        plan(
            {
                "action": "convert",
                "from": "SOL",
                "to": "LINK",
                "amount": {"unit": "percent", "value": "100"},
            }
        ),
        ACCT,
        MARKET,
    )
    assert [leg.step_id for leg in legs] == ["s1a", "s1b"]
    first, second = legs
    assert isinstance(first, ResolvedOrder)
    assert isinstance(second, ResolvedOrder)
    assert (first.symbol, first.side, first.quantity) == ("SOL/USDT", "sell", Decimal(10))
    assert (second.symbol, second.side) == ("LINK/USDT", "buy")
    assert second.quantity == Decimal(100)  # 1500 USDT of proceeds at 15
    assert "leg 1 of 2" in (first.note or "")


def test_convert_resolves_whole_or_not_at_all() -> None:
    (step,) = resolve(
        plan(
            {
                "action": "convert",
                "from": "DOGE",
                "to": "LINK",
                "amount": {"unit": "base", "value": "40"},
            }
        ),
        ACCT,
        MARKET,
    )
    assert isinstance(step, Unresolved)  # 4 USDT of DOGE: the first leg is under the minimum
    assert step.step_id == "s1"
    (none,) = resolve(
        plan(
            {
                "action": "convert",
                "from": "ETH",
                "to": "XMR",
                "amount": {"unit": "base", "value": "1"},
            }
        ),
        ACCT,
        MARKET,
    )
    assert isinstance(none, Unresolved)
    assert none.code == "NO_MARKET"


def test_rebalance_sells_first_skips_dust_and_reaches_the_targets() -> None:
    acct = account({"USDT": "1000", "BTC": "0.1", "ETH": "1", "DOGE": "5"})
    legs = resolve(
        plan({"action": "rebalance", "targets": {"BTC": "50", "ETH": "50"}}), acct, MARKET
    )
    # portfolio: 1000 + 6000 + 3000 + 0.5 = 10000.5 USDT; DOGE (0.5 USDT) is dust under
    # DOGE/USDT's 1 USDT minimum, so it stays
    assert [(leg.symbol, leg.side) for leg in legs if isinstance(leg, ResolvedOrder)] == [
        ("BTC/USDT", "sell"),
        ("ETH/USDT", "buy"),
    ]
    assert [leg.step_id for leg in legs] == ["s1a", "s1b"]
    sell_leg, buy_leg = legs
    assert isinstance(sell_leg, ResolvedOrder)
    assert isinstance(buy_leg, ResolvedOrder)
    assert sell_leg.quantity == Decimal("0.01666")  # (6000 - 5000.25) / 60000, rounded down
    assert buy_leg.quantity == Decimal("0.6667")  # (5000.25 - 3000) / 3000, rounded down
    assert sell_leg.note == "rebalance: sell BTC"


def test_rebalance_already_balanced_and_unpriced_assets() -> None:
    acct = account({"USDT": "5000", "ETH": "1"})
    (done,) = resolve(plan({"action": "rebalance", "targets": {"ETH": "37.5"}}), acct, MARKET)
    assert isinstance(done, Unresolved)
    assert done.code == "ALREADY_BALANCED"
    (unpriced,) = resolve(plan({"action": "rebalance", "targets": {"ADA": "50"}}), acct, MARKET)
    assert isinstance(unpriced, Unresolved)
    assert unpriced.code == "NO_PRICE"


def test_cancel_lists_the_matching_open_orders() -> None:
    orders = [
        OpenOrder(
            order_id="1",
            symbol="BTC/USDT",
            side="buy",
            order_type="limit",
            price=Decimal(1),
            quantity=Decimal(1),
        ),
        OpenOrder(
            order_id="2",
            symbol="BTC/USDT",
            side="sell",
            order_type="limit",
            price=Decimal(1),
            quantity=Decimal(1),
        ),
        OpenOrder(
            order_id="3",
            symbol="ETH/USDT",
            side="buy",
            order_type="limit",
            price=Decimal(1),
            quantity=Decimal(1),
        ),
    ]
    acct = account({"USDT": "1"}, open_orders=orders)
    cancels = resolve(
        plan(
            {"action": "cancel", "base": "BTC"},
            {"action": "cancel", "side": "buy"},
            {"action": "cancel"},
        ),
        acct,
        MARKET,
    )
    assert [c.order_ids for c in cancels if isinstance(c, ResolvedCancel)] == [
        ("1", "2"),
        ("1", "3"),
        ("1", "2", "3"),
    ]


def test_step_ids_for_many_legs() -> None:
    assert [step_id(2, n) for n in (0, 1, 25, 26, 27)] == ["s3a", "s3b", "s3z", "s3aa", "s3ab"]


def test_rules_with_minimum_quantity() -> None:
    rules = dict(MARKET.rules)
    rules["SOL/USDT"] = MarketRules(
        symbol="SOL/USDT",
        base="SOL",
        quote="USDT",
        tick_size=Decimal("0.01"),
        step_size=Decimal("0.001"),
        min_qty=Decimal(1),
    )
    resolved = one(buy("SOL", "base", "0.5"), market=MarketData(rules=rules, quotes=MARKET.quotes))
    assert isinstance(resolved, Unresolved)
    assert resolved.code == "BELOW_MIN_QTY"


# --- properties -----------------------------------------------------------------------

SYMBOLS = ["BTC/USDT", "ETH/USDT", "SOL/USDT", "DOGE/USDT", "ETH/BTC"]


def _within_the_account(symbol: str, side: str, unit: str, fraction: Decimal) -> Decimal:
    """An amount between 50% and 100% of what the account can buy or sell on ``symbol``:
    always above the market's minimums and far under the implausible-amount check."""
    base, quote = symbol.split("/")
    price = MARKET.quotes[symbol].last
    if unit == "percent":
        return (fraction * 100).quantize(Decimal("0.01"))
    if unit == "base":
        scale = ACCT.free(base) if side == "sell" else ACCT.free(quote) / price
    else:
        scale = ACCT.free(base) * price if side == "sell" else ACCT.free(quote)
    return (scale * fraction).quantize(Decimal("0.00000001"))


@settings(max_examples=150)
@given(
    symbol=st.sampled_from(SYMBOLS),
    side=st.sampled_from(["buy", "sell"]),
    unit=st.sampled_from(["base", "quote", "percent"]),
    fraction=st.decimals(min_value=Decimal("0.5"), max_value=Decimal(1), places=4),
    limit_factor=st.none() | st.decimals(min_value=Decimal("0.5"), max_value=Decimal(2), places=7),
)
def test_rounding_never_makes_an_order_larger_or_more_aggressive(
    symbol: str, side: str, unit: str, fraction: Decimal, limit_factor: Decimal | None
) -> None:
    base, quote = symbol.split("/")
    rules = MARKET.rules[symbol]
    price = MARKET.quotes[symbol].last
    value = _within_the_account(symbol, side, unit, fraction)
    step: dict[str, Any] = {
        "action": "order",
        "side": side,
        "base": base,
        "quote": quote,
        "amount": {"unit": unit, "value": str(value)},
    }
    asked_limit = None
    if limit_factor is not None:
        asked_limit = price * limit_factor
        if side == "sell":
            # a sell limit off the tick is refused, not rounded (the next property)
            asked_limit = asked_limit.quantize(rules.tick_size)
        step.update(order_type="limit", limit_price=str(asked_limit))
    resolved = one(step)
    assert isinstance(resolved, ResolvedOrder), resolved
    assert resolved.quantity % rules.step_size == 0
    assert resolved.quantity >= rules.min_qty
    assert resolved.notional >= rules.min_notional
    if resolved.limit_price is not None:
        assert asked_limit is not None
        assert resolved.limit_price % rules.tick_size == 0
        assert resolved.limit_price <= asked_limit
        if side == "sell":
            assert resolved.limit_price == asked_limit
    if unit == "base":
        assert resolved.quantity <= value
    elif unit == "quote":
        assert resolved.notional <= value
    else:
        holding = ACCT.free(base if side == "sell" else quote)
        if side == "sell":
            assert resolved.quantity <= holding * value / 100
        else:
            assert resolved.notional <= holding * value / 100


@settings(max_examples=60)
@given(
    symbol=st.sampled_from(SYMBOLS),
    side=st.sampled_from(["buy", "sell"]),
    unit=st.sampled_from(["base", "quote"]),
    fraction=st.decimals(min_value=Decimal("1e-8"), max_value=Decimal("1e-6"), places=10),
)
def test_an_amount_under_the_market_minimums_is_refused_not_rounded_up(
    symbol: str, side: str, unit: str, fraction: Decimal
) -> None:
    base, quote = symbol.split("/")
    value = _within_the_account(symbol, side, unit, fraction)
    assume(value > 0)
    step = {"action": "order", "side": side, "base": base, "quote": quote}
    resolved = one({**step, "amount": {"unit": unit, "value": str(value)}})
    assert isinstance(resolved, Unresolved), resolved
    assert resolved.code in {"BELOW_MIN_QTY", "BELOW_MIN_NOTIONAL"}


@settings(max_examples=60)
@given(
    symbol=st.sampled_from(SYMBOLS),
    side=st.sampled_from(["buy", "sell"]),
    unit=st.sampled_from(["base", "quote"]),
    factor=st.integers(min_value=101, max_value=10_000),
)
def test_an_amount_a_hundred_times_the_account_is_asked_about(
    symbol: str, side: str, unit: str, factor: int
) -> None:
    base, quote = symbol.split("/")
    value = _within_the_account(symbol, side, unit, Decimal(factor))
    step = {"action": "order", "side": side, "base": base, "quote": quote}
    resolved = one({**step, "amount": {"unit": unit, "value": str(value)}})
    assert isinstance(resolved, Unresolved), resolved
    assert resolved.code == "IMPLAUSIBLE_AMOUNT"


@settings(max_examples=60)
@given(
    symbol=st.sampled_from(SYMBOLS),
    fraction=st.decimals(min_value=Decimal("0.5"), max_value=Decimal(1), places=4),
    ticks=st.decimals(min_value=Decimal("0.01"), max_value=Decimal("0.99"), places=2),
)
def test_a_sell_limit_between_two_ticks_is_refused_with_both_neighbours(
    symbol: str, fraction: Decimal, ticks: Decimal
) -> None:
    base, quote = symbol.split("/")
    rules = MARKET.rules[symbol]
    on_tick = MARKET.quotes[symbol].last.quantize(rules.tick_size)
    asked = on_tick + ticks * rules.tick_size  # strictly between two ticks
    value = _within_the_account(symbol, "sell", "base", fraction)
    resolved = one(
        {
            "action": "order",
            "side": "sell",
            "base": base,
            "quote": quote,
            "amount": {"unit": "base", "value": str(value)},
            "order_type": "limit",
            "limit_price": str(asked),
        }
    )
    assert isinstance(resolved, Unresolved), resolved
    assert resolved.code == "OFF_TICK"
    assert f"use {on_tick} or {on_tick + rules.tick_size}" in resolved.reason


@settings(max_examples=60)
@given(
    targets=st.dictionaries(
        st.sampled_from(["BTC", "ETH", "SOL", "DOGE"]),
        st.integers(1, 40).map(Decimal),
        min_size=1,
        max_size=3,
    ).filter(lambda targets: sum(targets.values()) <= 100)
)
def test_rebalance_sells_come_first_and_never_exceed_free_balances(
    targets: dict[str, Decimal],
) -> None:
    steps = resolve(
        plan({"action": "rebalance", "targets": {k: str(v) for k, v in targets.items()}}),
        ACCT,
        MARKET,
    )
    orders = [s for s in steps if isinstance(s, ResolvedOrder)]
    # the account holds far more BTC than any target allows: there is always a sell
    assert orders, steps
    sides = [o.side for o in orders]
    assert sides == sorted(sides, key=lambda s: s != "sell")
    for o in orders:
        assert o.quote == "USDT"
        if o.side == "sell":
            assert o.quantity <= ACCT.free(o.base)
    assert len({o.step_id for o in orders}) == len(orders)
