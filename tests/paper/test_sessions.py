"""Paper sessions end to end: scripted requests through the real gate, on simulated time."""

from __future__ import annotations

import itertools
import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from foundation.errors import ConfigError
from ledger.service import Ledger
from signoff.cli import main
from signoff.paper.runner import SessionRun, list_sessions, run_session
from tests.conftest import REPO

D = Decimal
T0 = datetime(2026, 3, 2, tzinfo=UTC)
SAMPLES = REPO / "configs" / "sessions"


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    where = tmp_path / "home"
    monkeypatch.setenv("SIGNOFF_HOME", str(where))
    return where


def write_path_csv(path: Path, points: list[tuple[int, float]], minutes: int) -> None:
    """1-minute BTC candles along straight lines between (minute, price) points."""
    rows = ["open_time,open,high,low,close,volume"]
    start_ms = int(T0.timestamp() * 1000)
    previous = points[0][1]
    for minute in range(minutes):
        for (m0, p0), (m1, p1) in itertools.pairwise(points):
            if m0 <= minute <= m1:
                price = p0 + (p1 - p0) * (minute - m0) / (m1 - m0)
                break
        else:
            price = points[-1][1]
        close = round(price, 2)
        high = max(previous, close)
        low = min(previous, close)
        rows.append(
            f"{start_ms + minute * 60_000},{previous:.2f},{high:.2f},{low:.2f},{close:.2f},1"
        )
        previous = close
    path.write_text("\n".join(rows) + "\n")


def session_file(tmp_path: Path, script: str, *, extra: str = "") -> Path:
    write_path_csv(
        tmp_path / "btc.csv",
        [(0, 67500.0), (60, 67500.0), (120, 64000.0), (240, 70000.0)],
        minutes=360,
    )
    path = tmp_path / "session.toml"
    path.write_text(
        f"""
[session]
name = "scripted"
start = {T0.isoformat().replace("+00:00", "Z")}
duration = "6h"
trader = "alice"

[balances]
USDT = "20000"
BTC = "0.1"

[prices]
source = "replay"
[prices.files]
"BTC/USDT" = "btc.csv"
{extra}
{script}
"""
    )
    return path


def signed_sum(run: SessionRun, asset: str) -> Decimal:
    total = D(0)
    for fill in run.report.fills:
        base, quote = fill.symbol.split("/")
        if asset == base:
            total += fill.quantity if fill.side == "buy" else -fill.quantity
        if asset == quote:
            total += (
                -fill.quantity * fill.price if fill.side == "buy" else fill.quantity * fill.price
            )
        if fill.fee_asset == asset:
            total -= fill.fee
    return total


def test_market_limit_trigger_and_schedule_fill_exactly_as_scripted(
    tmp_path: Path, home: Path
) -> None:
    path = session_file(
        tmp_path,
        """
[[script]]
at = "0m"
request = "buy 0.01 BTC"

[[script]]
at = "0m"
request = "buy 0.01 BTC at 65,000"

[[script]]
at = "0m"
request = "sell 0.01 BTC if it rises above 69,000"

[[script]]
at = "0m"
request = "buy 0.001 BTC every hour for 3 hours"
""",
    )
    run = run_session(str(path), home=str(home))
    fills = sorted(run.report.fills, key=lambda f: f.time)
    assert len(fills) == 6  # market, limit, trigger, three scheduled runs
    market, *_rest = fills
    assert (market.side, market.quantity) == ("buy", D("0.01"))
    assert market.time < T0 + timedelta(minutes=2)
    limit = [f for f in fills if f.price == D("65000")]
    assert len(limit) == 1
    assert limit[0].side == "buy"
    assert limit[0].maker
    # the limit fills only once the price came down to it (about minute 103)
    assert T0 + timedelta(minutes=100) < limit[0].time < T0 + timedelta(minutes=110)
    sold = [f for f in fills if f.side == "sell"]
    assert len(sold) == 1
    assert sold[0].quantity == D("0.01")
    assert sold[0].time > T0 + timedelta(minutes=200)  # above 69,000 only near minute 220
    assert sold[0].price >= D("68900")
    scheduled = [f for f in fills if f.quantity == D("0.001")]
    assert [f.time.hour - T0.hour for f in scheduled] == [0, 1, 2]
    # the account is exactly the start plus every fill, less every fee
    for asset in ("BTC", "USDT"):
        start = {"BTC": D("0.1"), "USDT": D("20000")}[asset]
        assert run.report.end_balances[asset] == start + signed_sum(run, asset)
    assert run.report.gate_figures()["outcomes"] == {"sent": 4}


