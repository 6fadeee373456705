"""The gate: only steps the executor itself allows, signed by the right people, reach the
exchange, each once; every refusal is recorded, in its journal and in the ledger.

Each attack found on the old, advisory gate is a test here, checked at the local
exchange (what it received over ccxt) and in the ledger.
"""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlmodel import Session as DbSession
from sqlmodel import select

from executors.approvals import ApprovalRefused
from executors.base import OrderRequest
from executors.ids import client_order_id
from executors.journal import SqliteJournal
from executors.localnet.server import LocalExchange
from executors.paper.engine import PaperEngine
from executors.service import ExecutionService
from executors.testing import START, cancel_step, order_step
from foundation.clock import FakeClock, SystemClock
from foundation.errors import ExecutionError, InsufficientFunds
from foundation.identity import SigningKey
from ledger.service import Ledger
from ledger.tables import DecisionRow
from policy.counters import Counters
from policy.decision import PolicyStamp
from policy.engine import evaluate
from tests.executors.gatekit import (
    People,
    approval,
    gate_policy,
    honest,
    new_plan,
    send,
    signed,
)

D = Decimal
BIG = "0.2"  # ≈13,500 USDT: escalate
MID = "0.02"  # ≈1,350 USDT: confirm
HUGE = "1"  # ≈67,500 USDT: deny


def codes(journal: SqliteJournal) -> list[str]:
    return [r.code for r in journal.refusals()]


def gate_refusals(ledger: Ledger, plan_id: str) -> list[str]:
    """The refusal codes the executor recorded in the ledger for ``plan_id``."""
    with DbSession(ledger.engine) as db:
        rows = db.exec(select(DecisionRow).where(DecisionRow.plan_id == plan_id)).all()
    found = []
    for row in rows:
        for reason in json.loads(row.reasons_json):
            if reason["rule"] == "executor.gate":
                found.append(reason["code"])
    return found


async def refused(coro: object) -> str:
    with pytest.raises(ApprovalRefused) as err:
        await coro  # type: ignore[misc]
    return err.value.code


# --------------------------------------------------------------------------- the basics
@pytest.mark.asyncio
async def test_allowed_step_is_sent_once_and_recorded_in_the_ledger(
    gate: ExecutionService,
    localnet: LocalExchange,
    journal: SqliteJournal,
    ledger: Ledger,
    people: People,
) -> None:
    plan = new_plan(ledger)
    result = await send(gate, people["alice"], plan, order_step())
    state = result.orders[0]
    assert state.status == "filled"
    assert result.decision is not None
    assert result.decision.decision == "allow"
    assert state.client_order_id == client_order_id(plan, "s1")
    entry = journal.get(state.client_order_id)
    assert entry is not None
    assert entry.status == "filled"
    # the executor wrote the order, its status and fill into the ledger itself
    view = ledger.order(state.client_order_id)
    assert view is not None
    assert view.status == "filled"
    assert view.filled_quantity == D("0.01")
    # the same step again (a retry, a double click): reported, not sent again
    again = await send(gate, people["alice"], plan, order_step())
    assert again.already_sent
    assert localnet.accepted_count() == 1
    assert ledger.verify().ok


