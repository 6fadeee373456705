"""The session service end to end: every stage recorded first; only allowed or approved
steps reach the (local) exchange; restarts reconcile by client order id."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlmodel import Session as DbSession
from sqlmodel import select

from executors.approvals import ApprovalRefused, sign_request
from executors.ids import client_order_id
from foundation.errors import ApprovalError
from foundation.identity import load_signing_key
from intent.resolved import ResolvedOrder
from ledger.tables import AuditRecord
from signoff.session import Session, counters_from_ledger

# each test runs the executor (or the CLI) as a real process: seconds each
pytestmark = pytest.mark.slow


def _kinds_in_order(session: Session, plan_id: str) -> list[str]:
    with DbSession(session.ledger.engine) as db:
        rows = db.exec(
            select(AuditRecord).where(AuditRecord.plan_id == plan_id).order_by(AuditRecord.seq)  # type: ignore[arg-type]
        ).all()
    return [r.kind for r in rows]


def test_an_allowed_step_runs_and_every_stage_is_recorded_first(session: Session) -> None:
    before = session.executor.account().total("BTC")
    proposal = session.propose("buy 0.01 BTC")
    assert [d.decision for _, d in proposal.pairs] == ["allow"]

    outcomes = session.execute(proposal, {})

    assert [o.status for o in outcomes] == ["executed"]
    assert outcomes[0].orders[0].status == "filled"
    assert session.executor.account().total("BTC") - before == Decimal("0.01") - Decimal(
        "0.00001"  # the taker fee, paid in BTC
    )
    kinds = _kinds_in_order(session, proposal.plan_id)
    # the decision is recorded before the intent, the intent before any status or fill
    assert kinds[:3] == ["parse", "resolution", "decision"]
    assert kinds.index("order_intent") < kinds.index("order_status") < kinds.index("fill")
    view = session.ledger.order(client_order_id(proposal.plan_id, "s1"))
    assert view is not None
    assert view.status == "filled"
    assert view.filled_quantity == Decimal("0.01")
    assert session.ledger.verify().ok


def test_a_confirm_step_runs_only_once_approved(session: Session) -> None:
    proposal = session.propose("buy 10 SOL at 150")
    [(_step, decision)] = proposal.pairs
    assert decision.decision == "confirm"

    skipped = session.execute(proposal, {})
    assert [o.status for o in skipped] == ["skipped"]
    assert session.executor.open_orders() == []
    assert session.ledger.order(client_order_id(proposal.plan_id, "s1")) is None

    approval = session.approve(proposal, "s1")
    [done] = session.execute(proposal, {"s1": approval})
    assert done.status == "executed"
    [resting] = session.executor.open_orders()
    assert resting.limit_price == Decimal(150)
    assert resting.client_order_id == client_order_id(proposal.plan_id, "s1")
    story = session.ledger.plan_story(proposal.plan_id)
    assert story is not None
    [recorded] = story.approvals
    assert recorded.approval.approver == "alice"
    assert recorded.use is not None  # used exactly once


def test_a_step_is_sent_once_and_an_approval_used_once(session: Session) -> None:
    proposal = session.propose("buy 10 SOL at 150")
    approval = session.approve(proposal, "s1")
    session.execute(proposal, {"s1": approval})
    [again] = session.execute(proposal, {"s1": approval})
    assert again.status == "skipped"
    assert "already sent" in again.detail
    assert len(session.executor.open_orders()) == 1
    # the ledger itself refuses a second use of the approval
    assert approval.approval_id is not None
    with pytest.raises(ApprovalError):
        session.ledger.record_approval_used(approval_id=approval.approval_id, actor="alice")


def test_an_escalated_step_needs_a_second_approver_who_is_not_the_requester(
    session: Session,
) -> None:
    proposal = session.propose("buy 0.2 BTC")
    [(_, decision)] = proposal.pairs
    assert decision.decision == "escalate"
    # typing a name approves nothing
    with pytest.raises(ApprovalError, match="typing a name approves nothing"):
        session.approve(proposal, "s1", "risk-desk")
    request = session.approve(proposal, "s1")  # alice asks, with her key
    [waiting] = session.execute(proposal, {"s1": request})
    assert waiting.status == "waiting"
    assert session.executor.open_orders() == []
    [view] = session.waiting()
    assert (view.plan_id, view.step_id, view.requester) == (proposal.plan_id, "s1", "alice")
    # alice cannot give the second signature herself
    with pytest.raises(ApprovalRefused) as err:
        session.approve_waiting(proposal.plan_id, "s1")
    assert err.value.code == "NO_ROLE"
    desk = load_signing_key("risk-desk")
    done = session.approve_waiting(proposal.plan_id, "s1", key=desk)
    assert done.status == "executed"
    assert done.orders[0].status == "filled"
    [resumed] = session.resume(proposal.plan_id)
    assert resumed.status == "executed"
    view_order = session.ledger.order(client_order_id(proposal.plan_id, "s1"))
    assert view_order is not None
    assert view_order.status == "filled"


def test_a_denied_step_never_reaches_the_exchange(session: Session) -> None:
    proposal = session.propose("buy 2 BTC")
    [(step, decision)] = proposal.pairs
    assert decision.decision == "deny"
    with pytest.raises(ApprovalError):
        session.approve(proposal, "s1")
    [outcome] = session.execute(proposal, {})
    assert outcome.status == "skipped"
    # asked directly, signed and shown as allowed, the executor refuses it too
    assert isinstance(step, ResolvedOrder)
    with pytest.raises(ApprovalRefused) as err:
        session.executor.execute(
            plan_id=proposal.plan_id,
            step=step,
            decision=decision,
            request=session.sign(proposal, "s1"),
        )
    assert err.value.code == "DENIED"
    forged = decision.model_copy(update={"decision": "allow"})
    with pytest.raises(ApprovalRefused) as err:
        session.executor.execute(
            plan_id=proposal.plan_id,
            step=step,
            decision=forged,
            request=sign_request(
                session.key,  # type: ignore[arg-type]
                plan_id=proposal.plan_id,
                step=step,
                decision=forged,
                now=session.clock.now(),
                validity=timedelta(minutes=5),
            ),
        )
    assert err.value.code == "DECISION_MISMATCH"
    assert session.executor.open_orders() == []
    assert session.ledger.order(client_order_id(proposal.plan_id, "s1")) is None


def test_a_rejection_is_recorded_and_the_step_does_not_run(session: Session) -> None:
    proposal = session.propose("buy 10 SOL at 150")
    session.reject(proposal, "s1")
    [outcome] = session.execute(proposal, {})
    assert outcome.status == "skipped"
    story = session.ledger.plan_story(proposal.plan_id)
    assert story is not None
    assert [a.approval.outcome for a in story.approvals] == ["rejected"]


def test_questions_and_refusals_are_recorded_and_nothing_is_resolved(session: Session) -> None:
    for text, status in (("buy some bitcoin", "clarify"), ("withdraw my BTC", "unsupported")):
        proposal = session.propose(text)
        assert proposal.result.status == status
        assert proposal.gated is None
        story = session.ledger.plan_story(proposal.plan_id)
        assert story is not None
        assert story.plan.status == status
        assert story.resolutions == []


def test_queries_are_answered_from_the_executor(session: Session) -> None:
    proposal = session.propose("how much ETH do I have and what is the price of BTC")
    outcomes = session.execute(proposal, {})
    assert [o.status for o in outcomes] == ["executed", "executed"]
    assert outcomes[0].detail.startswith("ETH 8")
    assert "BTC/USDT last" in outcomes[1].detail


def test_history_feeds_the_policy(session: Session) -> None:
    first = session.propose("buy 0.01 BTC")
    session.execute(first, {})
    counters = counters_from_ledger(session.ledger, now=session.clock.now(), policy=session.policy)
    assert [o.symbol for o in counters.orders] == ["BTC/USDT"]
    assert counters.orders[0].notional > Decimal(600)
    assert {"BTC", "USDT"} <= counters.assets_traded
    # the same order again within the duplicate window is no longer simply allowed
    again = session.propose("buy 0.01 BTC")
    [(_, decision)] = again.pairs
    assert decision.decision != "allow"
    assert any(r.code == "DUPLICATE_ORDER" for r in decision.reasons)


def test_a_restart_reconciles_orders_the_ledger_has_not_seen_finish(session: Session) -> None:
    proposal = session.propose("buy 0.01 BTC and buy 0.05 ETH")
    (s1, d1), (s2, _d2) = proposal.pairs
    assert isinstance(s1, ResolvedOrder)
    assert isinstance(s2, ResolvedOrder)
    for step in (s1, s2):
        session.ledger.record_order_intent(
            plan_id=proposal.plan_id,
            step_id=step.step_id,
            client_order_id=client_order_id(proposal.plan_id, step.step_id),
            venue=session.venue,
            symbol=step.symbol,
            side=step.side,
            order_type=step.order_type,
            quantity=step.quantity,
            actor="alice",
        )
    # s1 was sent by the executor (which writes what the venue says into the ledger);
    # s2's intent was written by a client that stopped before sending it
    session.executor.execute(
        plan_id=proposal.plan_id,
        step=s1,
        decision=d1,
        request=session.sign(proposal, "s1"),
        plan_steps=(s1, s2),
    )
    assert {v.client_order_id for v in session.ledger.unfinished_orders()} == {
        client_order_id(proposal.plan_id, "s2"),
    }

    lines = session.reconcile()

    assert lines == [
        f"{client_order_id(proposal.plan_id, 's2')}: never reached the venue; recorded as rejected"
    ]
    first = session.ledger.order(client_order_id(proposal.plan_id, "s1"))
    second = session.ledger.order(client_order_id(proposal.plan_id, "s2"))
    assert first is not None
    assert second is not None
    assert first.status == "filled"
    assert second.status == "rejected"
    assert session.ledger.unfinished_orders() == []
    # nothing was placed twice
    assert len(session.executor.fills("BTC/USDT")) == 1


def test_a_recurring_step_records_each_run_and_survives_a_restart(session: Session) -> None:
    proposal = session.propose("buy 10 USDT of BTC every day for 3 days")
    [(_, decision)] = proposal.pairs
    assert decision.decision == "allow"
    [outcome] = session.execute(proposal, {})
    assert outcome.status == "executed"
    base = client_order_id(proposal.plan_id, "s1")
    schedule_order = session.ledger.order(base)
    assert schedule_order is not None
    assert schedule_order.status == "open"  # the schedule is active
    first_run = session.ledger.order(base + ".1")
    assert first_run is not None
    assert first_run.status == "filled"
    assert len(first_run.fills) == 1
    # a restart must not mistake the schedule for an order that never reached the venue
    assert session.reconcile() == []  # nothing new since execute recorded it
    again = session.ledger.order(base)
    assert again is not None
    assert again.status == "open"
    assert session.ledger.verify().ok


def test_reconciling_leaves_another_venues_orders_alone(session: Session) -> None:
    """Attack: switching --exchange marked another venue's live order as never placed."""
    proposal = session.propose("buy 10 SOL at 150")
    [(step, _)] = proposal.pairs
    assert isinstance(step, ResolvedOrder)
    coid = client_order_id(proposal.plan_id, "s1")
    session.ledger.record_order_intent(
        plan_id=proposal.plan_id,
        step_id="s1",
        client_order_id=coid,
        venue="paper",  # placed through another venue's executor
        symbol=step.symbol,
        side=step.side,
        order_type=step.order_type,
        quantity=step.quantity,
        limit_price=step.limit_price,
        actor="alice",
    )
    assert session.venue == "local"
    assert session.reconcile() == []
    view = session.ledger.order(coid)
    assert view is not None
    assert view.status == "intent"  # untouched: its own executor reconciles it