def test_a_trigger_that_fires_while_trading_is_halted_does_not_trade(
    tmp_path: Path, home: Path
) -> None:
    script = """
[[script]]
at = "0m"
request = "sell 0.01 BTC if it drops below 65,000"
"""
    control = run_session(str(session_file(tmp_path, script)), home=str(home))
    assert [f.side for f in control.report.fills] == ["sell"]

    halted = session_file(
        tmp_path,
        script
        + """
[[script]]
at = "30m"
halt = "incident"
""",
    )
    run = run_session(str(halted), home=str(home))
    assert run.report.fills == []
    assert run.report.end_balances["BTC"] == D("0.1")
    # the order reached the venue and fired, but the gate refused it as it fired
    ledger = Ledger.open(f"sqlite:///{run.directory}/ledger.sqlite3")
    try:
        assert ledger.verify().ok
    finally:
        ledger.close()
    events = [(e.request, e.outcome) for e in run.report.gate]
    assert events == [("sell 0.01 BTC if it drops below 65,000", "sent"), ("halt", "halted")]


def test_the_same_file_and_seed_give_the_same_report(home: Path) -> None:
    first = run_session(str(SAMPLES / "dca.toml"), home=str(home))
    second = run_session(str(SAMPLES / "dca.toml"), home=str(home))
    assert first.report.deterministic_json() == second.report.deterministic_json()
    assert first.report.session_id != second.report.session_id
    written = json.loads((Path(first.directory) / "report.json").read_text())
    assert set(written["run"]) == {"file", "session_id", "started_at", "wall_seconds"}
    assert (Path(first.directory) / "chart.png").read_bytes()[:4] == b"\x89PNG"
    assert (Path(first.directory) / "fills.csv").read_text().count("\n") == 15


def test_dca_sample_buys_every_day(home: Path) -> None:
    run = run_session(str(SAMPLES / "dca.toml"), home=str(home))
    assert len(run.report.fills) == 14
    assert {f.quantity for f in run.report.fills} == {D("0.001")}
    days = sorted({f.time.date() for f in run.report.fills})
    assert len(days) == 14
    assert run.report.end_balances["BTC"] == 14 * (D("0.001") - D("0.000001"))


def test_stop_loss_take_profit_sample(home: Path) -> None:
    run = run_session(str(SAMPLES / "stop-loss-take-profit.toml"), home=str(home))
    assert run.report.gate_figures()["outcomes"] == {"sent": 2}
    for fill in run.report.fills:
        assert fill.side == "sell"
        assert fill.quantity == D("0.05")


def test_policy_rehearsal_exercises_every_gate(home: Path) -> None:
    run = run_session(str(SAMPLES / "policy-rehearsal.toml"), home=str(home))
    outcomes = [(e.request, e.decision, e.outcome) for e in run.report.gate]
    assert outcomes == [
        ("buy 0.01 BTC", "allow", "sent"),
        ("buy 10 SOL at 150", "confirm", "sent"),
        ("buy 0.2 BTC", "escalate", "sent"),
        ("buy 5 BTC", "deny", "denied"),
        ("buy 12 SOL at 150", "confirm", "rejected"),
        ("halt", "compliance", "halted"),
        ("buy 0.01 BTC", "deny", "denied"),
    ]
    assert {(f.symbol, f.quantity) for f in run.report.fills} >= {
        ("BTC/USDT", D("0.01")),
        ("BTC/USDT", D("0.2")),
    }
    assert not any(f.quantity in (D("5"), D("12")) for f in run.report.fills)