@pytest.mark.asyncio
async def test_every_step_needs_its_requesters_signature(
    gate: ExecutionService,
    localnet: LocalExchange,
    journal: SqliteJournal,
    ledger: Ledger,
    people: People,
) -> None:
    plan = new_plan(ledger)
    step = order_step()
    allow = await honest(gate, plan, step)
    # no signature at all (a raw POST with the run secret)
    assert await refused(gate.execute(plan_id=plan, step=step, decision=allow, request=None)) == (
        "NO_SIGNATURE"
    )
    # signed by a key the identities file does not list for that name
    impostor = SigningKey.generate("alice")
    forged = signed(impostor, gate, plan, step, allow)
    assert await refused(gate.execute(plan_id=plan, step=step, decision=allow, request=forged)) == (
        "BAD_SIGNATURE"
    )
    # someone the file does not know
    stranger = signed(SigningKey.generate("mallory"), gate, plan, step, allow)
    assert (
        await refused(gate.execute(plan_id=plan, step=step, decision=allow, request=stranger))
        == "UNKNOWN_IDENTITY"
    )
    # an approver is not a trader: they cannot ask
    desk = signed(people["risk-desk"], gate, plan, step, allow)
    assert await refused(gate.execute(plan_id=plan, step=step, decision=allow, request=desk)) == (
        "NO_ROLE"
    )
    assert codes(journal) == ["NO_SIGNATURE", "BAD_SIGNATURE", "UNKNOWN_IDENTITY", "NO_ROLE"]
    assert gate_refusals(ledger, plan) == codes(journal)
    assert localnet.received == []
    assert ledger.order(client_order_id(plan, "s1")) is None


@pytest.mark.asyncio
async def test_a_forged_decision_is_refused_and_recorded(
    gate: ExecutionService,
    localnet: LocalExchange,
    journal: SqliteJournal,
    ledger: Ledger,
    people: People,
) -> None:
    """Attack: an escalated step posted with ``"decision": "allow"`` (validly signed)."""
    plan = new_plan(ledger, "buy 0.2 BTC")
    code = await refused(send(gate, people["alice"], plan, order_step(quantity=BIG), claim="allow"))
    assert code == "DECISION_MISMATCH"
    assert "escalate" in journal.refusals()[0].message
    assert gate_refusals(ledger, plan) == ["DECISION_MISMATCH"]
    # the executor's own decision is on record too
    with DbSession(ledger.engine) as db:
        verdicts = [r.verdict for r in db.exec(select(DecisionRow)).all()]
    assert "escalate" in verdicts
    assert localnet.received == []


@pytest.mark.asyncio
async def test_a_made_up_plan_id_is_refused(
    gate: ExecutionService, localnet: LocalExchange, journal: SqliteJournal, people: People
) -> None:
    code = await refused(send(gate, people["alice"], "p-made-up", order_step()))
    assert code == "UNKNOWN_PLAN"
    assert journal.refusals()[0].plan_id == "p-made-up"
    assert localnet.received == []


@pytest.mark.asyncio
async def test_a_denied_step_never_runs(
    gate: ExecutionService, localnet: LocalExchange, ledger: Ledger, people: People
) -> None:
    plan = new_plan(ledger, "buy 1 BTC")
    assert await refused(send(gate, people["alice"], plan, order_step(quantity=HUGE))) == "DENIED"
    assert localnet.received == []


@pytest.mark.asyncio
async def test_a_confirmed_step_runs_with_the_requesters_signature_once(
    gate: ExecutionService,
    localnet: LocalExchange,
    journal: SqliteJournal,
    ledger: Ledger,
    people: People,
) -> None:
    plan = new_plan(ledger, "buy 0.02 BTC")
    step = order_step(quantity=MID)
    confirm = await honest(gate, plan, step)
    assert confirm.decision == "confirm"
    request = signed(people["alice"], gate, plan, step, confirm)
    result = await gate.execute(plan_id=plan, step=step, decision=confirm, request=request)
    assert result.orders[0].status == "filled"
    # the same signature shown again is refused, even for the same step
    code = await refused(gate.execute(plan_id=plan, step=step, decision=confirm, request=request))
    assert code == "REPLAYED"
    assert localnet.accepted_count() == 1
    assert codes(journal) == ["REPLAYED"]


@pytest.mark.asyncio
async def test_a_signature_for_a_smaller_step_does_not_cover_a_bigger_one(
    gate: ExecutionService, localnet: LocalExchange, ledger: Ledger, people: People
) -> None:
    plan = new_plan(ledger, "buy 0.02 BTC")
    small, big = order_step(quantity=MID), order_step(quantity="0.03")
    confirm = await honest(gate, plan, small)
    request = signed(people["alice"], gate, plan, small, confirm)
    code = await refused(gate.execute(plan_id=plan, step=big, decision=confirm, request=request))
    assert code == "CONTENT_MISMATCH"
    assert localnet.received == []


