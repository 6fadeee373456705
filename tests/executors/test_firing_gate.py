"""Every triggered order is decided again by the policy as it fires, wherever it waits.

- the executor's own paper engine (``signoff executor --exchange paper``): the engine
  holds the trigger and asks the gate (``PaperEngine.fire_check``) as it fires;
- an exchange reached through ccxt: the executor holds the trigger itself, watches
  the venue's prices, and sends the order only once decided again.

A firing the policy now refuses trades nothing and is recorded with its reasons.
"""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlmodel import select

from executors.approvals import ApprovalRefused
from executors.ccxt_exec import CcxtExecutor
from executors.journal import SqliteJournal
from executors.localnet.server import LocalExchange
from executors.paper.engine import PaperEngine
from executors.paper.executor import PaperExecutor
from executors.service import ExecutionService, PolicySource
from executors.testing import cancel_step, order_step
from foundation.clock import FakeClock, SystemClock
from intent.resolved import ResolvedOrder
from ledger.service import Ledger
from ledger.tables import DecisionRow
from tests.executors.gatekit import People, gate_policy, honest, new_plan, send, signed

D = Decimal
pytestmark = pytest.mark.asyncio


def _stop_loss(level: str = "60000") -> ResolvedOrder:
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
    assert "TRADING_HALTED" in (fired.reason or "")
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
    assert state is not None
    assert state.status == "filled"
    assert [t.quantity for t in engine.trades("BTC/USDT")] == [D("0.01")]
    await service.close()


# ------------------------------------------------------------------ an exchange through ccxt
def _venue_orders(localnet: LocalExchange, client_order_id: str) -> list[object]:
    """Every order the local exchange has under this client order id (open or not)."""
    found = localnet.engine.get("BTC/USDT", client_order_id=client_order_id)
    return [] if found is None else [found]


async def test_a_stop_held_by_the_executor_that_fires_under_a_halt_sends_nothing(
    gate: ExecutionService,
    localnet: LocalExchange,
    ccxt_local: CcxtExecutor,
    policy_file: Path,
    ledger: Ledger,
    people: People,
) -> None:
    plan = new_plan(ledger, "sell 0.01 BTC if BTC falls below 60000")
    [held] = (await send(gate, people["alice"], plan, _stop_loss())).orders
    assert held.status == "open"
    assert held.trigger_price == D("60000")
    cid = held.client_order_id
    # the venue has not seen it: the executor holds it
    assert _venue_orders(localnet, cid) == []
    assert await ccxt_local.open_orders() == []
    assert [o.client_order_id for o in gate.held_orders()] == [cid]
    assert await gate.run_due() == []  # not crossed yet: nothing happens
    _halt(policy_file)
    localnet.engine.set_price("BTC/USDT", D("59000"), localnet.clock.now())
    [refused] = await gate.run_due()
    assert refused.client_order_id == cid
    assert refused.status == "expired"
    assert "TRADING_HALTED" in (refused.reason or "")
    # nothing reached the venue, now or later
    assert _venue_orders(localnet, cid) == []
    assert localnet.engine.trades("BTC/USDT") == []
    assert await gate.run_due() == []
    assert gate.held_orders() == []
    # the ledger has the refusal, with its reasons, and the order's end
    assert ("deny", ["TRADING_HALTED"]) in _firing_decisions(ledger, plan)
    view = ledger.order(cid)
    assert view is not None
    assert view.status == "expired"
    assert view.fills == ()


async def test_a_stop_held_by_the_executor_fires_once_under_an_active_policy(
    gate: ExecutionService,
    localnet: LocalExchange,
    ledger: Ledger,
    people: People,
) -> None:
    plan = new_plan(ledger, "sell 0.01 BTC if BTC falls below 60000")
    [held] = (await send(gate, people["alice"], plan, _stop_loss())).orders
    cid = held.client_order_id
    localnet.engine.set_price("BTC/USDT", D("59000"), localnet.clock.now())
    [fired] = await gate.run_due()
    assert fired.client_order_id == cid
    assert fired.status == "filled"
    assert fired.trigger_price is None  # sent as a plain market order, once decided again
    localnet.engine.set_price("BTC/USDT", D("58000"), localnet.clock.now())
    assert await gate.run_due() == []
    assert len(_venue_orders(localnet, cid)) == 1
    assert [t.quantity for t in localnet.engine.trades("BTC/USDT")] == [D("0.01")]
    assert gate.held_orders() == []
    # decided again as it fired (the executor's own record), and allowed
    assert [v for v, _ in _firing_decisions(ledger, plan)].count("allow") >= 1
    view = ledger.order(cid)
    assert view is not None
    assert view.status == "filled"
    assert len(view.fills) == 1
    # a retry of the same signed step reports the order, and sends nothing more
    again = await send(gate, people["alice"], plan, _stop_loss())
    assert again.status == "already_sent"
    assert len(localnet.engine.trades("BTC/USDT")) == 1


# ------------------------------------------------------------------ the venue's view, kept
@pytest.fixture
def cached_gate(
    ccxt_local: CcxtExecutor,
    journal: SqliteJournal,
    gatekeeper: object,
    policy_file: Path,
    ledger: Ledger,
) -> ExecutionService:
    """The gate over ccxt with a long-kept venue view (a minute: every decision here
    would use a kept view if sending did not drop it)."""
    service = ExecutionService(
        ccxt_local,
        journal,
        gatekeeper,  # type: ignore[arg-type]
        clock=SystemClock(),
        policy=PolicySource.load(str(policy_file)),
        ledger=ledger,
        view_ttl=timedelta(minutes=1),
    )
    service._record_policy_version(service.policies.policy, service.policies.text)
    return service


