"""Replay speed: one year of 1-minute candles through signoff's paper engine and backtesting.py.

    .venv/bin/pip install -e '.[bench]'          # backtesting.py, the side-by-side reference
    .venv/bin/python benchmarks/bench_replay.py [--days 365] [--seed 7]

Both replay the same generated candles (a seeded random walk written as a Binance
kline CSV) with the same orders: ten resting triggers (five stop-losses below the
start, five take-profits above it) and a market buy every day. Each side runs in
its own process, reading the CSV from disk, and is timed from start to finish;
its peak memory is the process's maximum resident set. Printed: seconds and MiB
for each, and signoff's speed as a multiple of backtesting.py's (the target is
at least 2x, and under 5 s for signoff). Figures are printed, not asserted.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
START_MS = 1_704_067_200_000  # 2024-01-01T00:00:00Z
START_PRICE = 60_000.0
LEVELS_DOWN = (0.95, 0.90, 0.85, 0.80, 0.75)
LEVELS_UP = (1.05, 1.10, 1.15, 1.20, 1.25)

SIGNOFF_SIDE = r"""
import sys, time
from datetime import UTC, datetime, timedelta
from decimal import Decimal as D
started = time.perf_counter()
from executors.base import OrderRequest
from executors.catalog import load_market_catalog
from executors.paper.engine import PaperEngine
from executors.paper.replay import CandleSeries, EventReplay
from intent.plan import Schedule

path, start_price = sys.argv[1], D(sys.argv[2])
down = [D(x) for x in sys.argv[3].split(",")]
up = [D(x) for x in sys.argv[4].split(",")]
candles = CandleSeries.read_csv(path, "BTC/USDT")
t0 = candles.time(0) - timedelta(minutes=1)
engine = PaperEngine.with_balances(load_market_catalog(), {"USDT": D(10_000_000), "BTC": D(10)}, t0)
engine.set_prices({"BTC/USDT": start_price}, t0)
def order(cid, **kw):
    data = {"client_order_id": cid, "symbol": "BTC/USDT", "side": "sell",
            "order_type": "market", "quantity": D("0.1")}
    data.update(kw)
    return OrderRequest.model_validate(data)
for i, share in enumerate(down):
    engine.place(order(f"stop{i}", trigger_symbol="BTC/USDT", trigger_direction="below",
                       trigger_price=(start_price * share).quantize(D("0.01"))), t0)
for i, share in enumerate(up):
    engine.place(order(f"take{i}", trigger_symbol="BTC/USDT", trigger_direction="above",
                       trigger_price=(start_price * share).quantize(D("0.01"))), t0)
engine.place(order("daily", side="buy", quantity=D("0.001"),
                   schedule=Schedule.model_validate({"every": "1d", "count": None})), t0)
result = EventReplay(engine, {"BTC/USDT": candles}).run()
fills = sum(len(o.fills) for o in engine.orders())
print(f"fills={fills} candles={len(candles)} looked_at={result.candles_seen} "
      f"seconds={time.perf_counter() - started:.3f}")
"""

BACKTESTING_SIDE = r"""
import sys, time
started = time.perf_counter()
import warnings
warnings.filterwarnings("ignore")
import pandas as pd
from backtesting import Backtest, Strategy

path, start_price = sys.argv[1], float(sys.argv[2])
down = [float(x) for x in sys.argv[3].split(",")]
up = [float(x) for x in sys.argv[4].split(",")]
frame = pd.read_csv(path)
frame.index = pd.to_datetime(frame["open_time"], unit="ms")
frame = frame.rename(columns=str.capitalize)[["Open", "High", "Low", "Close", "Volume"]]
# backtesting.py sizes orders in whole units (or as a share of equity): price the
# market in mBTC so that 0.001 BTC is one unit and 0.1 BTC a hundred, as signoff sends
frame[["Open", "High", "Low", "Close"]] /= 1000
start_price /= 1000

class Rehearsal(Strategy):
    def init(self):
        self.day = None
        for share in down:
            self.sell(size=100, stop=round(start_price * share, 5))
        for share in up:
            self.sell(size=100, limit=round(start_price * share, 5))

    def next(self):
        day = self.data.index[-1].date()
        if day != self.day:
            self.day = day
            self.buy(size=1)

stats = Backtest(frame, Rehearsal, cash=10_000_000, commission=0.001,
                 exclusive_orders=False, finalize_trades=True).run()
seconds = time.perf_counter() - started
print(f"trades={stats['# Trades']} orders_filled={len(stats._trades)} seconds={seconds:.3f}")
"""


def write_candles(path: Path, days: int, seed: int) -> int:
    rows = days * 24 * 60
    rng = np.random.default_rng(seed)
    close = np.round(START_PRICE * np.exp(np.cumsum(rng.normal(0, 0.0009, rows))), 2)
    open_ = np.r_[START_PRICE, close[:-1]]
    wiggle = np.abs(rng.normal(0, 0.0004, rows))
    high = np.round(np.maximum(open_, close) * (1 + wiggle), 2)
    low = np.round(np.minimum(open_, close) * (1 - wiggle), 2)
    times = START_MS + np.arange(rows, dtype=np.int64) * 60_000
    volume = np.round(rng.uniform(1, 50, rows), 3)
    table = np.column_stack([times, open_, high, low, close, volume, times + 59_999])
    header = "open_time,open,high,low,close,volume,close_time"
    np.savetxt(
        path,
        table,
        delimiter=",",
        header=header,
        comments="",
        fmt=["%d", "%.2f", "%.2f", "%.2f", "%.2f", "%.3f", "%d"],
    )
    return rows


def run_side(code: str, args: list[str]) -> tuple[float, float, str]:
    """Wall seconds, peak MiB and the last line printed by one side, in its own process."""
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-c", code, *args],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    out = process.stdout.read() if process.stdout else ""
    err = process.stderr.read() if process.stderr else ""
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"failed:\n{err[-2000:]}")
    return wall, usage.ru_maxrss / 1024, out.strip().splitlines()[-1] if out.strip() else ""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "BTCUSDT-1m.csv"
        rows = write_candles(path, args.days, args.seed)
        common = [
            str(path),
            f"{START_PRICE:.2f}",
            ",".join(map(str, LEVELS_DOWN)),
            ",".join(map(str, LEVELS_UP)),
        ]
        print(f"{rows:,} one-minute candles, 10 resting triggers, a buy every day")
        ours, ours_mib, ours_line = run_side(SIGNOFF_SIDE, common)
        print(f"signoff        {ours:7.2f} s  {ours_mib:7.1f} MiB peak   {ours_line}")
        if importlib.util.find_spec("backtesting") is None:
            print("backtesting.py  skipped: not installed (pip install -e '.[bench]')")
            return
        theirs, theirs_mib, theirs_line = run_side(BACKTESTING_SIDE, common)
        print(f"backtesting.py {theirs:7.2f} s  {theirs_mib:7.1f} MiB peak   {theirs_line}")
        print(
            f"signoff is {theirs / ours:.1f}x as fast as backtesting.py "
            f"and uses {ours_mib / theirs_mib:.2f}x its memory (target: >= 2x, < 5 s)"
        )


if __name__ == "__main__":
    main()