# --------------------------------------------------------------------------- four eyes
@pytest.mark.asyncio
async def test_an_escalated_step_waits_then_runs_once_approved_by_another_person(
    gate: ExecutionService,
    localnet: LocalExchange,
    journal: SqliteJournal,
    ledger: Ledger,
    people: People,
) -> None:
    plan = new_plan(ledger, "buy 0.2 BTC")
    step = order_step(quantity=BIG)
    waiting = await send(gate, people["alice"], plan, step)
    assert waiting.status == "waiting"
    assert localnet.received == []
    [view] = gate.waiting()
    assert (view.plan_id, view.step_id, view.requester) == (plan, "s1", "alice")
    assert view.step == step
    assert view.decision.decision == "escalate"
    assert view.expires_at > gate.clock.now()

    done = await gate.approve(
        plan_id=plan, step_id="s1", approval=approval(people["risk-desk"], gate, plan, step)
    )
    assert done.orders[0].status == "filled"
    assert gate.waiting() == []
    # approving again, or sending the request again, sends nothing more
    again = approval(people["ann"], gate, plan, step)
    assert await refused(gate.approve(plan_id=plan, step_id="s1", approval=again)) == "NOT_WAITING"
    assert localnet.accepted_count() == 1
    view_order = ledger.order(client_order_id(plan, "s1"))
    assert view_order is not None
    assert view_order.status == "filled"
    resumed = await gate.resume(plan)
    assert [(r.step_id, r.status) for r in resumed] == [("s1", "sent")]


@pytest.mark.asyncio
async def test_typing_a_name_or_approving_yourself_approves_nothing(
    gate: ExecutionService,
    localnet: LocalExchange,
    journal: SqliteJournal,
    ledger: Ledger,
    people: People,
) -> None:
    plan = new_plan(ledger, "buy 0.2 BTC")
    step = order_step(quantity=BIG)
    await send(gate, people["ann"], plan, step)  # ann trades and approves: not her own
    # "risk-desk" typed as the approver, signed with ann's key
    typed = approval(people["ann"], gate, plan, step, requester="ann")
    typed = typed.model_copy(
        update={"claims": typed.claims.model_copy(update={"approver": "risk-desk"})}
    )
    cases = [
        (typed, "BAD_SIGNATURE"),
        (approval(people["ann"], gate, plan, step, requester="ann"), "SELF_APPROVAL"),
        (approval(people["carol"], gate, plan, step, requester="ann"), "NOT_AN_APPROVER"),
        (approval(people["bob"], gate, plan, step, requester="ann"), "NO_ROLE"),
        (approval(people["risk-desk"], gate, plan, step, requester="bob"), "CONTENT_MISMATCH"),
    ]
    for signed_approval, code in cases:
        got = await refused(gate.approve(plan_id=plan, step_id="s1", approval=signed_approval))
        assert got == code, signed_approval.claims.approver
    assert localnet.received == []
    assert [v.step_id for v in gate.waiting()] == ["s1"]  # still waiting for a real approver
    done = await gate.approve(
        plan_id=plan,
        step_id="s1",
        approval=approval(people["risk-desk"], gate, plan, step, requester="ann"),
    )
    assert done.orders[0].status == "filled"
    assert localnet.accepted_count() == 1
    assert gate_refusals(ledger, plan) == [c for _, c in cases]


