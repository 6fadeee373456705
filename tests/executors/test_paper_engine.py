"""The paper engine: fills, fees, slippage, locks, triggers, schedules, and no negative balances."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from executors.base import OrderRequest
from executors.catalog import MarketCatalog
from executors.paper.engine import PaperEngine, PaperSettings, RuleViolation
from foundation.clock import FakeClock
from foundation.errors import InsufficientFunds, OrderNotFound, OrderRejected
from intent.plan import Schedule

D = Decimal


def req(cid: str = "c1", **fields: object) -> OrderRequest:
    data: dict[str, object] = {
        "client_order_id": cid,
        "symbol": "BTC/USDT",
        "side": "buy",
        "order_type": "market",
        "quantity": D("0.1"),
    }
    data.update(fields)
    return OrderRequest.model_validate(data)


def test_market_buy_pays_ask_plus_slippage_and_fee_in_base(
    engine: PaperEngine, clock: FakeClock
) -> None:
    quote = engine.quote("BTC/USDT")
    usdt_before = engine.balances()["USDT"].free
    state = engine.place(req(), clock.now())
    # ask 67503.38 moved up 5 bps and rounded up to the tick
    expected_price = (quote.ask * (1 + D("0.0005")) / D("0.01")).to_integral_value(
        "ROUND_CEILING"
    ) * D("0.01")
    assert state.status == "filled"
    assert state.average_price == expected_price
    assert state.fills[0].fee == D("0.0001")  # 0.1 % of 0.1 BTC, taken in BTC
    assert state.fills[0].fee_asset == "BTC"
    assert engine.balances()["USDT"].free == usdt_before - D("0.1") * expected_price
    assert engine.balances()["BTC"].free == D("0.5") + D("0.1") - D("0.0001")


def test_market_sell_receives_bid_minus_slippage_less_fee(
    engine: PaperEngine, clock: FakeClock
) -> None:
    quote = engine.quote("ETH/USDT")
    state = engine.place(req(symbol="ETH/USDT", side="sell", quantity=D("2")), clock.now())
    price = state.average_price
    assert price is not None
    assert price < quote.bid
    value = D(2) * price
    assert engine.balances()["USDT"].free == D(25000) + value - (value * D("0.001")).quantize(
        D("0.00000001")
    )
    assert engine.balances()["ETH"].free == D(6)


def test_fees_and_slippage_are_configurable(catalog: MarketCatalog, clock: FakeClock) -> None:
    engine = PaperEngine.with_balances(
        catalog,
        {"USDT": D(100000)},
        clock.now(),
        PaperSettings(maker_fee=D(0), taker_fee=D("0.002"), slippage_bps=D(0)),
    )
    state = engine.place(req(quantity=D("1")), clock.now())
    assert state.average_price == engine.quote("BTC/USDT").ask
    assert state.fills[0].fee == D("0.002")


def test_insufficient_funds_changes_nothing(engine: PaperEngine, clock: FakeClock) -> None:
    before = engine.dumps()
    with pytest.raises(InsufficientFunds) as err:
        engine.place(req(quantity=D("1")), clock.now())  # 1 BTC costs ~67,500; 25,000 held
    assert "USDT" in err.value.message
    assert err.value.hint
    assert engine.dumps() == before


@pytest.mark.parametrize(
    ("fields", "rule"),
    [
        ({"quantity": D("0.000001")}, "LOT_SIZE"),
        ({"quantity": D("0.000015")}, "LOT_SIZE"),
        ({"order_type": "limit", "limit_price": D("60000.005")}, "PRICE_FILTER"),
        ({"quantity": D("0.00001")}, "NOTIONAL"),  # ~0.68 USDT, minimum 5
        ({"symbol": "PEPE/USDT"}, "UNKNOWN_SYMBOL"),
    ],
)
def test_market_rules_are_enforced(
    engine: PaperEngine, clock: FakeClock, fields: dict[str, object], rule: str
) -> None:
    with pytest.raises(RuleViolation) as err:
        engine.place(req("c1", **fields), clock.now())
    assert err.value.rule == rule


def test_resting_limit_locks_funds_and_fills_when_the_feed_crosses(
    engine: PaperEngine, clock: FakeClock
) -> None:
    state = engine.place(
        req(order_type="limit", limit_price=D("60000"), quantity=D("0.1")), clock.now()
    )
    assert state.status == "open"
    assert engine.balances()["USDT"].locked == D("6000")
    assert engine.balances()["USDT"].free == D("19000")
    assert engine.set_price("BTC/USDT", D("61000"), clock.now()) == []
    clock.advance(60)
    changed = engine.set_price("BTC/USDT", D("59990"), clock.now())
    assert [c.status for c in changed] == ["filled"]
    filled = engine.get("BTC/USDT", client_order_id="c1")
    assert filled is not None
    assert filled.average_price == D("60000")  # a maker fills at its own price
    assert filled.fills[0].maker
    assert engine.balances()["USDT"].locked == 0
    assert engine.balances()["USDT"].free == D("19000")
    assert engine.balances()["BTC"].free == D("0.5") + D("0.1") - D("0.0001")


def test_marketable_limit_fills_at_once_at_the_better_price(
    engine: PaperEngine, clock: FakeClock
) -> None:
    state = engine.place(req(order_type="limit", limit_price=D("70000")), clock.now())
    assert state.status == "filled"
    assert state.average_price == engine.quote("BTC/USDT").ask


def test_cancel_unlocks_and_a_second_cancel_is_not_found(
    engine: PaperEngine, clock: FakeClock
) -> None:
    engine.place(
        req(side="sell", order_type="limit", limit_price=D("80000"), quantity=D("0.2")),
        clock.now(),
    )
    assert engine.balances()["BTC"].locked == D("0.2")
    state = engine.cancel("BTC/USDT", client_order_id="c1", now=clock.now())
    assert state.status == "canceled"
    assert engine.balances()["BTC"].free == D("0.5")
    assert engine.balances()["BTC"].locked == 0
    with pytest.raises(OrderNotFound):
        engine.cancel("BTC/USDT", client_order_id="c1", now=clock.now())


def test_duplicate_client_id_is_refused_only_while_open(
    engine: PaperEngine, clock: FakeClock
) -> None:
    engine.place(req(order_type="limit", limit_price=D("60000")), clock.now())
    with pytest.raises(RuleViolation) as err:
        engine.place(req(order_type="limit", limit_price=D("60000")), clock.now())
    assert err.value.rule == "DUPLICATE"
    engine.cancel("BTC/USDT", client_order_id="c1", now=clock.now())
    assert engine.place(req(), clock.now()).status == "filled"


def test_stop_loss_sell_fires_when_the_price_drops_through(
    engine: PaperEngine, clock: FakeClock
) -> None:
    stop = req(
        "stop",
        symbol="ETH/USDT",
        side="sell",
        quantity=D("4"),
        trigger_symbol="ETH/USDT",
        trigger_price=D("3000"),
        trigger_direction="below",
    )
    state = engine.place(stop, clock.now())
    assert state.status == "open"
    assert engine.balances()["ETH"].locked == D("4")  # a triggered sell locks what it sells
    assert engine.set_price("ETH/USDT", D("3050"), clock.now()) == []
    clock.advance(1)
    changed = engine.set_price("ETH/USDT", D("2990"), clock.now())
    assert [c.client_order_id for c in changed] == ["stop"]
    assert changed[0].status == "filled"
    assert engine.balances()["ETH"].free == D("4")
    assert engine.balances()["ETH"].locked == 0


def test_take_profit_on_another_markets_price(engine: PaperEngine, clock: FakeClock) -> None:
    # "buy SOL if BTC goes above 70,000": the paper engine can watch any market
    order = req(
        "tp",
        symbol="SOL/USDT",
        quantity=D("10"),
        trigger_symbol="BTC/USDT",
        trigger_price=D("70000"),
        trigger_direction="above",
    )
    engine.place(order, clock.now())
    assert engine.set_price("SOL/USDT", D("150"), clock.now()) == []
    changed = engine.set_price("BTC/USDT", D("70000"), clock.now())
    assert changed[0].status == "filled"


def test_triggered_market_buy_without_funds_expires_without_debt(
    engine: PaperEngine, clock: FakeClock
) -> None:
    engine.place(
        req(
            "t",
            quantity=D("0.3"),
            trigger_symbol="BTC/USDT",
            trigger_price=D("68000"),
            trigger_direction="above",
        ),
        clock.now(),
    )
    # spend the USDT the triggered buy would have needed
    engine.place(req("spend", symbol="ETH/USDT", quantity=D("7")), clock.now())
    changed = engine.set_price("BTC/USDT", D("68500"), clock.now())
    assert changed[0].status == "expired"
    assert changed[0].reason is not None
    assert "needs" in changed[0].reason
    assert all(b.free >= 0 and b.locked >= 0 for b in engine.balances().values())


def test_schedule_runs_at_once_then_on_the_clock(engine: PaperEngine, clock: FakeClock) -> None:
    dca = req("dca", quantity=D("0.001"), schedule=Schedule(every="1h", count=3))
    state = engine.place(dca, clock.now())
    assert state.status == "open"
    assert state.filled == D("0.001")
    clock.advance(timedelta(minutes=59))
    engine.advance(clock.now())
    assert engine.get(client_order_id="dca") is not None
    assert len(engine.trades("BTC/USDT")) == 1
    clock.advance(timedelta(hours=3))
    engine.advance(clock.now())
    final = engine.get(client_order_id="dca")
    assert final is not None
    assert final.status == "filled"
    assert final.filled == D("0.003")
    runs = [t.client_order_id for t in engine.trades("BTC/USDT")]
    assert runs == ["dca.1", "dca.2", "dca.3"]
    # the second run happened at its due time, not when the clock was looked at
    assert engine.trades("BTC/USDT")[1].time == engine.trades("BTC/USDT")[0].time + timedelta(
        hours=1
    )


def test_schedule_run_without_funds_is_recorded_as_rejected(
    catalog: MarketCatalog, clock: FakeClock
) -> None:
    engine = PaperEngine.with_balances(catalog, {"USDT": D("100")}, clock.now())
    engine.place(req("d", quantity=D("0.001"), schedule=Schedule(every="1d", count=5)), clock.now())
    clock.advance(timedelta(days=4))
    engine.advance(clock.now())
    statuses = [o.status for o in engine.orders()]
    assert statuses == ["filled", "rejected", "rejected", "rejected", "rejected"]
    assert engine.balances()["USDT"].free > 0


def test_canceled_schedule_stops(engine: PaperEngine, clock: FakeClock) -> None:
    engine.place(req("d", quantity=D("0.001"), schedule=Schedule(every="1h")), clock.now())
    engine.cancel("BTC/USDT", client_order_id="d", now=clock.now())
    clock.advance(timedelta(hours=5))
    engine.advance(clock.now())
    assert len(engine.trades()) == 1


def test_schedule_refuses_long_client_ids(engine: PaperEngine, clock: FakeClock) -> None:
    with pytest.raises(OrderRejected):
        engine.place(req("x" * 30, schedule=Schedule(every="1h", count=2)), clock.now())


def test_save_and_load_keep_everything(
    engine: PaperEngine, clock: FakeClock, catalog: MarketCatalog
) -> None:
    engine.place(req(order_type="limit", limit_price=D("60000")), clock.now())
    engine.place(req("m", symbol="ETH/USDT", side="sell", quantity=D("1")), clock.now())
    copy = PaperEngine.loads(catalog, engine.dumps())
    assert copy.balances() == engine.balances()
    assert copy.orders() == engine.orders()
    copy.set_price("BTC/USDT", D("59000"), clock.now())
    assert copy.get(client_order_id="c1") is not None
    assert copy.get(client_order_id="c1").status == "filled"  # type: ignore[union-attr]


# --------------------------------------------------------------------------- property
_SYMBOLS = ["BTC/USDT", "ETH/USDT", "SOL/USDT", "ETH/BTC"]

_op = st.one_of(
    st.tuples(
        st.just("order"),
        st.sampled_from(_SYMBOLS),
        st.sampled_from(["buy", "sell"]),
        st.integers(min_value=1, max_value=400),  # quantity in hundredths of a unit
        st.one_of(st.none(), st.integers(min_value=-20, max_value=20)),  # limit offset %
        st.one_of(st.none(), st.sampled_from(["below", "above"])),
    ),
    st.tuples(st.just("price"), st.sampled_from(_SYMBOLS), st.integers(-15, 15)),
    st.tuples(st.just("cancel"), st.integers(0, 30)),
)


@settings(max_examples=60)
@given(st.lists(_op, min_size=1, max_size=25))
def test_balances_never_go_negative_and_locks_match_open_orders(
    catalog: MarketCatalog, ops: list[tuple[object, ...]]
) -> None:
    clock = FakeClock()
    engine = PaperEngine.with_balances(
        catalog, {"USDT": D(5000), "BTC": D("0.05"), "ETH": D(2), "SOL": D(10)}, clock.now()
    )
    for n, op in enumerate(ops):
        clock.advance(1)
        kind = op[0]
        try:
            if kind == "order":
                _, symbol, side, hundredths, offset, trigger = op
                rules = catalog.specs[str(symbol)].rules
                qty = (
                    D(int(str(hundredths))) / 100 / rules.step_size
                ).to_integral_value() * rules.step_size
                last = engine.last(str(symbol))
                fields: dict[str, object] = {
                    "symbol": symbol,
                    "side": side,
                    "quantity": max(qty, rules.step_size),
                }
                if offset is not None:
                    price = last * (1 + D(int(str(offset))) / 100)
                    fields["order_type"] = "limit"
                    fields["limit_price"] = max(
                        (price / rules.tick_size).to_integral_value() * rules.tick_size,
                        rules.tick_size,
                    )
                if trigger is not None:
                    fields["trigger_symbol"] = symbol
                    fields["trigger_direction"] = trigger
                    fields["trigger_price"] = last
                engine.place(req(f"o{n}", **fields), clock.now())
            elif kind == "price":
                _, symbol, pct = op
                last = engine.last(str(symbol))
                tick = catalog.specs[str(symbol)].rules.tick_size
                moved = (last * (1 + D(int(str(pct))) / 100) / tick).to_integral_value() * tick
                engine.set_price(str(symbol), max(moved, tick), clock.now())
            else:
                orders = engine.open_orders()
                if orders:
                    target = orders[int(str(op[1])) % len(orders)]
                    engine.cancel(target.symbol, order_id=target.order_id, now=clock.now())
        except (InsufficientFunds, OrderRejected):
            pass
        balances = engine.balances()
        assert all(b.free >= 0 and b.locked >= 0 for b in balances.values())
        # what is locked is exactly what open orders hold back
        locked_by_orders: dict[str, Decimal] = {}
        for order in engine._orders.values():  # the engine's own books
            if order.is_open and order.locked_asset:
                locked_by_orders[order.locked_asset] = (
                    locked_by_orders.get(order.locked_asset, D(0)) + order.locked
                )
        for asset, balance in balances.items():
            assert balance.locked == locked_by_orders.get(asset, D(0))
