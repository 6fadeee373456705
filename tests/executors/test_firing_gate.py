"""Every triggered order is decided again by the policy as it fires, wherever it waits.

- the executor's own paper engine (``signoff executor --exchange paper``): the engine
  holds the trigger and asks the gate (``PaperEngine.fire_check``) as it fires;
- an exchange reached through ccxt: the executor holds the trigger itself, watches
  the venue's prices, and sends the order only once decided again.

A firing the policy now refuses trades nothing and is recorded with its reasons.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest
from sqlmodel import select

from executors.ccxt_exec import CcxtExecutor
from executors.journal import SqliteJournal
from executors.localnet.server import LocalExchange
from executors.paper.engine import PaperEngine
from executors.paper.executor import PaperExecutor
from executors.service import ExecutionService, PolicySource
from executors.testing import order_step
from foundation.clock import FakeClock
from ledger.service import Ledger
from ledger.tables import DecisionRow
from tests.executors.gatekit import People, gate_policy, new_plan, send

D = Decimal
pytestmark = pytest.mark.asyncio


def _stop_loss(level: str = "60000") -> object:
    """Sell 0.01 BTC at market once BTC's last price is at or below ``level``."""
    return order_step(side="sell", trigger={"base": "BTC", "below": level})


def _firing_decisions(ledger: Ledger, plan_id: str) -> list[tuple[str, list[str]]]:
    with ledger.engine.connect() as conn:
        rows = conn.execute(
            select(DecisionRow.verdict, DecisionRow.reasons_json).where(
                DecisionRow.plan_id == plan_id
            )
        ).all()
    return [(verdict, [r["code"] for r in json.loads(reasons)]) for verdict, reasons in rows]


def _halt(policy_file: Path) -> None:
    policy_file.write_text(gate_policy(version='"2"', trading_state='"HALTED"'))


# ------------------------------------------------------------------ the executor's paper engine
async def _paper_service(
    engine: PaperEngine,
    clock: FakeClock,
    journal: SqliteJournal,
    gatekeeper: object,
    policy_file: Path,
    ledger: Ledger,
) -> ExecutionService:
    service = ExecutionService(
        PaperExecutor(engine, clock),
        journal,
        gatekeeper,  # type: ignore[arg-type]
        clock=clock,
        policy=PolicySource.load(str(policy_file)),
        ledger=ledger,
    )
    await service.start()  # as `signoff executor --exchange paper` does
    return service


async def test_the_executors_paper_engine_asks_the_gate_before_a_trigger_fires(
    engine: PaperEngine,
    clock: FakeClock,
    journal: SqliteJournal,
    gatekeeper: object,
    policy_file: Path,
    ledger: Ledger,
    people: People,
) -> None:
    service = await _paper_service(engine, clock, journal, gatekeeper, policy_file, ledger)
    assert engine.fire_check is not None
    plan = new_plan(ledger, "sell 0.01 BTC if BTC falls below 60000")
    result = await send(service, people["alice"], plan, _stop_loss())
    [placed] = result.orders
    assert placed.status == "open"
    _halt(policy_file)
    btc_before = engine.snapshot().balances["BTC"].free
    changed = engine.set_price("BTC/USDT", D("59000"), clock.now())
    [fired] = [s for s in changed if s.client_order_id == placed.client_order_id]
    assert fired.status == "expired"
    assert fired.reason is not None and "TRADING_HALTED" in fired.reason
    assert engine.trades("BTC/USDT") == []
    assert engine.snapshot().balances["BTC"].free == btc_before + D("0.01")  # unlocked, unsold
    assert ("deny", ["TRADING_HALTED"]) in _firing_decisions(ledger, plan)
    await service.close()


async def test_the_executors_paper_engine_fires_an_allowed_trigger_once(
    engine: PaperEngine,
    clock: FakeClock,
    journal: SqliteJournal,
    gatekeeper: object,
    policy_file: Path,
    ledger: Ledger,
    people: People,
) -> None:
    service = await _paper_service(engine, clock, journal, gatekeeper, policy_file, ledger)
    plan = new_plan(ledger, "sell 0.01 BTC if BTC falls below 60000")
    [placed] = (await send(service, people["alice"], plan, _stop_loss())).orders
    engine.set_price("BTC/USDT", D("59000"), clock.now())
    engine.set_price("BTC/USDT", D("58000"), clock.now())
    state = engine.get("BTC/USDT", client_order_id=placed.client_order_id)
    assert state is not None and state.status == "filled"
    assert [t.quantity for t in engine.trades("BTC/USDT")] == [D("0.01")]
    await service.close()