@pytest.mark.asyncio
async def test_a_rejected_step_never_runs(
    gate: ExecutionService, localnet: LocalExchange, ledger: Ledger, people: People
) -> None:
    plan = new_plan(ledger, "buy 0.2 BTC")
    step = order_step(quantity=BIG)
    await send(gate, people["alice"], plan, step)
    no = approval(people["risk-desk"], gate, plan, step, outcome="reject")
    result = await gate.approve(plan_id=plan, step_id="s1", approval=no)
    assert result.status == "rejected"
    yes = approval(people["ann"], gate, plan, step)
    assert await refused(gate.approve(plan_id=plan, step_id="s1", approval=yes)) == "NOT_WAITING"
    assert localnet.received == []


@pytest.mark.asyncio
async def test_an_approval_given_with_the_request_runs_at_once(
    gate: ExecutionService, localnet: LocalExchange, ledger: Ledger, people: People
) -> None:
    plan = new_plan(ledger, "buy 0.2 BTC")
    step = order_step(quantity=BIG)
    second = approval(people["risk-desk"], gate, plan, step)
    result = await send(gate, people["alice"], plan, step, second=second)
    assert result.orders[0].status == "filled"
    assert localnet.accepted_count() == 1


# --------------------------------------------------------------------------- expiry
@pytest.mark.asyncio
async def test_signatures_expire_exactly_at_their_expiry(
    paper_gate: ExecutionService, clock: FakeClock, engine: PaperEngine, people: People
) -> None:
    step = order_step(quantity=MID)
    confirm = await honest(paper_gate, "p1", step)
    request = signed(
        people["alice"], paper_gate, "p1", step, confirm, validity=timedelta(minutes=5)
    )
    clock.advance(timedelta(minutes=5))  # now == expires_at: expired
    code = await refused(
        paper_gate.execute(plan_id="p1", step=step, decision=confirm, request=request)
    )
    assert code == "EXPIRED"
    # one microsecond before the expiry it is still good
    clock.advance(timedelta(minutes=1))
    confirm = await honest(paper_gate, "p2", step)
    fresh = signed(people["alice"], paper_gate, "p2", step, confirm, validity=timedelta(minutes=5))
    clock.advance(timedelta(minutes=5) - timedelta(microseconds=1))
    done = await paper_gate.execute(plan_id="p2", step=step, decision=confirm, request=fresh)
    assert done.orders[0].status == "filled"
    assert len(engine.trades("BTC/USDT")) == 1


@pytest.mark.asyncio
async def test_a_ten_year_signature_is_refused(
    paper_gate: ExecutionService, engine: PaperEngine, people: People
) -> None:
    """Attack: mint a long-lived approval. The policy's validity bounds every signature."""
    step = order_step(quantity=MID)
    confirm = await honest(paper_gate, "p1", step)
    request = signed(
        people["alice"], paper_gate, "p1", step, confirm, validity=timedelta(days=3650)
    )
    code = await refused(
        paper_gate.execute(plan_id="p1", step=step, decision=confirm, request=request)
    )
    assert code == "EXPIRED"
    assert engine.trades("BTC/USDT") == []


@pytest.mark.asyncio
async def test_a_waiting_step_expires_with_its_request(
    paper_gate: ExecutionService, clock: FakeClock, engine: PaperEngine, people: People
) -> None:
    step = order_step(quantity=BIG)
    assert (await send(paper_gate, people["alice"], "p1", step)).status == "waiting"
    clock.advance(timedelta(minutes=5))
    assert paper_gate.waiting() == []
    late = approval(people["risk-desk"], paper_gate, "p1", step)
    assert await refused(paper_gate.approve(plan_id="p1", step_id="s1", approval=late)) == "EXPIRED"
    assert engine.trades("BTC/USDT") == []


