"""``prices.source = "live"``: public tickers polled through ccxt, in real time.

No test reaches the internet: the venue is the local exchange (the Binance REST
subset ccxt speaks) on 127.0.0.1, whose prices the test moves. The session's wall
clock is the test's: each of its sleeps moves the clock by what was asked and may
move the venue's price, so a real-time session runs in a moment and the same way
every time.
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from executors.catalog import load_demo_account, load_market_catalog
from executors.localnet.server import Credentials, Fault, LocalExchange
from executors.paper.engine import engine_from
from foundation.clock import SystemClock
from ledger.service import Ledger
from signoff.cli import main
from signoff.commands.session import _show
from signoff.paper.runner import run_session

D = Decimal


@dataclass
class Venue:
    """The local exchange, served from a thread of its own."""

    exchange: LocalExchange
    loop: asyncio.AbstractEventLoop

    def _call(self, work: Callable[[], object]) -> None:
        async def call() -> None:
            work()

        asyncio.run_coroutine_threadsafe(call(), self.loop).result(10)

    def set_price(self, symbol: str, price: str) -> None:
        engine = self.exchange.engine
        self._call(lambda: engine.set_prices({symbol: D(price)}, self.exchange.clock.now()))

    def fail_tickers(self, times: int, *, status: int = 0) -> None:
        fault = Fault(
            kind="error", method="GET", path="/api/v3/ticker/24hr", times=times, status=status
        )
        self._call(lambda: self.exchange.inject(fault))


@pytest.fixture
def venue() -> Iterator[Venue]:
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    clock = SystemClock()
    exchange = LocalExchange(
        engine=engine_from(load_market_catalog(), load_demo_account(clock.now())),
        credentials=Credentials.generate(),
        clock=clock,
        test_hooks=True,
    )
    asyncio.run_coroutine_threadsafe(exchange.start(), loop).result(10)
    served = Venue(exchange, loop)
    served.set_price("BTC/USDT", "60000")
    try:
        yield served
    finally:
        asyncio.run_coroutine_threadsafe(exchange.stop(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    where = tmp_path / "home"
    monkeypatch.setenv("SIGNOFF_HOME", str(where))
    return where


@dataclass
class Wall:
    """The session's wall clock; each sleep moves it and then runs what is due by then."""

    seconds: float = 5000.0
    at: dict[int, Callable[[], None]] = field(default_factory=dict)
    sleeps: int = 0

    def __call__(self) -> float:
        return self.seconds

    def sleep(self, seconds: float) -> None:
        self.seconds += seconds
        self.sleeps += 1
        action = self.at.pop(self.sleeps, None)
        if action is not None:
            action()


def live_file(tmp_path: Path, url: str, *, script: str = "", extra: str = "") -> Path:
    path = tmp_path / "live.toml"
    path.write_text(
        f"""
[session]
name = "live rehearsal"
duration = "2m"
clock = "real"
trader = "alice"
{extra}

[balances]
USDT = "20000"
BTC = "0.1"

[prices]
source = "live"
venue = "local"
url = "{url}"
interval = "10s"
markets = ["BTC/USDT"]

[fees]
maker = "0.001"
taker = "0.001"
slippage_bps = "0"
{script}
"""
    )
    return path


RESTING_BUY = """
[[script]]
at = "0m"
request = "buy 0.001 BTC at 59,000"
"""


def test_a_resting_limit_fills_when_the_live_ticker_crosses(
    tmp_path: Path, home: Path, venue: Venue
) -> None:
    wall = Wall()
    # the venue's price falls through the limit during the third interval
    wall.at[3] = lambda: venue.set_price("BTC/USDT", "58900")
    path = live_file(tmp_path, venue.exchange.url, script=RESTING_BUY)
    run = run_session(str(path), home=str(home), sleep=wall.sleep, wall=wall)
    report = run.report
    (fill,) = report.fills
    assert (fill.side, fill.quantity, fill.price) == ("buy", D("0.001"), D("59000"))
    # found by the poll after the move: three intervals in
    assert fill.time == report.start + timedelta(seconds=30)
    assert report.end == report.start + timedelta(minutes=2)
    assert report.end_balances["BTC"] == D("0.1") + D("0.001") - fill.fee
    assert report.run["start_prices"] == {"BTC/USDT": "60000"}
    assert "stopped" not in report.run
    # the ledger has the session under its id, with the fill
    ledger = Ledger.open(f"sqlite:///{run.directory}/ledger.sqlite3")
    try:
        assert ledger.verify().ok
        kinds = [r.kind for r in ledger.recent(200)]
        (started,) = ledger.recent(1, kind="session_start")
        assert started.subject == report.session_id
    finally:
        ledger.close()
    assert "session_start" in kinds
    assert kinds[-1] == "session_end"
    assert kinds.count("fill") == 1


