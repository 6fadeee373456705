"""Executor gate behaviours that mutation testing found unguarded (scripts/mutation.py):
what a refused approval tells the person, where a waiting step stands afterwards, a
personal file carried through the second signature, and how a scheduled run is decided
again when it fires."""

from __future__ import annotations

import logging
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from executors.approvals import ApprovalRefused, ApprovalSettings, Gatekeeper
from executors.journal import SqliteJournal
from executors.paper.engine import PaperEngine
from executors.service import ExecutionService, PolicySource
from executors.testing import START, order_step
from executors.testing import decision as made_decision
from foundation.clock import FakeClock
from intent.plan import Schedule
from ledger.service import Ledger
from tests.executors.gatekit import People, approval, gate_policy, honest, send, signed

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
    # the firm's decision sent with the personal file is not the one the executor makes
    firm = await honest(paper_gate, "p1", step)
    firm_request = signed(people["alice"], paper_gate, "p1", step, firm)
    other = await refusal(
        paper_gate.execute(
            plan_id="p1", step=step, decision=firm, request=firm_request, personal=stricter
        )
    )
    assert (other.code, other.hint) == ("POLICY_MISMATCH", "decide the plan again")
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
async def test_a_run_refused_as_it_fires_says_which_rules_refused_it(
    paper_gate: ExecutionService,
    clock: FakeClock,
    engine: PaperEngine,
    policy_file: Path,
    people: People,
) -> None:
    dca = order_step("dca", quantity="0.001", schedule=Schedule(every="1h", count=3))
    await send(paper_gate, people["alice"], "p1", dca)
    # halted, and a confirm threshold under the run's ≈67 USDT: two reasons
    halted = gate_policy(version='"2"', trading_state='"HALTED"')
    policy_file.write_text(halted.replace('limit = "1000"', 'limit = "10"'))
    clock.advance(timedelta(hours=1))
    [second] = await paper_gate.run_due()
    assert second.status == "rejected"
    assert second.reason is not None
    halt = "TRADING_HALTED: trading is HALTED; only cancels go through"
    assert second.reason.startswith("decided again as it fired: deny (")
    listed = second.reason.removeprefix("decided again as it fired: deny (").removesuffix(")")
    value = listed.replace(halt, "").strip("; ")
    assert value.startswith("MAX_ORDER_VALUE")
    assert listed in (f"{halt}; {value}", f"{value}; {halt}")
    assert len(engine.trades("BTC/USDT")) == 1


@pytest.mark.asyncio
async def test_a_price_that_moved_since_the_decision_refuses_a_confirmed_step(
    paper_gate: ExecutionService, clock: FakeClock, engine: PaperEngine, people: People
) -> None:
    step = order_step(quantity=MID)  # decided at the 67,500 it shows
    engine.set_price("BTC/USDT", Decimal(70000), clock.now())
    moved = await refusal(send(paper_gate, people["alice"], "p1", step))
    assert moved.code == "CONFIRM_AGAIN"
    assert "BTC/USDT moved" in moved.message
    assert "since decision" in moved.message
    assert engine.trades("BTC/USDT") == []


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
    of 2 a day written after the schedule was approved lets its second run go and stops
    its third: every run counts, not only the plan's first."""
    dca = order_step("dca", quantity="0.001", schedule=Schedule(every="1h", count=3))
    await send(paper_gate, people["alice"], "p1", dca)
    policy_file.write_text(gate_policy(version='"2"') + _THROTTLE)
    clock.advance(timedelta(hours=1))
    [second] = await paper_gate.run_due()
    assert (second.status, second.reason) == ("filled", None)
    assert len(engine.trades("BTC/USDT")) == 2
    clock.advance(timedelta(hours=1))
    [third] = await paper_gate.run_due()
    assert third.status != "filled"
    assert third.reason is not None
    assert "EXECUTION_THROTTLE: limit=2 per 1d, executions=3 per 1d" in third.reason
    assert len(engine.trades("BTC/USDT")) == 2