# --------------------------------------------------------------------------- the policy
@pytest.mark.asyncio
async def test_a_decision_on_another_policy_is_refused_naming_both(
    gate: ExecutionService, localnet: LocalExchange, ledger: Ledger, people: People
) -> None:
    """Attack: a lax policy file chosen by the trader."""
    plan = new_plan(ledger)
    step = order_step(quantity=BIG)
    lax = PolicyStamp(id="gate-test", version="1", hash="cd" * 32)
    decision = (await honest(gate, plan, step)).model_copy(
        update={"policy": lax, "decision": "allow"}
    )
    request = signed(people["alice"], gate, plan, step, decision)
    with pytest.raises(ApprovalRefused) as err:
        await gate.execute(plan_id=plan, step=step, decision=decision, request=request)
    assert err.value.code == "POLICY_MISMATCH"
    assert "cdcdcdcdcdcd" in err.value.message
    assert gate.expected_policy_hash[:12] in err.value.message
    assert localnet.received == []


@pytest.mark.asyncio
async def test_a_personal_file_only_tightens(
    gate: ExecutionService, localnet: LocalExchange, ledger: Ledger, people: People
) -> None:
    plan = new_plan(ledger)
    step = order_step()  # 675 USDT: allowed by the firm
    tighter = '[personal]\nowner = "alice"\n\n[[override]]\nrule = "value-confirm"\nlimit = "100"\n'
    [decision] = await gate.preview(plan, (step,), personal=tighter)
    assert decision.decision == "confirm"
    assert decision.policy.personal_hash is not None
    request = signed(people["alice"], gate, plan, step, decision)
    # the firm's decision (allow) with the personal file sent: the executor applies it
    firm = await honest(gate, plan, step)
    firm_request = signed(people["alice"], gate, plan, step, firm)
    code = await refused(
        gate.execute(plan_id=plan, step=step, decision=firm, request=firm_request, personal=tighter)
    )
    assert code == "POLICY_MISMATCH"
    looser = tighter.replace('"100"', '"5000"')
    code = await refused(
        gate.execute(plan_id=plan, step=step, decision=decision, request=request, personal=looser)
    )
    assert code == "PERSONAL_REFUSED"
    assert localnet.received == []
    done = await gate.execute(
        plan_id=plan, step=step, decision=decision, request=request, personal=tighter
    )
    assert done.orders[0].status == "filled"


@pytest.mark.asyncio
async def test_a_halt_written_while_the_prompt_waits_stops_the_next_order(
    gate: ExecutionService,
    localnet: LocalExchange,
    ledger: Ledger,
    policy_file: Path,
    people: People,
) -> None:
    """Attack: the executor kept the old policy; a changed file is now read before sending."""
    plan = new_plan(ledger)
    step = order_step()
    decision = await honest(gate, plan, step)
    request = signed(people["alice"], gate, plan, step, decision)
    policy_file.write_text(gate_policy(version='"2"', trading_state='"HALTED"'))
    code = await refused(gate.execute(plan_id=plan, step=step, decision=decision, request=request))
    assert code == "POLICY_MISMATCH"
    assert gate.policies.policy.trading_state == "HALTED"
    # decided again on the halted policy: denied
    assert await refused(send(gate, people["alice"], plan, step)) == "DENIED"
    assert localnet.received == []
    # the new version is in the ledger
    from ledger.tables import PolicyVersionRow

    with DbSession(ledger.engine) as db:
        versions = {r.version for r in db.exec(select(PolicyVersionRow)).all()}
    assert versions == {"1", "2"}


@pytest.mark.asyncio
async def test_a_policy_file_that_no_longer_loads_stops_every_send(
    gate: ExecutionService,
    localnet: LocalExchange,
    ledger: Ledger,
    policy_file: Path,
    people: People,
) -> None:
    plan = new_plan(ledger)
    step = order_step()
    decision = await honest(gate, plan, step)
    policy_file.write_text("[policy]\nid = 'broken'\n")
    request = signed(people["alice"], gate, plan, step, decision)
    code = await refused(gate.execute(plan_id=plan, step=step, decision=decision, request=request))
    assert code == "POLICY_MISMATCH"
    assert localnet.received == []


