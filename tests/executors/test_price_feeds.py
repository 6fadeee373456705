"""Price feeds: the seeded simulation, candle replay, and the paper executor driven by them."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from itertools import pairwise
from pathlib import Path

import pytest

from executors.base import OrderRequest
from executors.catalog import MarketCatalog
from executors.localnet.server import LocalExchange
from executors.paper.engine import PaperEngine
from executors.paper.executor import PaperExecutor
from executors.paper.feeds import (
    LiveTickerFeed,
    ReplayFeed,
    SimulatedFeed,
    candle_ticks,
    parse_klines,
)
from executors.testing import START
from foundation.clock import FakeClock, SystemClock
from foundation.errors import ExchangeUnavailable, InputError

D = Decimal

# two one-minute BTCUSDT candles as Binance's dumps write them (ms timestamps, no header)
KLINES = (
    "1736068200000,67500.00,67600.00,67400.00,67550.00,12.5,1736068259999,843000.1,100,6.2,418000.0,0\n"
    "1736068260000,67550.00,67560.00,66900.00,66950.00,20.1,1736068319999,1349000.2,150,9.1,610000.0,0\n"
)


def test_simulated_feed_is_deterministic_for_a_seed(catalog: MarketCatalog) -> None:
    one = SimulatedFeed(catalog, seed=42, start=START)
    two = SimulatedFeed(catalog, seed=42, start=START)
    other = SimulatedFeed(catalog, seed=43, start=START)
    later = START + timedelta(seconds=50)
    a, b, c = one.take_until(later), two.take_until(later), other.take_until(later)
    assert len(a) == 50
    assert [t.prices for t in a] == [t.prices for t in b]
    assert a[-1].prices != c[-1].prices


def test_simulated_prices_are_decimals_on_tick_and_near_the_start(catalog: MarketCatalog) -> None:
    feed = SimulatedFeed(catalog, seed=1, start=START, interval=timedelta(minutes=1))
    ticks = feed.take_until(START + timedelta(hours=6))
    last = ticks[-1].prices
    assert set(last) == set(catalog.specs)
    for symbol, price in last.items():
        spec = catalog.specs[symbol]
        assert isinstance(price, Decimal)
        assert price % spec.rules.tick_size == 0
        # six hours at these volatilities: well within a factor of two
        assert spec.start_price / 2 < price < spec.start_price * 2, symbol


def test_simulated_cross_rates_follow_their_legs(catalog: MarketCatalog) -> None:
    feed = SimulatedFeed(catalog, seed=5, start=START, interval=timedelta(minutes=5))
    prices = feed.take_until(START + timedelta(days=2))[-1].prices
    implied = prices["ETH/USDT"] / prices["BTC/USDT"]
    assert abs(prices["ETH/BTC"] - implied) / implied < D("0.001")
    assert prices["BTC/USDC"] != catalog.specs["BTC/USDC"].start_price


def test_klines_parse_with_or_without_header_and_in_microseconds() -> None:
    plain = parse_klines(KLINES, source="btc.csv")
    header = "open_time,open,high,low,close,volume,close_time,quote_volume,count,tbv,tbqv,ignore\n"
    with_header = parse_klines(header + KLINES, source="btc.csv")
    micro = parse_klines(
        KLINES.replace("1736068200000", "1736068200000000")
        .replace("1736068259999", "1736068259999999")
        .replace("1736068260000", "1736068260000000")
        .replace("1736068319999", "1736068319999999"),
        source="btc.csv",
    )
    assert plain == with_header
    assert [c.open_time for c in micro] == [c.open_time for c in plain]
    assert plain[0].open_time == datetime(2025, 1, 5, 9, 10, tzinfo=UTC)
    assert plain[1].low == D("66900.00")


def test_candle_path_visits_the_nearer_extreme_first() -> None:
    up, down = parse_klines(KLINES, source="btc.csv")
    assert [p for _, p in candle_ticks(up)] == [D("67500"), D("67400"), D("67600"), D("67550")]
    assert [p for _, p in candle_ticks(down)] == [D("67550"), D("67560"), D("66900"), D("66950")]


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("1736068200000,1,2,3\n", "at least 6 columns"),
        ("1736068200000,67500,67400,67600,67550,1\n", "impossible candle"),
        ("1736068200000,abc,2,1,1,1\n", "not a number"),
        (KLINES.splitlines()[1] + "\n" + KLINES.splitlines()[0] + "\n", "time order"),
        ("", "no candles"),
    ],
)
def test_bad_kline_files_name_the_line(text: str, words: str) -> None:
    with pytest.raises(InputError) as err:
        parse_klines(text, source="btc.csv")
    assert words in err.value.message
    assert "btc.csv" in err.value.message


def test_replay_gives_ticks_in_time_order_until_exhausted() -> None:
    feed = ReplayFeed.from_csv({"BTC/USDT": KLINES}, start_at=START)
    assert feed.start == START
    first = feed.take_until(START + timedelta(seconds=30))
    assert [t.prices["BTC/USDT"] for t in first] == [D("67500"), D("67400")]
    rest = feed.take_until(START + timedelta(hours=1))
    assert len(rest) == 6
    assert feed.finished
    assert all(a.time < b.time for a, b in pairwise(rest))


@pytest.mark.asyncio
async def test_replayed_drop_fires_a_stop_loss_through_the_paper_executor(
    catalog: MarketCatalog,
) -> None:
    clock = FakeClock(START)
    engine = PaperEngine.with_balances(catalog, {"BTC": D("1")}, clock.now())
    engine.set_price("BTC/USDT", D("67500"), clock.now())
    executor = PaperExecutor(
        engine, clock, ReplayFeed.from_csv({"BTC/USDT": KLINES}, start_at=START)
    )
    await executor.start()
    stop = OrderRequest(
        client_order_id="stop-1",
        symbol="BTC/USDT",
        side="sell",
        order_type="market",
        quantity=D("0.5"),
        trigger_symbol="BTC/USDT",
        trigger_price=D("67000"),
        trigger_direction="below",
    )
    assert (await executor.submit(stop)).status == "open"
    clock.advance(timedelta(seconds=59))  # first candle: low 67,400, not crossed
    assert (await executor.lookup("BTC/USDT", "stop-1")).status == "open"  # type: ignore[union-attr]
    clock.advance(timedelta(seconds=61))  # second candle dips to 66,900
    state = await executor.lookup("BTC/USDT", "stop-1")
    assert state is not None
    assert state.status == "filled"
    assert state.average_price is not None
    assert state.average_price < D("67000")
    account = await executor.account()
    assert account.balances["BTC"].free == D("0.5")


@pytest.mark.asyncio
async def test_paper_executor_saves_and_a_new_one_continues(
    catalog: MarketCatalog, tmp_path: Path
) -> None:
    path = str(tmp_path / "paper.json")
    clock = FakeClock(START)
    engine = PaperEngine.with_balances(catalog, {"USDT": D(1000)}, clock.now())
    first = PaperExecutor(
        engine, clock, SimulatedFeed(catalog, seed=3, start=START), state_path=path
    )
    await first.start()
    order = OrderRequest(
        client_order_id="l1",
        symbol="SOL/USDT",
        side="buy",
        order_type="limit",
        quantity=D("1"),
        limit_price=D("100"),
    )
    await first.submit(order)
    await first.close()
    with open(path, encoding="utf-8") as handle:
        again = PaperExecutor(PaperEngine.loads(catalog, handle.read()), clock)
    assert [o.client_order_id for o in await again.open_orders()] == ["l1"]
    assert (await again.account()).balances["USDT"].locked == D(100)


@pytest.mark.asyncio
async def test_live_ticker_feed_reads_public_prices_through_ccxt(localnet: LocalExchange) -> None:
    # "live" here is the local exchange over loopback: tests never go online
    import ccxt.async_support as ccxt

    exchange = ccxt.binance(
        {
            "enableRateLimit": False,
            "options": {"defaultType": "spot", "fetchMarkets": {"types": ["spot"]}},
        }
    )
    exchange.urls["test"] = {
        "public": f"{localnet.url}/api/v3",
        "private": f"{localnet.url}/api/v3",
        "v1": f"{localnet.url}/api/v1",
    }
    exchange.set_sandbox_mode(True)
    exchange.number = str
    try:
        feed = LiveTickerFeed(exchange, ["BTC/USDT", "ETH/USDT"])
        [tick] = await feed.ticks_until(START)
        assert tick.time == START
        assert tick.prices == {"BTC/USDT": D("67500"), "ETH/USDT": D("3150")}
        await localnet.stop()
        with pytest.raises(ExchangeUnavailable):
            await feed.ticks_until(START)
    finally:
        await exchange.close()


@pytest.mark.asyncio
async def test_paper_executor_keeps_prices_moving_between_requests(
    catalog: MarketCatalog,
) -> None:
    clock = SystemClock()
    engine = PaperEngine.with_balances(catalog, {"USDT": D(1000)}, clock.now())
    feed = SimulatedFeed(catalog, seed=9, start=clock.now(), interval=timedelta(milliseconds=20))
    executor = PaperExecutor(engine, clock, feed, autosync_seconds=0.02)
    await executor.start()
    try:
        before = engine.last("BTC/USDT")
        for _ in range(100):
            await asyncio.sleep(0.02)
            if engine.last("BTC/USDT") != before:
                break
        assert engine.last("BTC/USDT") != before
    finally:
        await executor.close()


def test_simulated_feed_continues_from_given_prices(catalog: MarketCatalog) -> None:
    feed = SimulatedFeed(catalog, seed=1, start=START, prices={"BTC/USDT": D("50000")})
    assert feed.prices()["BTC/USDT"] == D("50000")
    assert feed.prices()["ETH/USDT"] == catalog.specs["ETH/USDT"].start_price
    moved = feed.take_until(START + timedelta(seconds=5))[-1].prices["BTC/USDT"]
    assert D("49000") < moved < D("51000")