# ------------------------------------------------------------- what each refusal says
@pytest.mark.asyncio
async def test_each_signature_refusal_names_the_problem_and_what_to_do(
    paper_gate: ExecutionService, people: People
) -> None:
    keeper = paper_gate.gatekeeper
    settings = paper_gate.settings()
    policy_hash = paper_gate.current_policy().hash
    step = order_step(quantity=MID)
    decision = await honest(paper_gate, "p1", step)
    request = signed(people["alice"], paper_gate, "p1", step, decision)
    now = paper_gate.clock.now()

    def check(signed_request: object, against: object = step, at: object = now) -> ApprovalRefused:
        with pytest.raises(ApprovalRefused) as err:
            keeper.check_request(
                signed_request,  # type: ignore[arg-type]
                plan_id="p1",
                step=against,  # type: ignore[arg-type]
                policy_hash=policy_hash,
                now=at,  # type: ignore[arg-type]
                settings=settings,
            )
        return err.value

    unsigned = check(None)
    assert (unsigned.code, unsigned.hint) == (
        "NO_SIGNATURE",
        "send steps through signoff, which signs them with your key",
    )
    other = check(request, against=order_step("s2", quantity=MID))
    assert other.code == "CONTENT_MISMATCH"
    assert "(step id, step content)" in other.message
    assert other.hint == "sign the step as it is now"
    late = check(request, at=request.claims.expires_at)
    assert late.code == "EXPIRED"
    assert f"the request of step s1 expired at {request.claims.expires_at.isoformat()}" in (
        late.message
    )
    assert late.hint == "decide and sign the step again"

    used = dict(plan_id="p1", step_id="s1", expires_at=request.claims.expires_at, now=now)
    keeper.consume(request.claims.nonce, **used)  # type: ignore[arg-type]
    with pytest.raises(ApprovalRefused) as err:
        keeper.consume(request.claims.nonce, **used)  # type: ignore[arg-type]
    assert err.value.code == "REPLAYED"
    assert err.value.hint == "each signature carries out one step once; sign it again to repeat it"
    replayed = check(request)
    assert (replayed.code, replayed.hint) == (
        "REPLAYED",
        "each signature carries out one step once; sign it again to repeat it",
    )


def test_without_an_identities_file_nobody_is_trusted_and_the_refusal_says_why(
    tmp_path: Path, people: People
) -> None:
    from executors.approvals import Gatekeeper, NonceStore, sign_request

    keeper = Gatekeeper(None, NonceStore(str(tmp_path / "nonces.sqlite")))
    try:
        step = order_step()
        decision = made_decision("s1", "allow")
        request = sign_request(
            people["alice"],
            plan_id="p1",
            step=step,
            decision=decision,
            now=START,
            validity=timedelta(minutes=5),
        )
        with pytest.raises(ApprovalRefused) as err:
            keeper.check_request(
                request,
                plan_id="p1",
                step=step,
                policy_hash=decision.policy.hash,
                now=START,
                settings=ApprovalSettings(validity=timedelta(minutes=10)),
            )
    finally:
        keeper.close()
    assert err.value.code == "NO_IDENTITIES"
    assert err.value.hint == "compliance writes the identities file; restart the executor after"


@pytest.mark.asyncio
async def test_a_decision_for_another_step_is_refused_before_anything_is_checked(
    paper_gate: ExecutionService, engine: PaperEngine, people: People
) -> None:
    step = order_step(quantity=MID)
    other = order_step("s2", quantity=MID)
    decision = await honest(paper_gate, "p1", other, plan_steps=(step, other))
    request = signed(people["alice"], paper_gate, "p1", step, decision)
    wrong = await refusal(
        paper_gate.execute(plan_id="p1", step=step, decision=decision, request=request)
    )
    assert wrong.code == "STEP_MISMATCH"
    assert wrong.hint == "send each step with its own decision"
    assert engine.trades("BTC/USDT") == []


@pytest.mark.asyncio
async def test_an_approval_for_another_requester_says_to_approve_the_step_as_it_waits(
    paper_gate: ExecutionService, people: People
) -> None:
    step = order_step(quantity=BIG)
    await send(paper_gate, people["alice"], "p1", step)
    wrong = approval(people["risk-desk"], paper_gate, "p1", step, requester="bob")
    got = await refusal(paper_gate.approve(plan_id="p1", step_id="s1", approval=wrong))
    assert (got.code, got.hint) == ("CONTENT_MISMATCH", "approve the step as it waits")


