"""The Ledger's stages, write-ahead and queries, on SQLite and on PostgreSQL."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from foundation.clock import FakeClock
from foundation.errors import ApprovalError, LedgerError
from intent.plan import Clarification, Refusal
from ledger import chain
from ledger.service import Ledger
from policy.decision import PolicyStamp, StepDecision
from tests.ledger.ledger_story import POLICY, POLICY_TEXT, record_story, snapshot


def test_a_whole_request_is_recorded_and_verifies(ledger: Ledger, clock: FakeClock) -> None:
    story = record_story(ledger, clock)

    report = ledger.verify()
    assert report.ok, report.problems
    assert report.records == len(story.seqs) == ledger.head()[0]

    told = ledger.plan_story(story.plan_id)
    assert told is not None
    assert told.request is not None
    assert told.request.text == "buy 0.1 BTC and show my balance"
    assert told.result["status"] == "plan"
    assert [s.action for s in told.steps] == ["order", "query"]
    [resolution] = told.resolutions
    order_step = next(s for s in resolution.steps if s.kind == "order")
    assert order_step.quantity == Decimal("0.10000")
    assert order_step.notional == Decimal("6750.001")
    [evaluation] = told.evaluations
    assert {d.step_id: d.verdict for d in evaluation.decisions} == {"s1": "confirm", "s2": "allow"}
    assert all(d.policy_hash == POLICY.hash for d in evaluation.decisions)
    assert '"notional_today":"1200.5"' in evaluation.inputs.counters_json
    assert [p.text for p in told.policies] == [POLICY_TEXT]
    [approval] = told.approvals
    assert approval.used
    assert approval.use is not None
    assert approval.use.client_order_id == story.client_order_id
    [order] = told.orders
    assert order.status == "filled"
    assert order.exchange_order_id == "PX-1001"
    assert [f.trade_id for f in order.fills] == ["T-1", "T-2"]
    assert order.filled_quantity == Decimal("0.1")
    kinds = [r.kind for r in told.records]
    assert kinds[:2] == ["request", "parse"]
    assert kinds.count("fill") == 2
    assert kinds[-1] == "order_status"


def test_each_stage_is_committed_before_it_returns(backend_url: str, clock: FakeClock) -> None:
    """Write-ahead: a second, independent connection sees each record as soon as it returns."""
    with Ledger.open(backend_url, clock=clock) as writer, Ledger.open(backend_url) as reader:
        request = writer.record_request(text="sell 1 ETH", actor="bob", parser="deterministic")
        assert reader.head() == (request.audit.seq, request.audit.hash)
        story = record_story(writer, clock)
        assert reader.head()[0] == story.seqs["filled"]
        assert reader.order(story.client_order_id) is not None


def test_times_and_amounts_come_back_exactly(ledger: Ledger, clock: FakeClock) -> None:
    clock.advance(timedelta(microseconds=123_457))
    story = record_story(ledger, clock)
    tiny = Decimal("0.000000000000000000000001")
    huge = Decimal("123456789012345678901234567890.123456789")
    ledger.record_order_intent(
        plan_id=story.plan_id,
        step_id="s9",
        client_order_id="so-exact",
        venue="paper",
        symbol="BTC/USDT",
        side="sell",
        order_type="limit",
        quantity=tiny,
        limit_price=huge,
        actor="executor",
    )
    view = ledger.order("so-exact")
    assert view is not None
    assert view.order.quantity == tiny
    assert str(view.order.quantity) == str(tiny)
    assert view.order.limit_price == huge
    assert view.order.created_at == clock.now()
    assert ledger.recent(1)[0].recorded_at == clock.now()
    assert ledger.verify().ok


def test_floats_are_never_stored(ledger: Ledger, clock: FakeClock) -> None:
    story = record_story(ledger, clock)
    head = ledger.head()
    with pytest.raises((TypeError, LedgerError)):
        ledger.record_order_intent(
            plan_id=story.plan_id,
            step_id="s9",
            client_order_id="so-float",
            venue="paper",
            symbol="BTC/USDT",
            side="sell",
            order_type="market",
            quantity=0.1,  # type: ignore[arg-type]
            actor="executor",
        )
    assert ledger.head() == head
    assert ledger.verify().ok


def test_an_approval_is_used_once(ledger: Ledger, clock: FakeClock) -> None:
    story = record_story(ledger, clock)
    with pytest.raises(ApprovalError, match="already used"):
        ledger.record_approval_used(approval_id=story.approval_id, actor="executor")


def test_an_expired_or_rejected_approval_cannot_be_used(ledger: Ledger, clock: FakeClock) -> None:
    story = record_story(ledger, clock)
    expiring = ledger.record_approval(
        plan_id=story.plan_id,
        step_id="s1",
        approver="carol",
        role="escalate",
        content_hash="c" * 64,
        policy_hash=POLICY.hash,
        expires_at=clock.now() + timedelta(seconds=30),
    )
    rejected = ledger.record_approval(
        plan_id=story.plan_id,
        step_id="s1",
        approver="carol",
        role="escalate",
        outcome="rejected",
        content_hash="c" * 64,
        policy_hash=POLICY.hash,
        expires_at=None,
    )
    clock.advance(31)
    head = ledger.head()
    with pytest.raises(ApprovalError, match="expired"):
        ledger.record_approval_used(approval_id=expiring.id, actor="executor")
    with pytest.raises(ApprovalError, match="rejection"):
        ledger.record_approval_used(approval_id=rejected.id, actor="executor")
    with pytest.raises(ApprovalError, match="not in the ledger"):
        ledger.record_approval_used(approval_id="a-nope", actor="executor")
    assert ledger.head() == head


def test_a_client_order_id_is_recorded_once(ledger: Ledger, clock: FakeClock) -> None:
    story = record_story(ledger, clock)
    with pytest.raises(LedgerError, match="already recorded"):
        ledger.record_order_intent(
            plan_id=story.plan_id,
            step_id="s1",
            client_order_id=story.client_order_id,
            venue="paper",
            symbol="BTC/USDT",
            side="buy",
            order_type="market",
            quantity=Decimal("0.1"),
            actor="executor",
        )


def test_a_replayed_fill_is_recorded_once(ledger: Ledger, clock: FakeClock) -> None:
    story = record_story(ledger, clock)
    again = ledger.record_fill(
        client_order_id=story.client_order_id,
        trade_id="T-1",
        quantity=Decimal("0.04"),
        price=Decimal("67500.01"),
        actor="reconciler",
    )
    assert again is None
    view = ledger.order(story.client_order_id)
    assert view is not None
    assert len(view.fills) == 2


def test_unfinished_orders_are_what_a_restart_must_reconcile(
    ledger: Ledger, clock: FakeClock
) -> None:
    story = record_story(ledger, clock)
    assert ledger.unfinished_orders() == []
    common = {
        "plan_id": story.plan_id,
        "venue": "binance-testnet",
        "symbol": "BTC/USDT",
        "side": "sell",
        "order_type": "limit",
        "quantity": Decimal("0.01"),
        "limit_price": Decimal("70000"),
        "actor": "executor",
    }
    ledger.record_order_intent(step_id="s3", client_order_id="so-never-sent", **common)  # type: ignore[arg-type]
    ledger.record_order_intent(step_id="s4", client_order_id="so-resting", **common)  # type: ignore[arg-type]
    ledger.record_order_status(
        client_order_id="so-resting", status="open", exchange_order_id="X-9", actor="executor"
    )
    ledger.record_order_intent(step_id="s5", client_order_id="so-cancelled", **common)  # type: ignore[arg-type]
    ledger.record_order_status(client_order_id="so-cancelled", status="canceled", actor="executor")

    pending = {o.client_order_id: o for o in ledger.unfinished_orders()}
    assert set(pending) == {"so-never-sent", "so-resting"}
    assert pending["so-never-sent"].status == "intent"
    assert pending["so-resting"].status == "open"
    assert pending["so-resting"].exchange_order_id == "X-9"


def test_status_of_an_unknown_order_is_refused(ledger: Ledger) -> None:
    with pytest.raises(LedgerError, match="record the order's intent"):
        ledger.record_order_status(client_order_id="so-ghost", status="open", actor="executor")
    with pytest.raises(LedgerError, match="unknown order status"):
        ledger.record_order_status(
            client_order_id="so-ghost",
            status="done",  # type: ignore[arg-type]
            actor="executor",
        )


def test_decisions_need_their_policy_text_in_the_ledger(ledger: Ledger, clock: FakeClock) -> None:
    story = record_story(ledger, clock)
    other = PolicyStamp(id="desk-default", version="8", hash="e" * 64)
    decision = StepDecision(step_id="s1", decision="deny", policy=other, decided_at=clock.now())
    kwargs = {
        "plan_id": story.plan_id,
        "decisions": [decision],
        "snapshot": snapshot(clock),
        "quotes": {},
        "counters": {},
        "actor": "policy",
    }
    with pytest.raises(LedgerError, match="not in the ledger"):
        ledger.record_decisions(**kwargs)  # type: ignore[arg-type]
    [recorded] = ledger.record_decisions(**kwargs, policy_text="[policy]\nversion = '8'\n")  # type: ignore[arg-type]
    assert recorded.id.startswith("d-")
    # the same policy version is stored once
    assert ledger.record_policy_version(stamp=other, text="ignored", actor="policy") is None
    assert ledger.verify().ok


def test_clarifications_and_refusals_have_a_story(ledger: Ledger) -> None:
    asked = ledger.record_request(text="buy some", actor="dan", parser="deterministic")
    clarified = ledger.record_parse(
        request_id=asked.id,
        result=Clarification(question="How much BTC?", missing=("amount",)),
        actor="dan",
    )
    refused_request = ledger.record_request(
        text="withdraw all to 0xabc", actor="dan", parser="deterministic"
    )
    refused = ledger.record_parse(
        request_id=refused_request.id,
        result=Refusal(category="withdrawal", reason="signoff never moves funds out"),
        actor="dan",
    )
    clar = ledger.plan_story(clarified.id)
    ref = ledger.plan_story(refused.id)
    assert clar is not None
    assert clar.plan.status == "clarify"
    assert clar.steps == []
    assert ref is not None
    assert ref.result["category"] == "withdrawal"
    assert ledger.plan_story("p-missing") is None


def test_a_parse_needs_its_request(ledger: Ledger) -> None:
    with pytest.raises(LedgerError, match="request r-nope is not in the ledger"):
        ledger.record_parse(request_id="r-nope", result=Clarification(question="What?"), actor="x")
    assert ledger.head()[0] == 0


def test_paper_sessions_and_corrections(ledger: Ledger, clock: FakeClock) -> None:
    session = ledger.record_session_start(
        actor="alice",
        venue="paper",
        feed="simulated",
        seed=42,
        snapshot=snapshot(clock),
        settings={"speed": "10x", "fee_rate": Decimal("0.001")},
    )
    ledger.record_request(
        text="buy 1 SOL", actor="alice", parser="deterministic", session_id=session.id
    )
    ledger.record_session_end(
        session_id=session.id, actor="alice", report={"pnl": Decimal("-1.25"), "orders": 1}
    )
    with pytest.raises(LedgerError, match="already ended"):
        ledger.record_session_end(session_id=session.id, actor="alice", report={})
    fix = ledger.record_correction(
        corrects_seq=2, actor="compliance", reason="request text mistyped by the operator"
    )
    with pytest.raises(LedgerError, match="no audit record #99"):
        ledger.record_correction(corrects_seq=99, actor="compliance", reason="x")
    assert fix.audit.seq == 4
    assert ledger.verify().ok


def test_export_since_a_date(ledger: Ledger, clock: FakeClock) -> None:
    record_story(ledger, clock, actor="early")
    clock.advance(timedelta(days=2))
    since = clock.now()
    later = record_story(ledger, clock, actor="late", suffix="b")
    exported = list(ledger.export(since))
    assert [r["seq"] for r in exported] == list(range(later.seqs["request"], ledger.head()[0] + 1))
    assert exported[0]["kind"] == "request"
    assert exported[0]["rows"][0]["row"]["actor"] == "late"
    # an export carries everything needed to recompute each record's digest and hash
    for record in exported:
        rows = [(r["table"], r["row"]) for r in record["rows"]]
        assert chain.event_digest(rows) == record["digest"]
        assert chain.stored_record_hash(record) == record["hash"]


def test_recent_records_are_oldest_first(ledger: Ledger, clock: FakeClock) -> None:
    story = record_story(ledger, clock)
    recent = ledger.recent(3)
    assert [r.seq for r in recent] == [
        story.seqs["fill"],
        story.seqs["fill2"],
        story.seqs["filled"],
    ]


def test_the_database_refuses_updates_and_deletes(ledger: Ledger, clock: FakeClock) -> None:
    """Append-only is enforced below the code too: the tables refuse UPDATE and DELETE."""
    record_story(ledger, clock)
    for statement in (
        "UPDATE audit_records SET actor = 'mallory' WHERE seq = 1",
        "DELETE FROM audit_records WHERE seq = 1",
        "UPDATE requests SET text = 'sell everything'",
        "DELETE FROM fills",
    ):
        with pytest.raises(DBAPIError, match="append-only"), ledger.engine.begin() as conn:
            conn.execute(text(statement))
    assert ledger.verify().ok


def test_threads_sharing_a_ledger_form_one_chain(ledger: Ledger) -> None:
    import threading

    def work(name: str) -> None:
        for i in range(25):
            ledger.record_request(text=f"{name} {i}", actor=name, parser="deterministic")

    threads = [threading.Thread(target=work, args=(f"t{n}",)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(t.is_alive() for t in threads)
    report = ledger.verify()
    assert report.ok
    assert report.records == 100


def test_the_kinds_the_log_filters_on_are_every_kind_the_ledger_writes() -> None:
    import inspect
    import re

    from ledger import service

    written = set(re.findall(r'kind="([a-z_]+)"', inspect.getsource(service)))
    assert written == set(service.RECORD_KINDS)