@pytest.mark.asyncio
async def test_a_tenfold_price_move_while_the_prompt_waits_is_refused(
    gate: ExecutionService, localnet: LocalExchange, ledger: Ledger, people: People
) -> None:
    """Attack: decided at ≈1,350 USDT, the price rises 10× before the answer."""
    plan = new_plan(ledger, "buy 0.02 BTC")
    step = order_step(quantity=MID)
    decision = await honest(gate, plan, step)
    assert decision.decision == "confirm"
    request = signed(people["alice"], gate, plan, step, decision)
    localnet.engine.set_price("BTC/USDT", D("675000"), SystemClock().now())
    code = await refused(gate.execute(plan_id=plan, step=step, decision=decision, request=request))
    assert code == "DECISION_MISMATCH"  # decided again at the new price: escalate
    assert localnet.received == []


@pytest.mark.asyncio
async def test_drift_since_the_decision_sends_the_step_back(
    gate: ExecutionService, localnet: LocalExchange, ledger: Ledger, people: People
) -> None:
    plan = new_plan(ledger, "buy 0.02 BTC")
    step = order_step(quantity=MID)
    decision = await honest(gate, plan, step)
    request = signed(people["alice"], gate, plan, step, decision)
    localnet.engine.set_price("BTC/USDT", D("68600"), SystemClock().now())  # +1.6 %
    code = await refused(gate.execute(plan_id=plan, step=step, decision=decision, request=request))
    assert code == "CONFIRM_AGAIN"
    assert localnet.received == []


# --------------------------------------------------------------------------- counters
@pytest.mark.asyncio
async def test_counters_come_from_what_the_executor_sent_not_the_clients_ledger(
    gate: ExecutionService,
    localnet: LocalExchange,
    ledger: Ledger,
    policy_file: Path,
    people: People,
) -> None:
    """Attack: another ledger starts the daily budget from zero."""
    policy_file.write_text(gate_policy(budget="1000"))
    first = new_plan(ledger)
    await send(gate, people["alice"], first, order_step())  # 675 USDT
    # a client whose ledger is empty decides with no history: allow
    plan = new_plan(ledger)
    step = order_step()
    account = await gate.executor.account()
    market = await gate.market()
    [claimed] = evaluate(
        (step,),
        policy=gate.policies.policy,
        account=account,
        market=market,
        counters=Counters(),
        now=gate.clock.now(),
        plan_id=plan,
    )
    assert claimed.decision == "allow"
    request = signed(people["alice"], gate, plan, step, claimed)
    code = await refused(gate.execute(plan_id=plan, step=step, decision=claimed, request=request))
    assert code == "DECISION_MISMATCH"  # the executor counts the 675 it sent: deny
    assert localnet.accepted_count() == 1


@pytest.mark.asyncio
async def test_concurrent_requests_cannot_race_the_daily_budget(
    gate: ExecutionService,
    localnet: LocalExchange,
    ledger: Ledger,
    policy_file: Path,
    people: People,
) -> None:
    """Attack: 8 runs decided at once under a deny-above-1,000 USDT budget."""
    policy_file.write_text(gate_policy(budget="1000"))
    step = order_step(quantity="0.002")  # 135 USDT each: 8 × 135 = 1,080
    plans = [new_plan(ledger) for _ in range(8)]
    decided = [await honest(gate, p, step) for p in plans]  # all decided before any send
    assert {d.decision for d in decided} == {"allow"}
    requests = [
        signed(people["alice"], gate, p, step, d) for p, d in zip(plans, decided, strict=False)
    ]
    results = await asyncio.gather(
        *(
            gate.execute(plan_id=p, step=step, decision=d, request=r)
            for p, d, r in zip(plans, decided, requests, strict=True)
        ),
        return_exceptions=True,
    )
    sent = [r for r in results if not isinstance(r, BaseException)]
    refusals = [r for r in results if isinstance(r, ApprovalRefused)]
    assert len(sent) == 7
    assert [r.code for r in refusals] == ["DECISION_MISMATCH"]
    assert localnet.accepted_count() == 7
    spent = sum((D(r.params["quantity"]) for r in localnet.orders_received()), start=D(0))
    assert spent == D("0.014")  # 7 × 0.002 BTC ≈ 945 USDT: under the 1,000 budget