@pytest.mark.asyncio
async def test_an_executor_option_narrows_the_policys_validity_and_drift(
    engine: PaperEngine,
    clock: FakeClock,
    journal: SqliteJournal,
    gatekeeper: Gatekeeper,
    policy_file: Path,
    people: People,
) -> None:
    """The policy gives 10 minutes and 1% drift; an executor started with 2 minutes and
    0.5% gives no more, and an option wider than the policy changes nothing."""
    from executors.paper.executor import PaperExecutor

    def service(validity: timedelta | None, drift: str | None) -> ExecutionService:
        return ExecutionService(
            PaperExecutor(engine, clock),
            journal,
            gatekeeper,
            clock=clock,
            policy=PolicySource.load(str(policy_file)),
            validity=validity,
            drift_limit_pct=None if drift is None else Decimal(drift),
        )

    narrow = service(timedelta(minutes=2), "0.5").settings()
    assert (narrow.validity, narrow.drift_limit_pct) == (timedelta(minutes=2), Decimal("0.5"))
    wide = service(timedelta(hours=1), "5").settings()
    assert (wide.validity, wide.drift_limit_pct) == (timedelta(minutes=10), Decimal(1))
    plain = service(None, None).settings()
    assert (plain.validity, plain.drift_limit_pct) == (timedelta(minutes=10), Decimal(1))
    step = order_step(quantity=MID)
    gate = service(timedelta(minutes=2), None)
    decision = await honest(gate, "p1", step)
    long = signed(people["alice"], gate, "p1", step, decision, validity=timedelta(minutes=5))
    too_long = await refusal(gate.execute(plan_id="p1", step=step, decision=decision, request=long))
    assert too_long.code == "EXPIRED"
    assert "(at most 0:02:00)" in too_long.message


@pytest.mark.asyncio
async def test_a_price_that_moved_while_the_step_waited_refuses_the_approval(
    paper_gate: ExecutionService, clock: FakeClock, engine: PaperEngine, people: People
) -> None:
    step = order_step(quantity=BIG)
    await send(paper_gate, people["alice"], "p1", step)
    engine.set_price("BTC/USDT", Decimal(70000), clock.now())  # ≈3.7% over the decision's
    yes = approval(people["risk-desk"], paper_gate, "p1", step)
    moved = await refusal(paper_gate.approve(plan_id="p1", step_id="s1", approval=yes))
    assert moved.code == "CONFIRM_AGAIN"
    assert "since decision" in moved.message
    [kept] = paper_gate.waiting("p1", everything=True)
    assert (kept.status, kept.reason) == ("refused", moved.message)
    assert engine.trades("BTC/USDT") == []


@pytest.mark.asyncio
async def test_a_budget_spent_while_the_step_waited_refuses_the_approval(
    paper_gate: ExecutionService, engine: PaperEngine, policy_file: Path, people: People
) -> None:
    policy_file.write_text(gate_policy(budget="20000", version='"2"'))
    step = order_step(quantity=BIG)  # ≈13,500 of a 20,000 daily budget: escalate
    assert (await send(paper_gate, people["alice"], "p1", step)).status == "waiting"
    # while it waits another order spends ≈6,750 of the day's budget
    spent = await send(paper_gate, people["bob"], "p2", order_step(quantity="0.1"))
    assert spent.orders[0].status == "filled"
    yes = approval(people["risk-desk"], paper_gate, "p1", step)
    changed = await refusal(paper_gate.approve(plan_id="p1", step_id="s1", approval=yes))
    assert changed.code == "DECISION_MISMATCH"
    assert changed.message.startswith(
        "DECISION_MISMATCH: step s1 waited as escalate but the executor decides deny now ("
    )
    assert "DAILY_NOTIONAL" in changed.message
    assert changed.hint == "the requester decides the plan again"
    [kept] = paper_gate.waiting("p1", everything=True)
    assert kept.status == "refused"
    assert len(engine.trades("BTC/USDT")) == 1


@pytest.mark.asyncio
async def test_a_step_approved_with_its_request_leaves_its_escalation_and_approval_in_the_ledger(
    gate: ExecutionService, ledger: Ledger, people: People
) -> None:
    from sqlmodel import Session as DbSession
    from sqlmodel import select

    from ledger.tables import ApprovalRow, DecisionRow
    from tests.executors.gatekit import new_plan

    plan = new_plan(ledger, "buy 0.2 BTC")
    step = order_step(quantity=BIG)
    second = approval(people["risk-desk"], gate, plan, step)
    done = await send(gate, people["alice"], plan, step, second=second)
    assert done.orders[0].status == "filled"
    with DbSession(ledger.engine) as db:
        verdicts = [
            r.verdict for r in db.exec(select(DecisionRow).where(DecisionRow.plan_id == plan))
        ]
        approvals = db.exec(select(ApprovalRow).where(ApprovalRow.plan_id == plan)).all()
    assert "escalate" in verdicts
    assert [(a.step_id, a.approver, a.outcome) for a in approvals] == [
        ("s1", "risk-desk", "approved")
    ]