async def test_a_kept_view_cannot_race_the_daily_budget(
    cached_gate: ExecutionService,
    localnet: LocalExchange,
    ledger: Ledger,
    policy_file: Path,
    people: People,
) -> None:
    """8 runs decided at once under a deny-above-1,000 USDT budget, with the view kept."""
    policy_file.write_text(gate_policy(budget="1000"))
    step = order_step(quantity="0.002")  # 135 USDT each: 8 × 135 = 1,080
    plans = [new_plan(ledger) for _ in range(8)]
    decided = [await honest(cached_gate, p, step) for p in plans]
    requests = [
        signed(people["alice"], cached_gate, p, step, d)
        for p, d in zip(plans, decided, strict=True)
    ]
    results = await asyncio.gather(
        *(
            cached_gate.execute(plan_id=p, step=step, decision=d, request=r)
            for p, d, r in zip(plans, decided, requests, strict=True)
        ),
        return_exceptions=True,
    )
    refusals = [r for r in results if isinstance(r, ApprovalRefused)]
    assert [r.code for r in refusals] == ["DECISION_MISMATCH"]
    assert localnet.accepted_count() == 7
    spent = sum((D(r.params["quantity"]) for r in localnet.orders_received()), start=D(0))
    assert spent == D("0.014")  # under the 1,000 budget
    await cached_gate.close()


async def test_a_kept_view_always_has_the_executors_own_last_order(
    cached_gate: ExecutionService,
    ccxt_local: CcxtExecutor,
    localnet: LocalExchange,
    ledger: Ledger,
    policy_file: Path,
    people: People,
) -> None:
    """Two sells that the BTC balance pays only one of: the second is decided on the
    balance after the first (the kept view was dropped by the send), and denied."""
    free = (await ccxt_local.account()).free("BTC")
    half = (free * D("0.6")).quantize(D("0.0001"))
    # every order allowed (no confirm, no budget) unless the balance cannot pay it
    policy_file.write_text(
        gate_policy(budget="100000000")
        .replace('limit = "50000"', 'limit = "100000000"')
        .replace('limit = "10000"', 'limit = "100000000"')
        .replace('limit = "1000"\n', 'limit = "100000000"\n', 1)
        + '\n[[rule]]\nid = "funds"\nkind = "balance"\neffect = "deny"\n'
    )
    step = order_step(side="sell", quantity=str(half))
    first_plan, second_plan = new_plan(ledger), new_plan(ledger)
    first = await honest(cached_gate, first_plan, step)
    second = await honest(cached_gate, second_plan, step)  # both seen as allowed beforehand
    assert first.decision == second.decision == "allow"
    done = await cached_gate.execute(
        plan_id=first_plan,
        step=step,
        decision=first,
        request=signed(people["alice"], cached_gate, first_plan, step, first),
    )
    assert done.orders[0].status == "filled"
    with pytest.raises(ApprovalRefused) as caught:
        await cached_gate.execute(
            plan_id=second_plan,
            step=step,
            decision=second,
            request=signed(people["alice"], cached_gate, second_plan, step, second),
        )
    assert caught.value.code == "DECISION_MISMATCH"
    assert "INSUFFICIENT_BALANCE" in caught.value.message
    assert localnet.accepted_count() == 1
    await cached_gate.close()


# ------------------------------------------------------------------ held triggers end too
async def test_a_cancel_step_ends_a_held_trigger_and_it_never_fires(
    gate: ExecutionService,
    localnet: LocalExchange,
    ledger: Ledger,
    people: People,
) -> None:
    plan = new_plan(ledger, "sell 0.01 BTC if BTC falls below 60000")
    [held] = (await send(gate, people["alice"], plan, _stop_loss())).orders
    cid = held.client_order_id
    cancel_plan = new_plan(ledger, "cancel my BTC orders")
    result = await send(gate, people["alice"], cancel_plan, cancel_step(base="BTC"))
    assert [(o.client_order_id, o.status) for o in result.orders] == [(cid, "canceled")]
    assert gate.held_orders() == []
    localnet.engine.set_price("BTC/USDT", D("59000"), localnet.clock.now())
    assert await gate.run_due() == []
    assert _venue_orders(localnet, cid) == []
    view = ledger.order(cid)
    assert view is not None
    assert view.status == "canceled"


async def test_a_halt_with_cancel_open_ends_the_held_triggers(
    gate: ExecutionService,
    localnet: LocalExchange,
    ledger: Ledger,
    people: People,
    signoff_home: Path,
) -> None:
    from executors.trading_state import append_change
    from foundation.identity import SigningKey, identities_path

    plan = new_plan(ledger, "sell 0.01 BTC if BTC falls below 60000")
    [held] = (await send(gate, people["alice"], plan, _stop_loss())).orders
    compliance = SigningKey.generate("cora")
    signoff_home.mkdir(parents=True, exist_ok=True)
    Path(identities_path()).write_text(compliance.identity_line(["compliance"]))
    append_change(
        state="HALTED",
        reason="venue incident",
        by="cora",
        at=gate.clock.now(),
        key=compliance,
        cancel_open=True,
    )
    localnet.engine.set_price("BTC/USDT", D("59000"), localnet.clock.now())
    [ended] = await gate.apply_trading_state()  # as the background loop does, every second
    assert ended.client_order_id == held.client_order_id
    assert ended.status == "canceled"
    assert "venue incident" in (ended.reason or "")
    assert gate.held_orders() == []
    assert await gate.run_due() == []  # the trigger has crossed, but it is gone
    assert _venue_orders(localnet, held.client_order_id) == []
    assert localnet.engine.trades("BTC/USDT") == []
    view = ledger.order(held.client_order_id)
    assert view is not None
    assert view.status == "canceled"