# --------------------------------------------------------------------------- the rest
@pytest.mark.asyncio
async def test_insufficient_funds_is_clear_recorded_and_loses_nothing(
    paper_gate: ExecutionService,
    engine: PaperEngine,
    journal: SqliteJournal,
    people: People,
    policy_file: Path,
) -> None:
    policy_file.write_text(
        gate_policy(budget="1000000").replace('limit = "50000"', 'limit = "500000"')
    )
    balances = engine.balances()
    with pytest.raises(InsufficientFunds) as err:
        await send(
            paper_gate,
            people["alice"],
            "p1",
            order_step(quantity="2"),
            second=approval(people["risk-desk"], paper_gate, "p1", order_step(quantity="2")),
        )
    assert "free" in err.value.message
    assert err.value.hint
    assert engine.balances() == balances
    entry = journal.get("so-p1:s1")
    assert entry is not None
    assert entry.status == "rejected"
    ok = await send(paper_gate, people["alice"], "p1", order_step("s2"))
    assert ok.orders[0].status == "filled"


@pytest.mark.asyncio
async def test_cancel_step_cancels_the_matching_open_orders_and_needs_a_signature(
    gate: ExecutionService, journal: SqliteJournal, ledger: Ledger, people: People
) -> None:
    plan = new_plan(ledger)
    for sid, symbol, price in (("s1", "BTC/USDT", "60000"), ("s2", "ETH/USDT", "3000")):
        step = order_step(sid, symbol=symbol, order_type="limit", limit_price=price)
        await send(gate, people["alice"], plan, step)
    other = new_plan(ledger, "cancel my BTC orders")
    cancel = cancel_step(base="BTC")
    allow = await honest(gate, other, cancel)
    code = await refused(gate.execute(plan_id=other, step=cancel, decision=allow, request=None))
    assert code == "NO_SIGNATURE"
    result = await send(gate, people["alice"], other, cancel)
    assert [o.client_order_id for o in result.orders] == [client_order_id(plan, "s1")]
    assert result.orders[0].status == "canceled"
    view = ledger.order(client_order_id(plan, "s1"))
    assert view is not None
    assert view.status == "canceled"
    still = await gate.executor.open_orders()
    assert [o.client_order_id for o in still] == [client_order_id(plan, "s2")]


@pytest.mark.asyncio
async def test_reconcile_records_what_the_venue_says(
    paper_gate: ExecutionService,
    engine: PaperEngine,
    clock: FakeClock,
    journal: SqliteJournal,
    people: People,
) -> None:
    """Crash leftovers are looked up by client order id."""
    service = paper_gate
    # 1. written down, then the process died before sending: never placed
    lost = OrderRequest.from_resolved(order_step("s1"), "so-p9:s1")
    journal.record_intent(plan_id="p9", step_id="s1", venue="paper", request=lost, at=START)
    # 2. written down and sent, the process died before the reply: placed
    sent = OrderRequest.from_resolved(order_step("s2"), "so-p9:s2")
    journal.record_intent(plan_id="p9", step_id="s2", venue="paper", request=sent, at=START)
    engine.place(sent, clock.now())
    # 3. a resting order that filled while nobody watched
    rest = OrderRequest.from_resolved(
        order_step("s3", order_type="limit", limit_price="60000"), "so-p9:s3"
    )
    journal.record_intent(plan_id="p9", step_id="s3", venue="paper", request=rest, at=START)
    journal.record_state(engine.place(rest, clock.now()), at=START)
    engine.set_price("BTC/USDT", D("59000"), clock.now())

    first = {r.client_order_id: r.after for r in await service.start()}
    assert first == {"so-p9:s2": "filled", "so-p9:s3": "filled"}
    assert [e.client_order_id for e in journal.unfinished("paper")] == ["so-p9:s1"]
    clock.advance(timedelta(seconds=11))
    second = {r.client_order_id: r.after for r in await service.reconcile()}
    assert second == {"so-p9:s1": "not_found"}
    assert journal.unfinished("paper") == []
    again = await send(service, people["alice"], "p9", order_step("s2"))
    assert again.already_sent
    assert len(engine.trades()) == 2


