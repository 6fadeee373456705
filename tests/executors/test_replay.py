"""Event-driven replay: it looks only where something can happen, and misses nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from executors.base import OrderRequest, OrderState
from executors.catalog import MarketCatalog
from executors.paper.engine import PaperEngine
from executors.paper.feeds import candle_ticks
from executors.paper.replay import CandleSeries, EventReplay
from foundation.errors import InputError
from intent.plan import Schedule

D = Decimal
T0 = datetime(2026, 1, 1, tzinfo=UTC)
T0_MS = int(T0.timestamp() * 1000)


def series(symbol: str, closes: list[float], spread: float = 0.002) -> CandleSeries:
    """Candles whose opens are the previous close, with a high/low around both."""
    close: npt.NDArray[np.float64] = np.asarray(closes, dtype=np.float64).round(2)
    open_ = np.r_[close[0], close[:-1]]
    high: npt.NDArray[np.float64] = (np.maximum(open_, close) * (1 + spread)).round(2)
    low: npt.NDArray[np.float64] = (np.minimum(open_, close) * (1 - spread)).round(2)
    times = T0_MS + np.arange(len(close), dtype=np.int64) * 60_000
    return CandleSeries.from_columns(symbol, times, open_, high, low, close)


def engine_at(catalog: MarketCatalog, price: Decimal) -> PaperEngine:
    engine = PaperEngine.with_balances(
        catalog, {"USDT": D("1000000"), "BTC": D("10")}, T0 - timedelta(minutes=1)
    )
    engine.set_prices({"BTC/USDT": price}, T0 - timedelta(minutes=1))
    return engine


def order(cid: str, **fields: object) -> OrderRequest:
    data: dict[str, object] = {
        "client_order_id": cid,
        "symbol": "BTC/USDT",
        "side": "buy",
        "order_type": "market",
        "quantity": D("0.01"),
    }
    data.update(fields)
    return OrderRequest.model_validate(data)


def tick_by_tick(engine: PaperEngine, candles: CandleSeries) -> list[OrderState]:
    """The reference: every candle's whole path through the engine."""
    changes: list[OrderState] = []
    for index in range(len(candles)):
        for when, price in candle_ticks(candles.candle(index)):
            changes += engine.set_prices({candles.symbol: price}, when)
            changes += engine.advance(when)
    last = candles.candle(len(candles) - 1)
    engine.set_prices({candles.symbol: last.close}, last.close_time)
    return changes


def fills_of(engine: PaperEngine) -> list[tuple[str, str, Decimal, Decimal]]:
    return sorted(
        (f.order_id, f.side, f.price, f.quantity) for o in engine.orders() for f in o.fills
    )


def place_book(engine: PaperEngine, price: Decimal) -> None:
    """Resting limits both sides, stop-loss and take-profit triggers, and a schedule."""
    now = T0 - timedelta(minutes=1)

    def at(share: str) -> Decimal:
        return (price * D(share)).quantize(D("0.01"))

    engine.place(order("buy-low", order_type="limit", limit_price=at("0.97")), now)
    engine.place(order("sell-high", side="sell", order_type="limit", limit_price=at("1.03")), now)
    engine.place(
        order(
            "stop",
            side="sell",
            trigger_symbol="BTC/USDT",
            trigger_price=at("0.95"),
            trigger_direction="below",
        ),
        now,
    )
    engine.place(
        order(
            "take",
            side="sell",
            trigger_symbol="BTC/USDT",
            trigger_price=at("1.05"),
            trigger_direction="above",
        ),
        now,
    )
    engine.place(
        order(
            "dip",
            order_type="limit",
            limit_price=at("0.90"),
            trigger_symbol="BTC/USDT",
            trigger_price=at("0.92"),
            trigger_direction="below",
        ),
        now,
    )
    engine.place(order("dca", schedule=Schedule.model_validate({"every": "1h", "count": 5})), now)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    steps=st.lists(
        st.floats(min_value=-0.02, max_value=0.02, allow_nan=False), min_size=30, max_size=400
    )
)
def test_event_driven_replay_fills_exactly_what_tick_by_tick_fills(
    catalog: MarketCatalog, steps: list[float]
) -> None:
    closes = list(67_500 * np.exp(np.cumsum(steps)))
    candles = series("BTC/USDT", closes)
    start = D(repr(float(round(closes[0], 2))))

    reference = engine_at(catalog, start)
    place_book(reference, start)
    tick_by_tick(reference, candles)

    replayed = engine_at(catalog, start)
    place_book(replayed, start)
    result = EventReplay(replayed, {"BTC/USDT": candles}).run()

    assert fills_of(replayed) == fills_of(reference)
    assert replayed.balances() == reference.balances()
    assert [o.status for o in replayed.orders()] == [o.status for o in reference.orders()]
    assert result.candles_seen <= len(candles)


def test_a_quiet_market_is_skipped_not_walked(catalog: MarketCatalog) -> None:
    closes = [67_500.0] * 5_000
    closes[4_000] = 60_000.0  # one dip, far below the resting buy
    candles = series("BTC/USDT", closes, spread=0.0001)
    engine = engine_at(catalog, D("67500"))
    engine.place(
        order("buy-low", order_type="limit", limit_price=D("65000")), T0 - timedelta(minutes=1)
    )
    result = EventReplay(engine, {"BTC/USDT": candles}).run()
    assert result.candles_seen == 1  # only the dip
    (state,) = engine.orders()
    assert state.status == "filled"
    assert state.fills[0].price == D("65000")
    assert state.updated_at is not None
    assert state.updated_at.replace(second=0, microsecond=0) == T0 + timedelta(minutes=4_000)


