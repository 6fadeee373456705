"""The paper-session report: exact P&L by average cost, drawdown, gate figures, stable output."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import numpy as np
import pytest

from executors.base import Fill
from executors.paper.replay import CandleSeries
from signoff.paper.report import GateEvent, SessionReport, equity_curve, summary_rows

D = Decimal
T0 = datetime(2026, 1, 5, tzinfo=UTC)


def fill(n: int, side: str, qty: str, price: str, fee: str = "0", fee_asset: str = "BTC") -> Fill:
    return Fill(
        trade_id=f"T{n}",
        order_id=f"O{n}",
        client_order_id=f"c{n}",
        symbol="BTC/USDT",
        side=side,
        price=D(price),
        quantity=D(qty),
        fee=D(fee),
        fee_asset=fee_asset,
        time=T0 + timedelta(minutes=n),
    )


def report(fills: list[Fill], **extra: object) -> SessionReport:
    data: dict[str, object] = {
        "session_id": "ps-test",
        "name": "test",
        "start": T0,
        "end": T0 + timedelta(hours=1),
        "reporting_currency": "USDT",
        "start_balances": {"USDT": D("1000")},
        "end_balances": {"USDT": D("700"), "BTC": D("1")},
        "last_prices": {"BTC/USDT": D("250")},
        "fills": fills,
        "gate": [],
        "run": {"start_prices": {"BTC/USDT": "100"}, "wall_seconds": 1.5},
    }
    data.update(extra)
    return SessionReport(**data)  # type: ignore[arg-type]


def test_pnl_by_average_cost_is_exact() -> None:
    fills = [
        fill(1, "buy", "1", "100", fee="0.001"),
        fill(2, "buy", "1", "200", fee="0.001"),
        fill(3, "sell", "1", "300", fee="0.3", fee_asset="USDT"),
    ]
    pnl = report(fills).pnl()
    assert pnl["realised"] == D("150")  # sold at 300 what cost 150 on average
    assert pnl["unrealised"] == D("100")  # one left at cost 150, worth 250
    # fees: 0.001 BTC at 100 and at 200, and 0.3 USDT
    assert pnl["fees"] == D("0.1") + D("0.2") + D("0.3")
    assert pnl["turnover"] == D("600")
    assert pnl["start_value"] == D("1000")
    assert pnl["end_value"] == D("950")
    assert pnl["change"] == D("-50")


def test_holdings_at_the_start_count_at_the_start_price() -> None:
    fills = [fill(1, "sell", "0.5", "120")]
    r = report(fills, start_balances={"USDT": D("0"), "BTC": D("1")})
    pnl = r.pnl()
    assert pnl["realised"] == D("10")  # 0.5 x (120 - 100)
    assert pnl["unrealised"] == D("75")  # 0.5 x (250 - 100)


def test_drawdown_and_exposure_from_the_curve() -> None:
    r = report([], equity=[100.0, 120.0, 90.0, 130.0, 65.0], exposure=[0.0, 0.5, 0.9])
    assert r.max_drawdown() == pytest.approx(0.5)  # 130 down to 65
    assert report([], equity=[100.0, 120.0, 90.0, 130.0]).max_drawdown() == pytest.approx(0.25)
    assert report([]).max_drawdown() == 0.0
    assert r.as_data()["figures"]["max_exposure_pct"] == "90.00"


def test_equity_and_exposure_over_time_are_sampled() -> None:
    times = [int(T0.timestamp() * 1000) + i * 60_000 for i in range(1000)]
    r = report(
        [],
        equity_times_ms=times,
        equity=[float(i) for i in range(1000)],
        exposure=[0.5] * 1000,
    )
    points = r.over_time(points=10)
    assert len(points) == 10
    assert points[0] == {"time": T0.isoformat(), "equity": "0.00", "exposure_pct": "50.00"}
    assert points[-1]["equity"] == "999.00"


def test_equity_curve_steps_at_fills() -> None:
    times = int(T0.timestamp() * 1000) + np.arange(4, dtype=np.int64) * 60_000
    closes = [100.0, 110.0, 120.0, 90.0]
    candles = {
        "BTC/USDT": CandleSeries.from_columns("BTC/USDT", times, closes, closes, closes, closes)
    }
    bought = Fill(
        trade_id="T1",
        order_id="O1",
        symbol="BTC/USDT",
        side="buy",
        price=D("110"),
        quantity=D("1"),
        time=T0 + timedelta(minutes=1, seconds=30),
    )
    _, equity, exposure = equity_curve({"USDT": D("1000")}, [bought], candles, "USDT")
    assert equity == [1000.0, 1000.0, 1010.0, 980.0]
    assert exposure[0] == 0.0
    assert exposure[3] == pytest.approx(90 / 980, abs=1e-4)


def test_gate_figures_count_decisions_outcomes_and_rules() -> None:
    gate = [
        GateEvent(T0, "buy 0.01 BTC", "s1", "allow", "sent"),
        GateEvent(T0, "buy 10 SOL at 150", "s1", "confirm", "sent", ("PRICE_COLLAR",)),
        GateEvent(T0, "buy 0.2 BTC", "s1", "escalate", "expired", ("MAX_ORDER_VALUE",)),
        GateEvent(T0, "buy 9 BTC", "s1", "deny", "denied", ("MAX_ORDER_VALUE",)),
    ]
    figures = report([], gate=gate).gate_figures()
    assert figures["decisions"] == {"allow": 1, "confirm": 1, "deny": 1, "escalate": 1}
    assert figures["outcomes"] == {"denied": 1, "expired": 1, "sent": 2}
    assert figures["by_rule"] == {
        "MAX_ORDER_VALUE:deny": 1,
        "MAX_ORDER_VALUE:escalate": 1,
        "PRICE_COLLAR:confirm": 1,
    }


def test_deterministic_json_leaves_the_wall_clock_out() -> None:
    fills = [fill(1, "buy", "1", "100")]
    a = report(fills, run={"start_prices": {"BTC/USDT": "100"}, "wall_seconds": 1.0})
    b = report(fills, run={"start_prices": {"BTC/USDT": "100"}, "wall_seconds": 9.0})
    assert a.deterministic_json() == b.deterministic_json()
    assert a.to_json() != b.to_json()
    data = json.loads(a.to_json())
    assert data["run"] == {"wall_seconds": 1.0}
    assert data["figures"]["realised"] == "0.00"
    assert data["fills"][0]["price"] == "100"


def test_fills_csv_and_summary() -> None:
    r = report([fill(2, "sell", "0.5", "300"), fill(1, "buy", "1", "100")])
    lines = r.fills_csv().splitlines()
    assert lines[0] == "time,symbol,side,quantity,price,fee,fee_asset,order"
    assert lines[1].split(",")[2] == "buy"  # in time order
    assert len(lines) == 3
    rows = dict(summary_rows(r))
    assert rows["realised P&L"] == "100.00 USDT"
    assert rows["fills"] == "2"


def test_chart_is_a_png(tmp_path: Path) -> None:
    times = int(T0.timestamp() * 1000) + np.arange(3, dtype=np.int64) * 60_000
    closes = [100.0, 110.0, 105.0]
    candles = {
        "BTC/USDT": CandleSeries.from_columns("BTC/USDT", times, closes, closes, closes, closes)
    }
    r = report([fill(1, "buy", "1", "110")], equity_times_ms=list(times), equity=[1.0, 2.0, 1.5])
    path = tmp_path / "chart.png"
    r.chart(str(path), candles)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