@pytest.mark.asyncio
async def test_a_schedules_earlier_runs_count_against_the_budget_as_each_run_fires(
    paper_gate: ExecutionService,
    clock: FakeClock,
    engine: PaperEngine,
    policy_file: Path,
    people: People,
) -> None:
    """Deciding a run as it fires leaves out only the run itself, never the schedule's
    earlier runs: a budget of 150 USDT a day written after an hourly schedule of
    ~67.5 USDT runs was approved lets the second run go (135) and stops the third (202.5).
    """
    dca = order_step("dca", quantity="0.001", schedule=Schedule(every="1h", count=3))
    await send(paper_gate, people["alice"], "p1", dca)
    policy_file.write_text(gate_policy(budget="150", version='"2"'))
    clock.advance(timedelta(hours=1))
    [second] = await paper_gate.run_due()
    assert (second.status, second.reason) == ("filled", None)
    clock.advance(timedelta(hours=1))
    [third] = await paper_gate.run_due()
    assert third.status != "filled"
    assert third.reason is not None
    assert "DAILY_NOTIONAL" in third.reason
    assert len(engine.trades("BTC/USDT")) == 2


@pytest.mark.asyncio
async def test_a_step_signed_with_a_personal_file_is_refused_without_it(
    paper_gate: ExecutionService, engine: PaperEngine, people: People
) -> None:
    """The personal file the trader decided and signed with is bound by the signature:
    dropping it (and the decision's mark of it) leaves the firm's decision unchanged for
    this step, so only the signed hash can tell, and it does."""
    step = order_step(quantity=MID)  # 1,350 USDT: confirm either way
    own_limits = (
        '[personal]\nowner = "alice"\n\n[[override]]\nrule = "value-deny"\nlimit = "40000"\n'
    )
    [decision] = await paper_gate.preview("p1", (step,), personal=own_limits)
    assert decision.policy.personal_hash is not None
    request = signed(people["alice"], paper_gate, "p1", step, decision)
    stripped = decision.model_copy(
        update={"policy": decision.policy.model_copy(update={"personal_hash": None})}
    )
    dropped = await refusal(
        paper_gate.execute(plan_id="p1", step=step, decision=stripped, request=request)
    )
    assert dropped.code == "CONTENT_MISMATCH"
    assert "(personal file)" in dropped.message
    assert dropped.hint == "send the step with the personal file it was decided and signed with"
    assert engine.trades("BTC/USDT") == []
    # sent as signed, it runs
    done = await paper_gate.execute(
        plan_id="p1", step=step, decision=decision, request=request, personal=own_limits
    )
    assert done.orders[0].status == "filled"
    assert len(engine.trades("BTC/USDT")) == 1


@pytest.mark.asyncio
async def test_a_step_sent_with_a_rejection_is_refused_as_rejected_by_whom(
    paper_gate: ExecutionService, engine: PaperEngine, people: People
) -> None:
    step = order_step(quantity=BIG)  # escalated
    no = approval(people["risk-desk"], paper_gate, "p1", step, outcome="reject")
    rejected = await refusal(send(paper_gate, people["alice"], "p1", step, second=no))
    assert rejected.code == "REJECTED"
    assert "step s1 was rejected by risk-desk" in rejected.message
    assert engine.trades("BTC/USDT") == []


@pytest.mark.asyncio
async def test_a_decision_mismatch_lists_every_reason_of_the_executors_own_decision(
    paper_gate: ExecutionService, engine: PaperEngine, people: People
) -> None:
    step = order_step(quantity=BIG)  # over the confirm and the escalate limits: two reasons
    decision = await honest(paper_gate, "p1", step)
    assert len(decision.reasons) >= 2
    shown = decision.model_copy(update={"decision": "allow"})
    mismatch = await refusal(
        paper_gate.execute(
            plan_id="p1",
            step=step,
            decision=shown,
            request=signed(people["alice"], paper_gate, "p1", step, shown),
        )
    )
    assert mismatch.code == "DECISION_MISMATCH"
    assert "; ".join(r.message for r in decision.reasons) in mismatch.message
    assert engine.trades("BTC/USDT") == []