def test_scripted_events_run_at_their_candle(catalog: MarketCatalog) -> None:
    candles = series("BTC/USDT", [67_500.0, 67_600.0, 67_700.0, 68_000.0])
    engine = engine_at(catalog, D("67500"))
    seen: list[tuple[datetime, Decimal]] = []

    def buy(engine: PaperEngine, when: datetime) -> None:
        seen.append((when, engine.last("BTC/USDT")))
        engine.place(order("scripted"), when)

    EventReplay(engine, {"BTC/USDT": candles}, events=[(T0 + timedelta(minutes=2), buy)]).run()
    assert seen == [(T0 + timedelta(minutes=3) - timedelta(milliseconds=1), D("67700.0"))]
    (state,) = engine.orders()
    assert state.status == "filled"


def test_read_csv_columnar_with_and_without_header(tmp_path: Path) -> None:
    rows = [
        f"{T0_MS + i * 60_000},{100 + i}.5,{101 + i}.25,{99 + i}.75,{100 + i}.0,12.5"
        for i in range(3)
    ]
    plain = tmp_path / "plain.csv"
    plain.write_text("\n".join(rows) + "\n")
    headed = tmp_path / "headed.csv"
    headed.write_text("open_time,open,high,low,close,volume\n" + "\n".join(rows) + "\n")
    for path in (plain, headed):
        candles = CandleSeries.read_csv(str(path), "BTC/USDT")
        assert len(candles) == 3
        first = candles.candle(0)
        assert (first.open, first.high, first.low, first.close) == (
            D("100.5"),
            D("101.25"),
            D("99.75"),
            D("100.0"),
        )
        assert first.open_time == T0
        assert candles.candle(2).close_time == T0 + timedelta(minutes=3) - timedelta(milliseconds=1)


def test_microsecond_times_are_read_as_such(tmp_path: Path) -> None:
    path = tmp_path / "us.csv"
    path.write_text(f"{T0_MS * 1000},1,2,0.5,1.5,1\n{(T0_MS + 60_000) * 1000},1.5,2,1,1,1\n")
    assert CandleSeries.read_csv(str(path), "BTC/USDT").candle(1).open_time == T0 + timedelta(
        minutes=1
    )


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("", "no candles"),
        ("open_time,open,high,low,close\n", "no candles"),
        (f"{T0_MS},1,2,x,1,1\n", "not a kline CSV"),
        (f"{T0_MS},1,2,0.5\n", "not a kline CSV"),
        (f"{T0_MS},1,0.5,2,1,1\n", "impossible candle"),
        (f"{T0_MS},-1,2,0.5,1,1\n", "impossible candle"),
        (f"{T0_MS},1,2,0.5,1,1\n{T0_MS},1,2,0.5,1,1\n", "not in time order"),
        (f"{T0_MS},nan,2,0.5,1,1\n", "not a number"),
    ],
)
def test_a_broken_csv_names_the_file_and_the_problem(tmp_path: Path, text: str, says: str) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(text)
    with pytest.raises(InputError) as broken:
        CandleSeries.read_csv(str(path), "BTC/USDT")
    assert says in str(broken.value)
    assert "bad.csv" in str(broken.value)


def test_not_a_regular_file(tmp_path: Path) -> None:
    with pytest.raises(InputError) as directory:
        CandleSeries.read_csv(str(tmp_path), "BTC/USDT")
    assert "not a regular file" in str(directory.value)
    with pytest.raises(InputError) as missing:
        CandleSeries.read_csv(str(tmp_path / "none.csv"), "BTC/USDT")
    assert "cannot read" in str(missing.value)


def test_markets_must_share_one_time_grid(catalog: MarketCatalog) -> None:
    btc = series("BTC/USDT", [67_500.0, 67_600.0])
    eth = CandleSeries.from_columns(
        "ETH/USDT", [T0_MS, T0_MS + 120_000], [3000, 3000], [3001, 3001], [2999, 2999], [3000, 3000]
    )
    with pytest.raises(InputError) as refused:
        EventReplay(engine_at(catalog, D("67500")), {"BTC/USDT": btc, "ETH/USDT": eth})
    assert "same times" in str(refused.value)


def test_simulated_candles_are_seeded_valid_and_on_tick() -> None:
    from executors.paper.replay import simulate_candles

    kwargs = {
        "start": T0,
        "duration": timedelta(days=2),
        "interval": timedelta(minutes=1),
        "volatility": {"BTC/USDT": D("0.6"), "ETH/USDT": D("0.8")},
        "tick_sizes": {"BTC/USDT": D("0.01"), "ETH/USDT": D("0.01")},
    }
    prices = {"BTC/USDT": D("60000"), "ETH/USDT": D("3000")}
    a = simulate_candles(prices, seed=7, **kwargs)  # type: ignore[arg-type]
    b = simulate_candles(prices, seed=7, **kwargs)  # type: ignore[arg-type]
    c = simulate_candles(prices, seed=8, **kwargs)  # type: ignore[arg-type]
    assert len(a["BTC/USDT"]) == 2 * 24 * 60
    assert np.array_equal(a["BTC/USDT"].close, b["BTC/USDT"].close)
    assert not np.array_equal(a["BTC/USDT"].close, c["BTC/USDT"].close)
    assert not np.array_equal(a["BTC/USDT"].close, a["ETH/USDT"].close)
    btc = a["BTC/USDT"]
    assert btc.candle(0).open == D("60000.0")
    for index in (0, 1, 500, len(btc) - 1):
        candle = btc.candle(index)
        assert candle.low <= min(candle.open, candle.close) <= max(candle.open, candle.high)
        for price in (candle.open, candle.high, candle.low, candle.close):
            assert price == price.quantize(D("0.01"))
    # a day at 60 % a year moves a few per cent, not tenfold
    assert D("0.7") < btc.candle(len(btc) - 1).close / D(60000) < D("1.4")