def test_a_second_approver_the_policy_does_not_name_is_refused(tmp_path: Path, home: Path) -> None:
    path = session_file(
        tmp_path,
        """
[[script]]
at = "0m"
request = "buy 0.2 BTC"
answer = "approve-as:bob"
""",
        extra='[identities]\nbob = ["approver"]\n',
    )
    run = run_session(str(path), home=str(home))
    (event,) = run.report.gate
    assert (event.decision, event.outcome) == ("escalate", "refused")
    assert "NOT_AN_APPROVER" in event.detail
    assert run.report.fills == []


def test_cli_run_list_report_reset(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["session", "run", "--quiet", str(SAMPLES / "dca.toml")]) == 0
    out = capsys.readouterr().out
    assert "DCA into BTC" in out
    assert "fills" in out
    (listed,) = list_sessions(str(home))
    assert main(["session", "list"]) == 0
    assert listed["id"] in capsys.readouterr().out
    assert main(["session", "report", listed["id"], "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["figures"]["fills"] == 14
    assert main(["session", "report", listed["id"], "--csv"]) == 0
    assert capsys.readouterr().out.startswith("time,symbol,side")
    assert main(["session", "reset", listed["id"]]) == 0
    assert list_sessions(str(home)) == []
    assert main(["session", "report", listed["id"]]) == 2
    assert "no paper session" in capsys.readouterr().err


def test_a_bad_session_file_is_a_clear_error(tmp_path: Path, home: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('[session]\nname = "x"\nstart = 2026-01-01T00:00:00Z\nduration = "1d"\n')
    with pytest.raises(ConfigError) as missing:
        run_session(str(bad), home=str(home))
    assert "balances: missing" in str(missing.value)
    assert main(["session", "run", str(bad)]) == 2


def test_a_loss_in_a_session_trips_its_own_loss_breaker(tmp_path: Path, home: Path) -> None:
    (tmp_path / "policy.toml").write_text(
        """
[policy]
id = "session-breaker"
version = "1"
owner = "compliance@test"
currency = "USDT"
default_decision = "allow"
trading_state = "ACTIVE"

[approvals]
valid_for = "10m"
max_price_drift_percent = "1"
second_approvers = []

[[rule]]
id = "loss-limit"
kind = "loss_breaker"
effect = "deny"
max_daily_loss = "100"
trips_to = "REDUCING"
"""
    )
    path = session_file(
        tmp_path,
        """
[[script]]
at = "0m"
request = "buy 0.1 BTC"

[[script]]
at = "120m"
request = "sell 0.1 BTC"

[[script]]
at = "130m"
request = "buy 0.01 BTC"

[[script]]
at = "131m"
request = "sell 0.01 BTC"
""",
    )
    text = path.read_text().replace('trader = "alice"', 'trader = "alice"\npolicy = "policy.toml"')
    path.write_text(text)
    run = run_session(str(path), home=str(home))
    # bought near 67,500 and sold near 64,000: about 350 USDT lost, over the 100 limit
    events = [(e.request, e.outcome, e.rules) for e in run.report.gate]
    assert events[:2] == [("buy 0.1 BTC", "sent", ()), ("sell 0.1 BTC", "sent", ())]
    request, outcome, rules = events[2]
    assert (request, outcome) == ("buy 0.01 BTC", "denied")
    assert "loss-limit" in rules
    assert events[3] == ("sell 0.01 BTC", "sent", ())  # REDUCING: a sell still goes
    # the trip is the session's own, with the figures; the firm's log is untouched
    lines = (Path(run.directory) / "trading-state.jsonl").read_text().splitlines()
    [trip] = [json.loads(line) for line in lines]
    assert (trip["state"], trip["by"]) == ("REDUCING", "loss-breaker:loss-limit")
    assert "over the limit 100 USDT" in trip["reason"]
    assert not (home / "trading-state.jsonl").exists()
