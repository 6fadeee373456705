"""What a paper session did: P&L, fees, turnover, drawdown, exposure, fills and the gate's figures.

Everything a person reads is computed from exact amounts (``Decimal``): the fills
and balances the paper engine recorded. Only the curves over time (equity and
exposure at every candle, and the drawdown taken from them) use the candles'
float columns, because they are drawn and summarised, never traded on; their
figures are rounded to cents when written.

P&L is by average cost per asset, in the reporting currency: a sell realises
(price - average cost) x quantity; what is still held is unrealised at the last
price. Fees are counted apart (in the reporting currency at the fill's price).

The same session file and seed give the same report byte for byte: the report
keeps the wall-clock facts (when it ran, how long it took) apart under ``run``,
and :meth:`SessionReport.deterministic_json` leaves them out.
"""

from __future__ import annotations

import csv
import io
import json
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import numpy as np

from executors.base import Fill
from executors.paper.replay import CandleSeries, FloatArray

ZERO = Decimal(0)
CENT = Decimal("0.01")


@dataclass(frozen=True)
class GateEvent:
    """One step's way through the gate in the session."""

    at: datetime
    request: str
    step_id: str
    decision: str  # allow | confirm | escalate | deny | clarify | unsupported
    outcome: str  # sent | rejected | expired | refused | denied | asked | waiting | not sent
    rules: tuple[str, ...] = ()
    detail: str = ""


