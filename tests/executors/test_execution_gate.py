"""The gate: only allowed or validly approved steps reach the exchange, each once, all recorded."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from decimal import Decimal

import pytest

from executors.approvals import ApprovalAuthority, ApprovalRefused
from executors.base import OrderRequest
from executors.ids import client_order_id
from executors.journal import SqliteJournal
from executors.localnet.server import LocalExchange
from executors.paper.engine import PaperEngine
from executors.paper.executor import PaperExecutor
from executors.service import ExecutionService
from executors.testing import START, cancel_step, decision, order_step
from foundation.clock import FakeClock, SystemClock
from foundation.errors import ExecutionError, InsufficientFunds
from policy.decision import PolicyStamp

D = Decimal


def codes(journal: SqliteJournal) -> list[str]:
    return [r.code for r in journal.refusals()]


@pytest.mark.asyncio
async def test_allowed_step_is_sent_once_and_recorded(
    gate: ExecutionService, localnet: LocalExchange, journal: SqliteJournal
) -> None:
    result = await gate.execute(plan_id="p1", step=order_step(), decision=decision("s1", "allow"))
    state = result.orders[0]
    assert state.status == "filled"
    assert state.client_order_id == client_order_id("p1", "s1") == "so-p1:s1"
    entry = journal.get("so-p1:s1")
    assert entry is not None
    assert entry.status == "filled"
    assert entry.plan_id == "p1"
    assert [f.trade_id for f in journal.fills()] == [state.fills[0].trade_id]
    # the same step again (a retry, a double click): reported, not sent again
    again = await gate.execute(plan_id="p1", step=order_step(), decision=decision("s1", "allow"))
    assert again.already_sent
    assert again.orders[0].order_id == state.order_id
    assert localnet.accepted_count() == 1


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("verdict", "code"), [("deny", "DENIED"), ("confirm", "NO_TOKEN"), ("escalate", "NO_TOKEN")]
)
async def test_refused_steps_never_reach_the_exchange(
    gate: ExecutionService,
    localnet: LocalExchange,
    journal: SqliteJournal,
    verdict: str,
    code: str,
) -> None:
    with pytest.raises(ApprovalRefused) as err:
        await gate.execute(plan_id="p1", step=order_step(), decision=decision("s1", verdict))  # type: ignore[arg-type]
    assert err.value.code == code
    assert codes(journal) == [code]
    assert journal.refusals()[0].step_id == "s1"
    assert localnet.received == []
    assert journal.get("so-p1:s1") is None


@pytest.mark.asyncio
async def test_confirmed_step_runs_with_its_token_once(
    gate: ExecutionService, localnet: LocalExchange, journal: SqliteJournal
) -> None:
    confirm = decision("s1", "confirm")
    issued = await gate.issue_approval(
        plan_id="p1", step=order_step(), decision=confirm, requester="ann", approver="ann"
    )
    assert issued.price_at_approval == D("67500")
    result = await gate.execute(
        plan_id="p1", step=order_step(), decision=confirm, token=issued.token
    )
    assert result.orders[0].status == "filled"
    with pytest.raises(ApprovalRefused) as err:
        await gate.execute(plan_id="p1", step=order_step(), decision=confirm, token=issued.token)
    assert err.value.code == "REPLAYED"
    assert localnet.accepted_count() == 1
    assert codes(journal) == ["REPLAYED"]


@pytest.mark.asyncio
async def test_escalated_step_needs_a_second_person(
    gate: ExecutionService, localnet: LocalExchange
) -> None:
    escalate = decision("s1", "escalate")
    with pytest.raises(ApprovalRefused) as err:
        await gate.issue_approval(
            plan_id="p1", step=order_step(), decision=escalate, requester="ann", approver="Ann"
        )
    assert err.value.code == "SELF_APPROVAL"
    issued = await gate.issue_approval(
        plan_id="p1", step=order_step(), decision=escalate, requester="ann", approver="bob"
    )
    result = await gate.execute(
        plan_id="p1", step=order_step(), decision=escalate, token=issued.token
    )
    assert result.orders[0].status == "filled"
    assert localnet.accepted_count() == 1


@pytest.mark.asyncio
async def test_token_for_a_smaller_step_does_not_cover_a_bigger_one(
    gate: ExecutionService, localnet: LocalExchange, journal: SqliteJournal
) -> None:
    confirm = decision("s1", "confirm")
    issued = await gate.issue_approval(
        plan_id="p1",
        step=order_step(quantity="0.01"),
        decision=confirm,
        requester="a",
        approver="a",
    )
    with pytest.raises(ApprovalRefused) as err:
        await gate.execute(
            plan_id="p1", step=order_step(quantity="0.2"), decision=confirm, token=issued.token
        )
    assert err.value.code == "CONTENT_MISMATCH"
    assert localnet.received == []
    assert codes(journal) == ["CONTENT_MISMATCH"]


@pytest.mark.asyncio
async def test_price_drift_sends_the_step_back_for_confirmation(
    gate: ExecutionService, localnet: LocalExchange, journal: SqliteJournal
) -> None:
    confirm = decision("s1", "confirm")
    first = await gate.issue_approval(
        plan_id="p1", step=order_step(), decision=confirm, requester="a", approver="a"
    )
    localnet.engine.set_price("BTC/USDT", D("68500"), SystemClock().now())  # +1.48 %
    with pytest.raises(ApprovalRefused) as err:
        await gate.execute(plan_id="p1", step=order_step(), decision=confirm, token=first.token)
    assert err.value.code == "CONFIRM_AGAIN"
    assert "68500" in err.value.message
    assert localnet.received == []
    # confirmed again at the new price, it goes through
    second = await gate.issue_approval(
        plan_id="p1", step=order_step(), decision=confirm, requester="a", approver="a"
    )
    assert second.price_at_approval == D("68500")
    result = await gate.execute(
        plan_id="p1", step=order_step(), decision=confirm, token=second.token
    )
    assert result.orders[0].status == "filled"
    assert codes(journal) == ["CONFIRM_AGAIN"]


@pytest.mark.asyncio
async def test_decisions_from_another_policy_are_refused(
    ccxt_local: object,
    journal: SqliteJournal,
    authority: ApprovalAuthority,
    localnet: LocalExchange,
) -> None:
    service = ExecutionService(
        ccxt_local,  # type: ignore[arg-type]
        journal,
        authority,
        clock=SystemClock(),
        expected_policy_hash="ef" * 32,
    )
    with pytest.raises(ApprovalRefused) as err:
        await service.execute(plan_id="p1", step=order_step(), decision=decision("s1", "allow"))
    assert err.value.code == "POLICY_MISMATCH"
    stamp = PolicyStamp(id="firm", version="4", hash="ef" * 32)
    ok = await service.execute(
        plan_id="p1", step=order_step(), decision=decision("s1", "allow", policy=stamp)
    )
    assert ok.orders[0].status == "filled"
    assert localnet.accepted_count() == 1


@pytest.mark.asyncio
async def test_insufficient_funds_is_clear_recorded_and_loses_nothing(
    gate: ExecutionService, localnet: LocalExchange, journal: SqliteJournal
) -> None:
    balances = localnet.engine.balances()
    with pytest.raises(InsufficientFunds) as err:
        await gate.execute(
            plan_id="p1", step=order_step(quantity="2"), decision=decision("s1", "allow")
        )
    assert "not enough balance" in err.value.message
    assert err.value.hint
    assert localnet.engine.balances() == balances
    entry = journal.get("so-p1:s1")
    assert entry is not None
    assert entry.status == "rejected"
    assert entry.reason is not None
    assert "not enough balance" in entry.reason
    # the rest of the plan still runs
    ok = await gate.execute(plan_id="p1", step=order_step("s2"), decision=decision("s2", "allow"))
    assert ok.orders[0].status == "filled"


@pytest.mark.asyncio
async def test_cancel_step_cancels_the_matching_open_orders(
    gate: ExecutionService, journal: SqliteJournal
) -> None:
    for sid, symbol, price in (("s1", "BTC/USDT", "60000"), ("s2", "ETH/USDT", "3000")):
        await gate.execute(
            plan_id="p1",
            step=order_step(sid, symbol=symbol, order_type="limit", limit_price=price),
            decision=decision(sid, "allow"),
        )
    result = await gate.execute(
        plan_id="p2", step=cancel_step(base="BTC"), decision=decision("c1", "allow")
    )
    assert [o.client_order_id for o in result.orders] == ["so-p1:s1"]
    assert result.orders[0].status == "canceled"
    entry = journal.get("so-p1:s1")
    assert entry is not None
    assert entry.status == "canceled"
    still = await gate.executor.open_orders()
    assert [o.client_order_id for o in still] == ["so-p1:s2"]


@pytest.mark.asyncio
async def test_gated_cancel_needs_its_token_too(gate: ExecutionService) -> None:
    with pytest.raises(ApprovalRefused) as err:
        await gate.execute(plan_id="p", step=cancel_step(), decision=decision("c1", "confirm"))
    assert err.value.code == "NO_TOKEN"


@pytest.mark.asyncio
async def test_approval_settings_can_only_be_tightened(gate: ExecutionService) -> None:
    confirm = decision("s1", "confirm")
    long = await gate.issue_approval(
        plan_id="p",
        step=order_step(),
        decision=confirm,
        requester="a",
        approver="a",
        validity=timedelta(days=30),
        drift_limit_pct=D("50"),
    )
    claims = gate.authority.read(long.token)
    assert claims.expires_at - claims.issued_at == gate.settings.validity
    assert claims.drift_limit_pct == gate.settings.drift_limit_pct
    short = await gate.issue_approval(
        plan_id="p",
        step=order_step(),
        decision=confirm,
        requester="a",
        approver="a",
        validity=timedelta(seconds=30),
        drift_limit_pct=D("0.2"),
    )
    claims = gate.authority.read(short.token)
    assert claims.expires_at - claims.issued_at == timedelta(seconds=30)
    assert claims.drift_limit_pct == D("0.2")


# --------------------------------------------------------------------------- reconciliation
@pytest.mark.asyncio
async def test_reconcile_records_what_the_venue_says(
    engine: PaperEngine,
    clock: FakeClock,
    journal: SqliteJournal,
    authority: ApprovalAuthority,
) -> None:
    """The same gate over the paper engine: crash leftovers are looked up by client order id."""
    executor = PaperExecutor(engine, clock)
    service = ExecutionService(executor, journal, authority, clock=clock)
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

    # right after the crash, the lost one may still be in flight: left for later
    first = {r.client_order_id: r.after for r in await service.start()}
    assert first == {"so-p9:s2": "filled", "so-p9:s3": "filled"}
    assert [e.client_order_id for e in journal.unfinished("paper")] == ["so-p9:s1"]
    clock.advance(timedelta(seconds=11))
    second = {r.client_order_id: r.after for r in await service.reconcile()}
    assert second == {"so-p9:s1": "not_found"}
    assert journal.unfinished("paper") == []
    # a restart does not send anything again: the journal knows s2
    again = await service.execute(
        plan_id="p9", step=order_step("s2"), decision=decision("s2", "allow")
    )
    assert again.already_sent
    assert len(engine.trades()) == 2


@pytest.mark.asyncio
async def test_concurrent_requests_for_one_step_place_one_order(
    gate: ExecutionService, localnet: LocalExchange
) -> None:
    # a double click, with two approvals given for the same step
    confirm = decision("s1", "confirm")
    tokens = [
        (
            await gate.issue_approval(
                plan_id="p1", step=order_step(), decision=confirm, requester="a", approver=who
            )
        ).token
        for who in ("a", "b")
    ]
    results = await asyncio.gather(
        *(gate.execute(plan_id="p1", step=order_step(), decision=confirm, token=t) for t in tokens),
        gate.execute(plan_id="p1", step=order_step(), decision=decision("s1", "allow")),
    )
    assert sorted(r.already_sent for r in results) == [False, True, True]
    assert {r.orders[0].order_id for r in results} == {results[0].orders[0].order_id}
    assert localnet.accepted_count() == 1


@pytest.mark.asyncio
async def test_a_step_id_reused_for_other_content_is_refused(
    gate: ExecutionService, localnet: LocalExchange
) -> None:
    await gate.execute(plan_id="p1", step=order_step(), decision=decision("s1", "allow"))
    with pytest.raises(ExecutionError) as err:
        await gate.execute(
            plan_id="p1", step=order_step(side="sell"), decision=decision("s1", "allow")
        )
    assert "already sent with other content" in err.value.message
    assert localnet.accepted_count() == 1
