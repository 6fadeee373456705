"""`signoff executor --exchange paper --feed ...`: replayed klines or live tickers."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from executors.catalog import load_market_catalog
from executors.paper.feeds import LiveTickerFeed, ReplayFeed
from executors.process.client import ExecutorClient, start_executor
from executors.process.server import build_feed, feed_files
from foundation.errors import InputError
from tests.conftest import REPO

SYMBOLS = sorted(load_market_catalog().specs)
T0 = 1_704_067_200_000  # 2024-01-01 00:00 UTC, in ms


def klines(path: Path, rows: list[tuple[str, str, str, str]]) -> Path:
    """A Binance kline CSV: one 1-minute candle per (open, high, low, close)."""
    lines = []
    for i, (o, h, lo, c) in enumerate(rows):
        opened = T0 + i * 60_000
        lines.append(f"{opened},{o},{h},{lo},{c},1.5,{opened + 59_999},0,0,0,0,0\n")
    path.write_text("".join(lines))
    return path


def _signoff(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "signoff", *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={**os.environ, "PYTHONPATH": str(REPO), "SIGNOFF_HOME": str(home)},
    )


def test_csv_files_are_named_by_market_or_by_binance_file_name(tmp_path: Path) -> None:
    bare = str(tmp_path / "BTCUSDT-1m-2024-01.csv")
    named = str(tmp_path / "eth.csv")
    assert feed_files(f"csv:{bare},ETH/USDT={named}", SYMBOLS) == {
        "BTC/USDT": bare,
        "ETH/USDT": named,
    }
    with pytest.raises(InputError, match="cannot tell the market of"):
        feed_files(f"csv:{named}", SYMBOLS)
    with pytest.raises(InputError, match="no market 'XYZ/USDT'"):
        feed_files(f"csv:XYZ/USDT={named}", SYMBOLS)
    with pytest.raises(InputError, match="two files for BTC/USDT"):
        feed_files(f"csv:{bare},BTC/USDT={named}", SYMBOLS)
    with pytest.raises(InputError, match="not a feed"):
        build_feed("klines.csv", SYMBOLS, datetime.now(UTC))


def test_a_csv_feed_replays_from_the_start_time(tmp_path: Path) -> None:
    path = klines(tmp_path / "k.csv", [("100.5", "101", "100", "100.8")])
    start = datetime(2026, 12, 1, tzinfo=UTC)
    feed, exchange = build_feed(f"csv:BTC/USDT={path}", SYMBOLS, start)
    assert exchange is None
    assert isinstance(feed, ReplayFeed)
    [tick] = feed.take_until(start)
    assert tick.time == start
    assert tick.prices == {"BTC/USDT": Decimal("100.5")}


def test_live_builds_a_ccxt_ticker_feed_without_a_request() -> None:
    import ccxt.async_support as ccxt_async

    async def build() -> None:
        feed, exchange = build_feed("live", SYMBOLS, datetime.now(UTC))
        try:
            assert isinstance(feed, LiveTickerFeed)
            assert isinstance(exchange, ccxt_async.Exchange)
            assert exchange.id == "binance"
            assert feed.symbols == SYMBOLS
        finally:
            await exchange.close()

    asyncio.run(build())


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--feed", "csv:BTC/USDT=/nonexistent/k.csv"], "no file /nonexistent/k.csv"),
        (["--feed", "csv:/tmp/whatever.csv"], "cannot tell the market of /tmp/whatever.csv"),
        (["--feed", "ticks"], "is not a feed"),
    ],
)
def test_bad_feed_arguments_are_clear_errors(
    signoff_home: Path, args: list[str], needle: str
) -> None:
    done = _signoff(signoff_home, "executor", "--exchange", "paper", *args)
    assert done.returncode == 2, done.stderr
    assert needle in done.stderr
    assert "Traceback" not in done.stderr


def test_a_bad_file_and_a_feed_for_another_venue_are_refused(
    signoff_home: Path, tmp_path: Path
) -> None:
    broken = tmp_path / "broken.csv"
    broken.write_text(f"{T0},100,99,101,100,1,{T0 + 59_999}\n")  # high below low
    done = _signoff(
        signoff_home, "executor", "--exchange", "paper", "--feed", f"csv:BTC/USDT={broken}"
    )
    assert done.returncode == 2, done.stderr
    assert f"{broken}, line 1: impossible candle" in done.stderr
    assert "Traceback" not in done.stderr
    good = klines(tmp_path / "k.csv", [("100", "101", "99", "100")])
    other = _signoff(signoff_home, "executor", "--feed", f"csv:BTC/USDT={good}")
    assert other.returncode == 2
    assert "use it with --exchange paper" in other.stderr


@pytest.fixture
def replaying(signoff_home: Path, tmp_path: Path) -> Iterator[ExecutorClient]:
    path = klines(
        tmp_path / "BTCUSDT-1m-2024-01.csv",
        [("12345.67", "12400", "12300", "12350"), ("12350", "12360", "12340", "12355")],
    )
    client = start_executor(
        "paper", args=["--exchange", "paper", "--feed", f"csv:{path}"], reuse=False, timeout=60
    )
    yield client
    client.shutdown()


def test_the_executor_quotes_follow_the_file(replaying: ExecutorClient) -> None:
    # the file starts when the executor does: the first candle's open is the price now
    # (the next tick, its low, is 20 seconds later)
    quote = replaying.quotes(["BTC/USDT"])["BTC/USDT"]
    assert quote.last == Decimal("12345.67")
    assert quote.bid <= quote.last <= quote.ask
    # a market with no file keeps the engine's own prices
    assert replaying.quotes(["ETH/USDT"])["ETH/USDT"].last != Decimal("12345.67")