@pytest.mark.asyncio
async def test_concurrent_requests_for_one_step_place_one_order(
    gate: ExecutionService, localnet: LocalExchange, ledger: Ledger, people: People
) -> None:
    plan = new_plan(ledger)
    step = order_step()
    decision = await honest(gate, plan, step)
    requests = [signed(people[who], gate, plan, step, decision) for who in ("alice", "bob", "ann")]
    results = await asyncio.gather(
        *(gate.execute(plan_id=plan, step=step, decision=decision, request=r) for r in requests)
    )
    assert sorted(r.already_sent for r in results) == [False, True, True]
    assert {r.orders[0].order_id for r in results} == {results[0].orders[0].order_id}
    assert localnet.accepted_count() == 1


@pytest.mark.asyncio
async def test_a_step_id_reused_for_other_content_is_refused(
    gate: ExecutionService, localnet: LocalExchange, ledger: Ledger, people: People
) -> None:
    plan = new_plan(ledger)
    await send(gate, people["alice"], plan, order_step())
    with pytest.raises(ExecutionError) as err:
        await send(gate, people["alice"], plan, order_step(side="sell"))
    assert "already sent with other content" in err.value.message
    assert localnet.accepted_count() == 1


@pytest.mark.asyncio
async def test_a_changed_identities_file_is_read_before_the_next_check(
    paper_gate: ExecutionService, engine: PaperEngine, people: People, tmp_path: Path
) -> None:
    from executors.approvals import Gatekeeper, NonceStore

    path = tmp_path / "people.toml"
    path.write_text(people["bob"].identity_line(["trader"]))
    paper_gate.gatekeeper = Gatekeeper(None, NonceStore(str(tmp_path / "n.sqlite")), str(path))
    step = order_step()
    assert await refused(send(paper_gate, people["alice"], "p1", step)) == "UNKNOWN_IDENTITY"
    path.write_text(people["alice"].identity_line(["trader"]))  # compliance adds alice
    done = await send(paper_gate, people["alice"], "p1", step)
    assert done.orders[0].status == "filled"
    path.write_text("not toml [")  # a broken file refuses everyone
    assert await refused(send(paper_gate, people["alice"], "p2", step)) == "NO_IDENTITIES"
    assert len(engine.trades("BTC/USDT")) == 1
    paper_gate.gatekeeper.close()


@pytest.mark.asyncio
async def test_a_signed_halt_stops_the_next_order_at_the_executor(
    paper_gate: ExecutionService, engine: PaperEngine, people: People, signoff_home: Path
) -> None:
    """signoff halt (compliance's signed trading-state log) is read before each decision."""
    from executors.trading_state import append_change
    from foundation.identity import identities_path

    compliance = SigningKey.generate("cora")
    signoff_home.mkdir(parents=True, exist_ok=True)
    Path(identities_path()).write_text(compliance.identity_line(["compliance"]))
    step = order_step()
    decision = await honest(paper_gate, "p1", step)
    request = signed(people["alice"], paper_gate, "p1", step, decision)
    append_change(
        state="HALTED", reason="test", by="cora", at=paper_gate.clock.now(), key=compliance
    )
    code = await refused(
        paper_gate.execute(plan_id="p1", step=step, decision=decision, request=request)
    )
    assert code == "DECISION_MISMATCH"  # decided again under the halt: deny
    assert engine.trades("BTC/USDT") == []
    assert await refused(send(paper_gate, people["alice"], "p2", step)) == "DENIED"
