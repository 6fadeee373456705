"""Recurring steps run by the gate, alike on every executor: one approval, an order per run."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from executors.approvals import Gatekeeper
from executors.catalog import MarketCatalog
from executors.ids import client_order_id
from executors.journal import SqliteJournal
from executors.localnet.server import LocalExchange
from executors.paper.engine import PaperEngine
from executors.paper.executor import PaperExecutor
from executors.service import ExecutionService, PolicySource
from executors.testing import START, cancel_step, order_step
from foundation.clock import FakeClock
from intent.plan import Schedule
from intent.resolved import ResolvedOrder
from ledger.service import Ledger
from tests.executors.gatekit import People, gate_policy, new_plan, send

D = Decimal


def dca(every: str = "1h", count: int | None = 3, quantity: str = "0.001") -> ResolvedOrder:
    return order_step("dca", quantity=quantity, schedule=Schedule(every=every, count=count))


@pytest.mark.asyncio
async def test_one_approval_covers_the_runs_which_fire_on_the_clock(
    paper_gate: ExecutionService,
    clock: FakeClock,
    engine: PaperEngine,
    journal: SqliteJournal,
    people: People,
) -> None:
    result = await send(paper_gate, people["alice"], "p1", dca())
    assert result.schedule is not None
    assert (result.schedule.runs, result.schedule.status) == (1, "active")
    assert result.schedule.next_at == START + timedelta(hours=1)
    assert [o.client_order_id for o in result.orders] == ["so-p1:dca.1"]
    clock.advance(timedelta(minutes=59))
    assert await paper_gate.run_due() == []
    clock.advance(timedelta(minutes=1))
    [second] = await paper_gate.run_due()
    assert (second.client_order_id, second.status) == ("so-p1:dca.2", "filled")
    clock.advance(timedelta(hours=1))
    [third] = await paper_gate.run_due()
    assert third.client_order_id == "so-p1:dca.3"
    clock.advance(timedelta(hours=5))
    assert await paper_gate.run_due() == []
    assert len(engine.trades("BTC/USDT")) == 3
    entry = journal.schedule("so-p1:dca")
    assert entry is not None
    assert entry.status == "finished"
    # asking again does not start it again
    again = await send(paper_gate, people["alice"], "p1", dca())
    assert again.already_sent
    assert again.schedule is not None
    assert again.schedule.runs == 3
    assert len(engine.trades("BTC/USDT")) == 3


@pytest.mark.asyncio
async def test_runs_missed_while_down_are_recorded_not_sent_in_a_burst(
    paper_gate: ExecutionService,
    clock: FakeClock,
    engine: PaperEngine,
    journal: SqliteJournal,
    people: People,
) -> None:
    await send(paper_gate, people["alice"], "p1", dca("1d", None))
    clock.advance(timedelta(days=3, hours=2))  # runs 2 and 3 missed; run 4 is due now
    states = await paper_gate.run_due()
    assert [(s.client_order_id, s.status) for s in states] == [
        ("so-p1:dca.2", "expired"),
        ("so-p1:dca.3", "expired"),
        ("so-p1:dca.4", "filled"),
    ]
    assert states[0].reason is not None
    assert "missed" in states[0].reason
    assert len(engine.trades("BTC/USDT")) == 2


@pytest.mark.asyncio
async def test_a_run_without_funds_is_rejected_and_the_schedule_goes_on(
    catalog: MarketCatalog,
    clock: FakeClock,
    journal: SqliteJournal,
    gatekeeper: Gatekeeper,
    policy_file: Path,
    people: People,
) -> None:
    engine = PaperEngine.with_balances(catalog, {"USDT": D("100")}, clock.now())
    gate = ExecutionService(
        PaperExecutor(engine, clock),
        journal,
        gatekeeper,
        clock=clock,
        policy=PolicySource.load(str(policy_file)),
    )
    step = dca("1h", 4, quantity="0.001")  # ~67.5 USDT a run: the second cannot be paid
    await send(gate, people["alice"], "p1", step)
    clock.advance(timedelta(hours=1))
    [second] = await gate.run_due()
    assert second.client_order_id == "so-p1:dca.2"
    entry = journal.get("so-p1:dca.2")
    assert entry is not None
    assert entry.status == "rejected"
    engine.credit_simulated("USDT", D("1000"))
    clock.advance(timedelta(hours=1))
    [third] = await gate.run_due()
    assert third.status == "filled"


@pytest.mark.asyncio
async def test_a_cancel_step_stops_the_schedule(
    paper_gate: ExecutionService, clock: FakeClock, engine: PaperEngine, people: People
) -> None:
    await send(paper_gate, people["alice"], "p1", dca("1h", None))
    result = await send(paper_gate, people["alice"], "p2", cancel_step(base="BTC"))
    assert [(o.client_order_id, o.status) for o in result.orders] == [("so-p1:dca", "canceled")]
    clock.advance(timedelta(hours=10))
    assert await paper_gate.run_due() == []
    assert len(engine.trades()) == 1


@pytest.mark.asyncio
async def test_recurring_step_through_ccxt_on_the_local_exchange(
    gate: ExecutionService, localnet: LocalExchange, ledger: Ledger, people: People
) -> None:
    plan = new_plan(ledger, "buy 0.001 BTC every day for 7 days")
    result = await send(gate, people["alice"], plan, dca("1d", 7))
    assert [o.status for o in result.orders] == ["filled"]
    sent = [r.params for r in localnet.orders_received()]
    assert [p["newClientOrderId"] for p in sent] == [f"{client_order_id(plan, 'dca')}.1"]
    # the executor records the schedule's runs in the ledger itself
    run = ledger.order(f"{client_order_id(plan, 'dca')}.1")
    assert run is not None
    assert run.status == "filled"
    assert localnet.accepted_count() == 1


@pytest.mark.asyncio
async def test_each_run_is_decided_again_when_it_fires(
    paper_gate: ExecutionService,
    clock: FakeClock,
    engine: PaperEngine,
    journal: SqliteJournal,
    policy_file: Path,
    people: People,
) -> None:
    """A halt written after the schedule was approved stops its next run."""
    await send(paper_gate, people["alice"], "p1", dca("1h", 3))
    policy_file.write_text(gate_policy(version='"2"', trading_state='"HALTED"'))
    clock.advance(timedelta(hours=1))
    [second] = await paper_gate.run_due()
    assert (second.client_order_id, second.status) == ("so-p1:dca.2", "rejected")
    assert second.reason is not None
    assert "decided again as it fired: deny" in second.reason
    assert len(engine.trades("BTC/USDT")) == 1
    # trading resumes: the next run is sent
    policy_file.write_text(gate_policy(version='"3"'))
    clock.advance(timedelta(hours=1))
    [third] = await paper_gate.run_due()
    assert third.status == "filled"
    assert len(engine.trades("BTC/USDT")) == 2