@dataclass
class SessionReport:
    session_id: str
    name: str
    start: datetime
    end: datetime
    reporting_currency: str
    start_balances: dict[str, Decimal]
    end_balances: dict[str, Decimal]
    last_prices: dict[str, Decimal]
    fills: list[Fill]
    gate: list[GateEvent]
    equity_times_ms: list[int] = field(default_factory=list)
    equity: list[float] = field(default_factory=list)
    exposure: list[float] = field(default_factory=list)
    run: dict[str, Any] = field(default_factory=dict)

    # ------------------------------------------------------------------ figures
    def value(self, balances: Mapping[str, Decimal], prices: Mapping[str, Decimal]) -> Decimal:
        total = ZERO
        for asset, amount in balances.items():
            if asset == self.reporting_currency:
                total += amount
            else:
                total += amount * prices.get(f"{asset}/{self.reporting_currency}", ZERO)
        return total

    def fee_in_reporting(self, fill: Fill) -> Decimal:
        if not fill.fee:
            return ZERO
        base, quote = fill.symbol.split("/")
        if fill.fee_asset == quote:
            fee_quote = fill.fee
        elif fill.fee_asset == base:
            fee_quote = fill.fee * fill.price
        else:
            fee_quote = fill.fee * self.last_prices.get(f"{fill.fee_asset}/{quote}", ZERO)
        if quote == self.reporting_currency:
            return fee_quote
        return fee_quote * self.last_prices.get(f"{quote}/{self.reporting_currency}", ZERO)

    def pnl(self) -> dict[str, Decimal]:
        """Realised and unrealised P&L by average cost, fees and turnover (reporting currency)."""
        held: dict[str, Decimal] = defaultdict(Decimal)
        cost: dict[str, Decimal] = defaultdict(Decimal)
        start_prices = self.run.get("start_prices", {})
        for asset, amount in self.start_balances.items():
            if asset != self.reporting_currency and amount:
                price = Decimal(start_prices.get(f"{asset}/{self.reporting_currency}", "0"))
                held[asset] += amount
                cost[asset] += amount * price
        realised = ZERO
        fees = ZERO
        turnover = ZERO
        for fill in sorted(self.fills, key=lambda f: (f.time, f.trade_id)):
            base = fill.symbol.split("/")[0]
            notional = fill.price * fill.quantity
            turnover += notional
            fees += self.fee_in_reporting(fill)
            if fill.side == "buy":
                held[base] += fill.quantity
                cost[base] += notional
            else:
                average = cost[base] / held[base] if held[base] else ZERO
                realised += (fill.price - average) * fill.quantity
                held[base] -= fill.quantity
                cost[base] -= average * fill.quantity
        unrealised = ZERO
        for asset, amount in held.items():
            if amount:
                price = self.last_prices.get(f"{asset}/{self.reporting_currency}", ZERO)
                unrealised += amount * price - cost[asset]
        start_value = self.value(
            self.start_balances,
            {k: Decimal(v) for k, v in start_prices.items()},
        )
        end_value = self.value(self.end_balances, self.last_prices)
        return {
            "start_value": start_value,
            "end_value": end_value,
            "change": end_value - start_value,
            "realised": realised,
            "unrealised": unrealised,
            "fees": fees,
            "turnover": turnover,
        }

    def max_drawdown(self) -> float:
        """The largest fall of equity from an earlier peak, as a share of that peak."""
        if not self.equity:
            return 0.0
        curve = np.asarray(self.equity, dtype=np.float64)
        peaks = np.maximum.accumulate(curve)
        falls = np.where(peaks > 0, (peaks - curve) / peaks, 0.0)
        return float(falls.max())

    def gate_figures(self) -> dict[str, Any]:
        decisions = Counter(event.decision for event in self.gate)
        outcomes = Counter(event.outcome for event in self.gate)
        by_rule: Counter[str] = Counter()
        for event in self.gate:
            for rule in event.rules:
                by_rule[f"{rule}:{event.decision}"] += 1
        return {
            "decisions": dict(sorted(decisions.items())),
            "outcomes": dict(sorted(outcomes.items())),
            "by_rule": dict(sorted(by_rule.items())),
        }

    # ------------------------------------------------------------------ output
    def as_data(self, *, with_run: bool = True) -> dict[str, Any]:
        figures = {k: _money(v) for k, v in self.pnl().items()}
        data: dict[str, Any] = {
            "name": self.name,
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "reporting_currency": self.reporting_currency,
            "figures": {
                **figures,
                "max_drawdown_pct": f"{self.max_drawdown() * 100:.2f}",
                "max_exposure_pct": f"{max(self.exposure, default=0.0) * 100:.2f}",
                "fills": len(self.fills),
            },
            "start_balances": {k: str(v) for k, v in sorted(self.start_balances.items())},
            "end_balances": {k: str(v) for k, v in sorted(self.end_balances.items())},
            "last_prices": {k: str(v) for k, v in sorted(self.last_prices.items())},
            "gate": self.gate_figures(),
            "steps": [
                {
                    "at": e.at.isoformat(),
                    "request": e.request,
                    "step_id": e.step_id,
                    "decision": e.decision,
                    "outcome": e.outcome,
                    "rules": list(e.rules),
                    "detail": e.detail,
                }
                for e in self.gate
            ],
            "fills": [_fill_row(f) for f in sorted(self.fills, key=lambda f: (f.time, f.trade_id))],
            "over_time": self.over_time(),
        }
        if with_run:
            data["session_id"] = self.session_id
            data["run"] = {k: v for k, v in sorted(self.run.items()) if k != "start_prices"}
        return data

    def over_time(self, points: int = 200) -> list[dict[str, str]]:
        """Equity and exposure at up to ``points`` evenly spaced candles (the last included)."""
        n = min(len(self.equity), len(self.equity_times_ms))
        if n == 0:
            return []
        picks = sorted({round(i * (n - 1) / max(points - 1, 1)) for i in range(min(points, n))})
        return [
            {
                "time": datetime.fromtimestamp(self.equity_times_ms[i] / 1000, UTC).isoformat(),
                "equity": f"{self.equity[i]:.2f}",
                "exposure_pct": f"{self.exposure[i] * 100:.2f}" if i < len(self.exposure) else "",
            }
            for i in picks
        ]

    def deterministic_json(self) -> str:
        """The report without wall-clock facts: equal for equal session files and seeds."""
        return json.dumps(self.as_data(with_run=False), indent=2, sort_keys=True) + "\n"

    def to_json(self) -> str:
        return json.dumps(self.as_data(), indent=2, sort_keys=True) + "\n"

    def fills_csv(self) -> str:
        out = io.StringIO()
        fields = ["time", "symbol", "side", "quantity", "price", "fee", "fee_asset", "order"]
        writer = csv.DictWriter(out, fieldnames=fields, lineterminator="\n")
        writer.writeheader()
        for fill in sorted(self.fills, key=lambda f: (f.time, f.trade_id)):
            writer.writerow(_fill_row(fill))
        return out.getvalue()

    def chart(self, path: str, candles: Mapping[str, CandleSeries]) -> None:
        """Prices and equity over the session, fills marked (PNG)."""
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        symbols = sorted(candles)
        fig, axes = plt.subplots(
            len(symbols) + 1, 1, figsize=(10, 2.6 * (len(symbols) + 1)), sharex=True
        )
        axes_list = list(np.atleast_1d(axes))
        for ax, symbol in zip(axes_list, symbols, strict=False):
            series = candles[symbol]
            times = series.open_ms.astype("datetime64[ms]")
            ax.plot(times, series.close, linewidth=0.8, color="#4c72b0", label=symbol)
            for side, colour, marker in (("buy", "#2ca02c", "^"), ("sell", "#d62728", "v")):
                picked = [f for f in self.fills if f.symbol == symbol and f.side == side]
                if picked:
                    ax.scatter(
                        [np.datetime64(f.time.replace(tzinfo=None), "ms") for f in picked],
                        [float(f.price) for f in picked],
                        color=colour,
                        marker=marker,
                        s=24,
                        label=f"{side}s",
                        zorder=3,
                    )
            ax.set_ylabel(symbol)
            ax.legend(loc="upper left", fontsize=8)
        equity_ax = axes_list[-1]
        if self.equity:
            equity_ax.plot(
                np.asarray(self.equity_times_ms, dtype="datetime64[ms]"),
                self.equity,
                color="#222222",
                linewidth=0.9,
            )
        equity_ax.set_ylabel(f"equity ({self.reporting_currency})")
        if self.exposure:
            share_ax = equity_ax.twinx()
            share_ax.fill_between(
                np.asarray(self.equity_times_ms[: len(self.exposure)], dtype="datetime64[ms]"),
                [100 * x for x in self.exposure],
                color="#dd8452",
                alpha=0.25,
                linewidth=0,
            )
            share_ax.set_ylabel("exposure (%)")
        fig.suptitle(f"{self.name} — {self.session_id}")
        fig.tight_layout()
        # a fixed creation date keeps the PNG the same for the same session
        fig.savefig(path, dpi=100, metadata={"Software": "signoff"})
        plt.close(fig)


