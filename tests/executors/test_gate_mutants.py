"""Executor gate behaviours that mutation testing found unguarded (scripts/mutation.py):
what a refused approval tells the person, where a waiting step stands afterwards, a
personal file carried through the second signature, and how a scheduled run is decided
again when it fires."""

from __future__ import annotations

import logging
from datetime import timedelta
from pathlib import Path

import pytest

from executors.approvals import ApprovalRefused
from executors.paper.engine import PaperEngine
from executors.service import ExecutionService
from executors.testing import order_step
from foundation.clock import FakeClock
from intent.plan import Schedule
from tests.executors.gatekit import People, approval, gate_policy, send, signed

BIG = "0.2"  # ≈13,500 USDT: escalate
MID = "0.02"  # ≈1,350 USDT: confirm


async def refusal(coro: object) -> ApprovalRefused:
    with pytest.raises(ApprovalRefused) as err:
        await coro  # type: ignore[misc]
    return err.value


@pytest.mark.asyncio
async def test_approving_a_step_that_does_not_wait_says_which_and_how_it_stands(
    paper_gate: ExecutionService, people: People
) -> None:
    step = order_step(quantity=BIG)
    yes = approval(people["risk-desk"], paper_gate, "p1", step)
    unknown = await refusal(paper_gate.approve(plan_id="p1", step_id="s1", approval=yes))
    assert unknown.code == "NOT_WAITING"
    assert unknown.message == "NOT_WAITING: step s1 of plan p1 is not waiting for approval"
    assert unknown.hint == "'signoff approvals' lists the steps that wait"

    assert (await send(paper_gate, people["alice"], "p1", step)).status == "waiting"
    done = await paper_gate.approve(plan_id="p1", step_id="s1", approval=yes)
    assert done.orders[0].status == "filled"
    again = approval(people["ann"], paper_gate, "p1", step)
    sent = await refusal(paper_gate.approve(plan_id="p1", step_id="s1", approval=again))
    assert sent.code == "NOT_WAITING"
    assert (
        sent.message == "NOT_WAITING: step s1 of plan p1 is not waiting for approval (it is sent)"
    )


@pytest.mark.asyncio
async def test_a_step_approved_too_late_is_refused_for_good_with_its_expiry_named(
    paper_gate: ExecutionService, clock: FakeClock, engine: PaperEngine, people: People
) -> None:
    step = order_step(quantity=BIG)
    assert (await send(paper_gate, people["alice"], "p1", step)).status == "waiting"
    [view] = paper_gate.waiting()
    clock.advance(timedelta(minutes=5))
    late = approval(people["risk-desk"], paper_gate, "p1", step)
    expired = await refusal(paper_gate.approve(plan_id="p1", step_id="s1", approval=late))
    assert expired.code == "EXPIRED"
    assert expired.message == f"EXPIRED: step s1 waited past {view.expires_at.isoformat()}"
    assert expired.hint == "the requester asks again"
    # the journal keeps it as refused, with why; approving again finds nothing waiting
    [kept] = paper_gate.waiting("p1", everything=True)
    assert (kept.step_id, kept.status, kept.reason) == ("s1", "refused", "expired")
    again = await refusal(paper_gate.approve(plan_id="p1", step_id="s1", approval=late))
    assert again.message.endswith("(it is refused)")
    assert engine.trades("BTC/USDT") == []


@pytest.mark.asyncio
async def test_a_rejection_is_kept_with_who_rejected_it_and_why(
    paper_gate: ExecutionService,
    engine: PaperEngine,
    people: People,
    caplog: pytest.LogCaptureFixture,
) -> None:
    step = order_step(quantity=BIG)
    await send(paper_gate, people["alice"], "p1", step)
    no = approval(people["risk-desk"], paper_gate, "p1", step, outcome="reject")
    with caplog.at_level(logging.INFO, logger="signoff.executor"):
        result = await paper_gate.approve(plan_id="p1", step_id="s1", approval=no)
    assert (result.status, result.kind, result.orders) == ("rejected", "order", ())
    assert result.decision is not None
    assert result.decision.decision == "escalate"
    [kept] = paper_gate.waiting("p1", everything=True)
    assert (kept.status, kept.approver, kept.reason) == ("rejected", "risk-desk", "no")
    assert "p1:s1 rejected by risk-desk" in caplog.messages
    assert engine.trades("BTC/USDT") == []


@pytest.mark.asyncio
async def test_a_personal_file_that_escalates_a_step_holds_through_the_second_signature(
    paper_gate: ExecutionService, engine: PaperEngine, people: People
) -> None:
    step = order_step(quantity=MID)  # 1,350 USDT: the firm only confirms
    stricter = (
        '[personal]\nowner = "alice"\n\n[[override]]\nrule = "value-escalate"\nlimit = "1200"\n'
    )
    [decision] = await paper_gate.preview("p1", (step,), personal=stricter)
    assert decision.decision == "escalate"
    request = signed(people["alice"], paper_gate, "p1", step, decision)
    waiting = await paper_gate.execute(
        plan_id="p1", step=step, decision=decision, request=request, personal=stricter
    )
    assert waiting.status == "waiting"
    assert engine.trades("BTC/USDT") == []
    yes = approval(people["risk-desk"], paper_gate, "p1", step)
    done = await paper_gate.approve(plan_id="p1", step_id="s1", approval=yes)
    assert done.orders[0].status == "filled"
    assert len(engine.trades("BTC/USDT")) == 1


@pytest.mark.asyncio
async def test_a_run_refused_as_it_fires_says_which_rule_refused_it(
    paper_gate: ExecutionService,
    clock: FakeClock,
    engine: PaperEngine,
    policy_file: Path,
    people: People,
) -> None:
    dca = order_step("dca", quantity="0.001", schedule=Schedule(every="1h", count=3))
    await send(paper_gate, people["alice"], "p1", dca)
    policy_file.write_text(gate_policy(version='"2"', trading_state='"HALTED"'))
    clock.advance(timedelta(hours=1))
    [second] = await paper_gate.run_due()
    assert second.status == "rejected"
    assert second.reason == (
        "decided again as it fired: deny "
        "(TRADING_HALTED: trading is HALTED; only cancels go through)"
    )
    assert len(engine.trades("BTC/USDT")) == 1


_THROTTLE = """
[[rule]]
id = "throttle"
kind = "execution_throttle"
effect = "deny"
max_executions = 2
window = "1d"
"""


@pytest.mark.asyncio
async def test_a_throttle_added_after_approval_judges_a_run_by_the_executions_made(
    paper_gate: ExecutionService,
    clock: FakeClock,
    engine: PaperEngine,
    policy_file: Path,
    people: People,
) -> None:
    """At approval a schedule is judged by the runs it will make in a window (an hourly
    schedule of 3 is 3 a day); as a run fires, by the executions made so far. A throttle
    of 2 a day written after the schedule was approved does not stop its second run."""
    dca = order_step("dca", quantity="0.001", schedule=Schedule(every="1h", count=3))
    await send(paper_gate, people["alice"], "p1", dca)
    policy_file.write_text(gate_policy(version='"2"') + _THROTTLE)
    clock.advance(timedelta(hours=1))
    [second] = await paper_gate.run_due()
    assert (second.status, second.reason) == ("filled", None)
    assert len(engine.trades("BTC/USDT")) == 2
