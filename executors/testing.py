"""Test helpers: steps, decisions and a local exchange process, for signoff's own tests.

Like httpx's ``MockTransport`` beside its real transports: small, typed and
shipped with the package so that tests of the wiring can reuse them. Nothing
here is used by signoff itself.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx

from executors.journal import SqliteJournal
from executors.localnet.server import LocalExchange
from executors.venues import ApiKeys, Secret, VenueProfile
from intent.resolved import ResolvedCancel, ResolvedOrder
from policy.decision import PolicyStamp, Reason, StepDecision, Verdict

POLICY = PolicyStamp(id="firm", version="3", hash="ab" * 32)
START = datetime(2026, 1, 5, 9, 30, tzinfo=UTC)
# short timings so that fault tests (which wait out a recv window) stay quick
FAST_LOCAL = VenueProfile(
    name="local", ccxt_id="binance", local=True, recv_window_ms=600, timeout_ms=600
)


def order_step(
    step_id: str = "s1",
    *,
    symbol: str = "BTC/USDT",
    side: str = "buy",
    quantity: str = "0.01",
    order_type: str = "market",
    limit_price: str | None = None,
    reference_price: str = "67500",
    **extra: Any,
) -> ResolvedOrder:
    base, quote = symbol.split("/")
    qty = Decimal(quantity)
    ref = Decimal(reference_price)
    return ResolvedOrder.model_validate(
        {
            "step_id": step_id,
            "source_index": 0,
            "symbol": symbol,
            "base": base,
            "quote": quote,
            "side": side,
            "order_type": order_type,
            "quantity": qty,
            "limit_price": Decimal(limit_price) if limit_price else None,
            "reference_price": ref,
            "notional": qty * ref,
            "notional_reporting": qty * ref,
            **extra,
        }
    )


def cancel_step(step_id: str = "c1", **fields: Any) -> ResolvedCancel:
    return ResolvedCancel.model_validate({"step_id": step_id, "source_index": 0, **fields})


def decision(
    step_id: str, verdict: Verdict, *, policy: PolicyStamp = POLICY, when: datetime = START
) -> StepDecision:
    reasons: tuple[Reason, ...] = ()
    if verdict != "allow":
        reasons = (
            Reason(
                rule="max-order",
                code="MAX_ORDER_VALUE",
                effect=verdict,
                limit="1000 USDT",
                observed="1520 USDT",
                message="MAX_ORDER_VALUE: limit=1000 USDT, notional=1520 USDT",
            ),
        )
    return StepDecision(
        step_id=step_id, decision=verdict, reasons=reasons, policy=policy, decided_at=when
    )


def keys_of(exchange: LocalExchange) -> ApiKeys:
    return ApiKeys(
        api_key=Secret(exchange.credentials.api_key), secret=Secret(exchange.credentials.secret)
    )


# --------------------------------------------------------------------------- processes
@dataclass
class LocalnetProcess:
    """``signoff localnet`` running in its own process, with its test hooks."""

    process: subprocess.Popen[bytes]
    url: str
    home: Path

    def hook(self, method: str, path: str, body: Any = None) -> Any:
        response = httpx.request(method, f"{self.url}/_test/{path}", json=body, timeout=10)
        response.raise_for_status()
        return response.json()

    def orders_received(self) -> list[dict[str, Any]]:
        return [
            r
            for r in self.hook("GET", "received")
            if r["path"] == "/api/v3/order" and r["method"] == "POST"
        ]

    def accepted(self) -> list[dict[str, Any]]:
        return [r for r in self.orders_received() if r["accepted"]]


def signoff_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "signoff", *args]


def wait_for(predicate: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def journal_rows(home: Path) -> list[dict[str, Any]]:
    """The executor process's journal, read as plain rows (the process may still run)."""
    j = SqliteJournal(str(home / "executor" / "journal.sqlite"))
    try:
        return [json.loads(e.model_dump_json()) for e in j.entries()]
    finally:
        j.close()


def shipped_policy_stamp() -> PolicyStamp:
    """The stamp of the shipped ``configs/policy.toml``, which ``signoff executor`` enforces."""
    from executors.policy_file import load_policy_file

    return load_policy_file(None, None).stamp
