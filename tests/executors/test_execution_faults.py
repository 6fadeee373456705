"""Faults between the executor and the exchange: lost replies, slow requests, unknown outcomes.

Each test counts what the local exchange actually accepted: whatever goes
wrong on the way, an approved step becomes exactly one order (or none, with
the journal saying why), never two.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
import pytest_asyncio

from executors.approvals import Gatekeeper, NonceStore
from executors.ccxt_exec import CcxtExecutor
from executors.journal import SqliteJournal
from executors.localnet.server import Fault, LocalExchange
from executors.service import ExecutionService, PolicySource
from executors.testing import order_step
from foundation.clock import SystemClock
from foundation.errors import OrderStateUnknown
from foundation.identity import IdentityRegistry, SigningKey
from tests.executors.gatekit import send

ORDER = "/api/v3/order"
ALICE = SigningKey.generate("alice")


@pytest_asyncio.fixture
async def gate(
    ccxt_local: CcxtExecutor, journal: SqliteJournal, policy_file: Path, tmp_path: Path
) -> AsyncIterator[ExecutionService]:
    """The gate without a ledger (any plan id), alice its only trader."""
    registry = IdentityRegistry.from_bytes(
        ALICE.identity_line(["trader"]).encode(), source="identities"
    )
    keeper = Gatekeeper(registry, NonceStore(str(tmp_path / "nonces.sqlite")))
    yield ExecutionService(
        ccxt_local,
        journal,
        keeper,
        clock=SystemClock(),
        policy=PolicySource.load(str(policy_file)),
    )
    keeper.close()


@pytest.mark.asyncio
async def test_reply_lost_after_the_exchange_accepted(
    gate: ExecutionService, localnet: LocalExchange, journal: SqliteJournal
) -> None:
    localnet.inject(Fault(kind="drop_reply", path=ORDER))
    result = await send(gate, ALICE, "p1", order_step())
    assert result.orders[0].status == "filled"
    assert result.orders[0].client_order_id == "so-p1:s1"
    assert localnet.accepted_count() == 1
    assert len(localnet.orders_received()) == 1  # found by lookup: never sent twice
    entry = journal.get("so-p1:s1")
    assert entry is not None
    assert entry.status == "filled"


@pytest.mark.asyncio
async def test_slow_reply_past_the_client_timeout(
    gate: ExecutionService, localnet: LocalExchange
) -> None:
    localnet.inject(Fault(kind="delay_reply", path=ORDER, seconds=1.5))
    result = await send(gate, ALICE, "p1", order_step())
    assert result.orders[0].status == "filled"
    assert localnet.accepted_count() == 1


@pytest.mark.slow
@pytest.mark.asyncio
async def test_request_stuck_until_after_its_recv_window(
    gate: ExecutionService, localnet: LocalExchange
) -> None:
    # the request reaches the exchange only after the client gave up and resent it:
    # the exchange refuses the late original (recvWindow), so one order remains
    localnet.inject(Fault(kind="delay", path=ORDER, seconds=1.2))
    result = await send(gate, ALICE, "p1", order_step())
    assert result.orders[0].status == "filled"
    sent = localnet.orders_received()
    assert len(sent) == 1  # the resend; the late original is still on its way
    await asyncio.sleep(1.0)  # let the stuck original arrive (it is refused)
    sent = localnet.orders_received()
    assert len(sent) == 2
    assert localnet.accepted_count() == 1
    assert [r.params["newClientOrderId"] for r in sent] == ["so-p1:s1", "so-p1:s1"]
    assert [(r.authenticated, r.accepted) for r in sent] == [(True, True), (False, False)]


@pytest.mark.asyncio
async def test_status_unknown_error_is_looked_up_then_resent(
    gate: ExecutionService, localnet: LocalExchange
) -> None:
    localnet.inject(
        Fault(
            kind="error",
            path=ORDER,
            code=-1007,
            msg="Timeout waiting for response from backend server. Send status unknown; "
            "execution status unknown.",
        )
    )
    result = await send(gate, ALICE, "p1", order_step())
    assert result.orders[0].status == "filled"
    assert localnet.accepted_count() == 1
    assert len(localnet.orders_received()) == 2


@pytest.mark.asyncio
async def test_exchange_gone_after_accepting_leaves_an_unknown_then_reconciled(
    gate: ExecutionService, localnet: LocalExchange, journal: SqliteJournal
) -> None:
    localnet.inject(Fault(kind="drop_reply", path=ORDER))
    localnet.inject(Fault(kind="error", method="GET", path=ORDER, status=0, times=2))
    with pytest.raises(OrderStateUnknown) as err:
        await send(gate, ALICE, "p1", order_step())
    assert "reconciliation" in (err.value.hint or "")
    entry = journal.get("so-p1:s1")
    assert entry is not None
    assert entry.status == "unknown"
    # the exchange answers again: reconciliation records the order's true state
    results = await gate.reconcile()
    assert [(r.client_order_id, r.after) for r in results] == [("so-p1:s1", "filled")]
    assert localnet.accepted_count() == 1
    # and executing the step again reports the order instead of placing another
    again = await send(gate, ALICE, "p1", order_step())
    assert again.already_sent
    assert localnet.accepted_count() == 1


@pytest.mark.slow
@pytest.mark.asyncio
async def test_every_try_lost_is_unknown_and_never_duplicated(
    gate: ExecutionService, localnet: LocalExchange, journal: SqliteJournal
) -> None:
    # the exchange never handles the order and never says so: three tries, then give up
    localnet.inject(Fault(kind="error", path=ORDER, status=0, times=3))
    with pytest.raises(OrderStateUnknown):
        await send(gate, ALICE, "p1", order_step())
    assert localnet.accepted_count() == 0
    gate.settle = timedelta(0)
    results = await gate.reconcile()
    assert [(r.client_order_id, r.after) for r in results] == [("so-p1:s1", "not_found")]
    assert journal.unfinished(gate.venue) == []