def _money(value: Decimal) -> str:
    return str(value.quantize(CENT))


def _fill_row(fill: Fill) -> dict[str, str]:
    return {
        "time": fill.time.isoformat(),
        "symbol": fill.symbol,
        "side": fill.side,
        "quantity": str(fill.quantity),
        "price": str(fill.price),
        "fee": str(fill.fee),
        "fee_asset": fill.fee_asset or "",
        "order": fill.client_order_id or fill.order_id,
    }


def equity_curve(
    start_balances: Mapping[str, Decimal],
    fills: Iterable[Fill],
    candles: Mapping[str, CandleSeries],
    reporting_currency: str,
) -> tuple[list[int], list[float], list[float]]:
    """Equity and gross exposure (share of equity held in other assets) at every candle's close.

    Balances change only at fills, so each asset's holding is a step function:
    the fills' signed amounts are added up at the candle they fall in and
    accumulated over the whole column at once.
    """
    if not candles:
        return [], [], []
    grid = next(iter(candles.values()))
    times = grid.close_ms
    n = len(grid)
    holdings: dict[str, FloatArray] = {}
    deltas: dict[str, FloatArray] = defaultdict(lambda: np.zeros(n, dtype=np.float64))
    for fill in fills:
        base, quote = fill.symbol.split("/")
        ms = int(fill.time.timestamp() * 1000)
        index = min(int(np.searchsorted(times, ms, side="left")), n - 1)
        signed = float(fill.quantity) * (1 if fill.side == "buy" else -1)
        deltas[base][index] += signed
        deltas[quote][index] -= signed * float(fill.price)
        if fill.fee and fill.fee_asset:
            deltas[fill.fee_asset][index] -= float(fill.fee)
    assets = set(start_balances) | set(deltas)
    for asset in assets:
        holdings[asset] = float(start_balances.get(asset, ZERO)) + np.cumsum(
            deltas.get(asset, np.zeros(n))
        )
    equity = np.zeros(n, dtype=np.float64)
    exposure = np.zeros(n, dtype=np.float64)
    for asset, amount in holdings.items():
        if asset == reporting_currency:
            equity += amount
            continue
        series = candles.get(f"{asset}/{reporting_currency}")
        if series is None:
            continue
        value = amount * series.close
        equity += value
        exposure += np.abs(value)
    share = np.where(equity > 0, exposure / np.where(equity > 0, equity, 1.0), 0.0)
    return (
        [int(t) for t in times],
        [round(float(v), 2) for v in equity],
        [round(float(v), 4) for v in share],
    )


def summary_rows(report: SessionReport) -> Sequence[tuple[str, str]]:
    """The summary a person reads first, as label/value pairs."""
    pnl = report.pnl()
    cur = report.reporting_currency
    gate = report.gate_figures()
    return [
        ("session", f"{report.name} ({report.session_id})"),
        ("period", f"{report.start:%Y-%m-%d %H:%M} → {report.end:%Y-%m-%d %H:%M} UTC"),
        ("value", f"{_money(pnl['start_value'])} → {_money(pnl['end_value'])} {cur}"),
        ("change", f"{_money(pnl['change'])} {cur}"),
        ("realised P&L", f"{_money(pnl['realised'])} {cur}"),
        ("unrealised P&L", f"{_money(pnl['unrealised'])} {cur}"),
        ("fees", f"{_money(pnl['fees'])} {cur}"),
        ("turnover", f"{_money(pnl['turnover'])} {cur}"),
        ("max drawdown", f"{report.max_drawdown() * 100:.2f} %"),
        ("fills", str(len(report.fills))),
        (
            "gate",
            ", ".join(f"{k} {v}" for k, v in gate["decisions"].items()) or "no steps",
        ),
        ("outcomes", ", ".join(f"{k} {v}" for k, v in gate["outcomes"].items()) or "none"),
    ]
