"""``signoff session run FILE --interactive``: the real terminal UI on a paper session's
market and clock, opened the way the command line opens it, driven by key presses."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from executors.catalog import load_market_catalog
from executors.ids import client_order_id
from executors.paper.feeds import candle_ticks
from signoff.cli import main
from signoff.commands.session import open_interactive
from signoff.paper.realtime import Interactive
from tests.conftest import REPO
from tests.tui.conftest import propose, ready, state_of
from tui.widgets.status_bar import StatusBar

T0 = datetime(2026, 3, 2, tzinfo=UTC)
SIZE = (100, 30)


class Wall:
    """A wall clock the test moves (the session's clock is this times its speed)."""

    def __init__(self) -> None:
        self.seconds = 1000.0

    def __call__(self) -> float:
        return self.seconds


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    where = tmp_path / "home"
    monkeypatch.setenv("SIGNOFF_HOME", str(where))
    return where


def interactive_file(tmp_path: Path, *, clock: str = "accelerated", extra: str = "") -> Path:
    path = tmp_path / "interactive.toml"
    path.write_text(
        f"""
[session]
name = "at the keyboard"
start = 2026-03-02T00:00:00Z
duration = "1d"
clock = "{clock}"
speed = 60
seed = 11
trader = "alice"

[balances]
USDT = "20000"
BTC = "0.1"

[prices]
source = "simulated"
interval = "1m"
volatility = "0.8"
[prices.start]
"BTC/USDT" = "60000"

[fees]
maker = "0.001"
taker = "0.001"
slippage_bps = "0"
{extra}
"""
    )
    return path


def price_at(session: Interactive, symbol: str, now: datetime) -> Decimal:
    """The last simulated tick at or before ``now``, from the session's own candles."""
    assert session.candles is not None
    candles = session.candles[symbol]
    price = candles.candle(0).open
    for index in range(len(candles)):
        for when, value in candle_ticks(candles.candle(index)):
            if when > now:
                return price
            price = value
    return price


@pytest.mark.slow
@pytest.mark.asyncio
async def test_an_allowed_order_fills_at_the_sessions_price_and_clock(
    tmp_path: Path, home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    wall = Wall()
    session, app = open_interactive(str(interactive_file(tmp_path)), str(home), wall=wall)
    sid = session.stack.session_id
    try:
        async with app.run_test(size=SIZE) as pilot:
            screen = await ready(pilot)
            assert screen.status is not None
            assert screen.status.identity == "alice"
            # the status bar says whose clock this is
            assert screen.status.clock == f"session {sid} 2026-03-02 00:00:00 ×60"
            assert f"session {sid} 2026-03-02 00:00:00 ×60" in str(
                screen.query_one(StatusBar).render()
            )
            # 90 wall seconds at 60×: an hour and a half into the session's day
            wall.seconds += 90
            now = T0 + timedelta(minutes=90)
            assert session.clock.now() == now
            later = await asyncio.to_thread(app.service.status)
            assert later.clock == f"session {sid} 2026-03-02 01:30:00 ×60"
            screen = await propose(pilot, "buy 0.01 BTC")
            plan = screen.plan_panel.plan
            assert plan is not None
            assert plan.status == "plan"
            assert [row.decision for row in plan.steps] == ["allow"]
            await pilot.press("x")
            assert await state_of(pilot, "s1", "executed", "failed", "refused") == "executed"
            coid = client_order_id(plan.plan_id, "s1")
            order = session.stack.executor.order("BTC/USDT", coid)
            assert order is not None
            assert order.status == "filled"
            # a step the policy refuses shows refused, with its rules
            screen = await propose(pilot, "buy 3 BTC")
            denied = screen.plan_panel.plan
            assert denied is not None
            assert [row.decision for row in denied.steps] == ["deny"]
            assert any("[quantity-cap]" in reason for reason in denied.steps[0].reasons)
    finally:
        result = session.close()
    # the fill: at the simulated price of the session's now, on its clock
    spec = load_market_catalog().specs["BTC/USDT"]
    ask = spec.quote_at(price_at(session, "BTC/USDT", now), now).ask
    (fill,) = result.report.fills
    assert (fill.side, fill.quantity, fill.price, fill.time) == ("buy", Decimal("0.01"), ask, now)
    assert result.report.end == now
    assert [(e.request, e.step_id, e.decision, e.outcome) for e in result.report.gate] == [
        ("buy 0.01 BTC", "s1", "allow", "sent"),
        ("buy 3 BTC", "s1", "deny", "denied"),
    ]
    assert "quantity-cap" in result.report.gate[1].rules
    assert fill.client_order_id is not None
    assert fill.client_order_id.startswith("r1")
    # everything is under the session's id: report works as for a scripted session
    capsys.readouterr()
    assert main(["session", "report", sid, "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["session_id"] == sid
    assert [(f["side"], f["quantity"], f["price"]) for f in data["fills"]] == [
        ("buy", "0.01", str(ask))
    ]
    assert main(["session", "report", sid, "--csv"]) == 0
    assert str(ask) in capsys.readouterr().out
    assert main(["session", "list"]) == 0
    assert sid in capsys.readouterr().out
    # past the session's day the status bar says it has ended
    wall.seconds += 24 * 60
    assert session.clock_label() == f"session {sid} 2026-03-02 23:59:59 ×60 · ended"


def test_fast_clock_runs_accelerated_with_a_note(tmp_path: Path, home: Path) -> None:
    wall = Wall()
    session, _app = open_interactive(
        str(interactive_file(tmp_path, clock="fast")), str(home), wall=wall
    )
    try:
        assert session.notice is not None
        assert "accelerated" in session.notice
        wall.seconds += 10
        assert session.clock.now() == T0 + timedelta(minutes=10)
    finally:
        result = session.close()
    assert result.report.fills == []


SCRIPT = """
[[script]]
at = "0m"
request = "buy 0.01 BTC"
"""


def test_a_scripted_file_is_refused_interactively(
    tmp_path: Path, home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = interactive_file(tmp_path, extra=SCRIPT)
    assert main(["session", "run", str(path), "--interactive"]) == 2
    err = capsys.readouterr().err
    assert "has a script (1 [[script]] entries)" in err
    assert "hint: remove the [[script]] entries" in err
    assert "Traceback" not in err
    assert not (home / "sessions").exists() or not list((home / "sessions").iterdir())


def test_live_keys_without_live_prices_are_refused(
    tmp_path: Path, home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = interactive_file(tmp_path)
    path.write_text(path.read_text().replace('interval = "1m"', 'interval = "1m"\nvenue = "okx"'))
    assert main(["session", "run", str(path), "--interactive"]) == 2
    assert 'prices.venue: only for prices.source = "live"' in capsys.readouterr().err


def test_the_shipped_interactive_sample_opens_and_closes(home: Path) -> None:
    wall = Wall()
    session, _app = open_interactive(
        str(REPO / "configs" / "sessions" / "interactive.toml"), str(home), wall=wall
    )
    try:
        assert session.notice is None
        wall.seconds += 60
        assert session.clock.now() == datetime(2026, 1, 5, 1, tzinfo=UTC)
    finally:
        result = session.close()
    assert result.report.fills == []
    assert result.report.end == datetime(2026, 1, 5, 1, tzinfo=UTC)