def test_the_venue_going_down_stops_the_session_with_what_happened_so_far(
    tmp_path: Path, home: Path, venue: Venue, capsys: pytest.CaptureFixture[str]
) -> None:
    wall = Wall()
    wall.at[1] = lambda: venue.set_price("BTC/USDT", "58900")  # the limit fills at 10 s
    # one garbled answer (a 200 with an error body), then prices again ...
    wall.at[2] = lambda: venue.fail_tickers(1, status=200)
    # ... then down for good: five polls in a row without prices stop the session
    wall.at[4] = lambda: venue.fail_tickers(100)
    path = live_file(tmp_path, venue.exchange.url, script=RESTING_BUY)
    run = run_session(str(path), home=str(home), sleep=wall.sleep, wall=wall)
    report = run.report
    (fill,) = report.fills
    assert fill.price == D("59000")
    stopped = report.run["stopped"]
    assert stopped.startswith("stopped: 5 polls in a row without prices")
    notes = [n["note"] for n in report.run["notes"]]
    assert notes[0].startswith("no prices: local answered something that is not a ticker") or (
        notes[0].startswith("no prices: cannot fetch live prices")
    )
    assert any(n.startswith("prices again") for n in notes)
    # stopped at the fifth failed poll: 40 s + 4 × 10 s
    assert report.end == report.start + timedelta(seconds=80)
    # the command says it did not run to its end
    assert _show(run, json=True) == 1
    # the report is there for `report`, with the fill
    capsys.readouterr()
    assert main(["session", "report", report.session_id, "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [f["price"] for f in data["fills"]] == ["59000"]


def test_the_venue_down_at_the_start_leaves_no_session(
    tmp_path: Path, home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import socket

    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    path = live_file(tmp_path, f"http://127.0.0.1:{port}")
    code = main(["session", "run", str(path), "--quiet"])
    err = capsys.readouterr().err
    assert code != 0
    assert code != 70
    assert "cannot fetch live prices from" in err
    assert not (home / "sessions").exists() or not list((home / "sessions").iterdir())


LIVE_BAD = [
    ('clock = "real"', 'clock = "accelerated"', "session.clock: live prices arrive in real time"),
    ('clock = "real"', 'clock = "fast"', 'clock = "fast" cannot run ahead'),
    ('clock = "real"', 'clock = "real"\nstart = 2026-01-05T00:00:00Z', "session.start: a live"),
    ('venue = "local"', 'venue = "kraken"', "prices.venue: 'kraken' is not a venue"),
    ('venue = "local"', "", "prices.venue: live prices need a venue"),
    ('interval = "10s"', 'interval = "10s"\nvolatility = "0.5"', "prices.volatility: not used"),
    ('venue = "local"', 'venue = "binance"', 'prices.url: only for venue = "local"'),
]


@pytest.mark.parametrize(("old", "new", "expected"), LIVE_BAD)
def test_bad_live_files_are_refused_naming_the_key(
    tmp_path: Path,
    home: Path,
    capsys: pytest.CaptureFixture[str],
    old: str,
    new: str,
    expected: str,
) -> None:
    path = live_file(tmp_path, "http://127.0.0.1:9")
    path.write_text(path.read_text().replace(old, new))
    for extra in ([], ["--interactive"]):
        assert main(["session", "run", str(path), *extra]) == 2
        err = capsys.readouterr().err
        assert expected in err, err
        assert "Traceback" not in err


def test_the_shipped_live_sample_is_a_valid_session_file() -> None:
    """It needs the network to run, so it is only read here."""
    from signoff.paper.config import load_session_file
    from tests.conftest import REPO

    file, _ = load_session_file(str(REPO / "configs" / "sessions" / "live-btc.toml"))
    assert file.prices.source == "live"
    assert file.prices.venue == "binance"
    assert file.session.clock == "real"


@pytest.mark.slow
@pytest.mark.asyncio
async def test_an_interactive_live_session_fills_a_resting_limit_from_the_screen(
    tmp_path: Path, home: Path, venue: Venue
) -> None:
    from executors.ids import client_order_id
    from signoff.commands.session import open_interactive
    from tests.tui.conftest import propose, ready, state_of, wait_for

    wall = Wall()
    path = live_file(tmp_path, venue.exchange.url)
    session, app = open_interactive(str(path), str(home), wall=wall)
    try:
        async with app.run_test(size=(100, 30)) as pilot:
            await ready(pilot)
            screen = await propose(pilot, "buy 0.001 BTC at 59,000")
            plan = screen.plan_panel.plan
            assert plan is not None
            assert [row.decision for row in plan.steps] == ["allow"]
            await pilot.press("x")
            assert await state_of(pilot, "s1", "executed", "failed", "refused") == "executed"
            coid = client_order_id(plan.plan_id, "s1")
            executor = session.stack.executor
            order = executor.order("BTC/USDT", coid)
            assert order is not None
            assert order.status == "open"
            # the venue's price falls through the limit; the next poll sees it
            venue.set_price("BTC/USDT", "58900")
            wall.seconds += 10

            def filled() -> bool:
                state = executor.order("BTC/USDT", coid)
                return state is not None and state.status == "filled"

            await wait_for(pilot, filled, "the resting buy to fill")
    finally:
        result = session.close()
    (fill,) = result.report.fills
    assert (fill.side, fill.quantity, fill.price) == ("buy", D("0.001"), D("59000"))
    assert fill.time == result.report.start + timedelta(seconds=10)
    assert result.report.end == result.report.start + timedelta(seconds=10)
