"""The executor's service in this process, with the same calls as :class:`ExecutorClient`.

A paper-trading session runs on a simulated clock as fast as it can: a separate
executor process, reading the real time, cannot follow it. This adapter gives the
session service (:class:`signoff.session.Session`) the very same gate, the
:class:`executors.service.ExecutionService` that ``signoff executor`` runs,
without the socket: every step is still decided again, signatures checked, sent
once and recorded, by the service; only the transport is gone. It is for
rehearsals and tests, where the person running it owns the whole machine anyway;
trading against an exchange always goes through the executor process.

The service's coroutines run on one event loop owned by this adapter, driven
from synchronous callers (the session service is synchronous, like the CLI).
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Coroutine, Sequence
from datetime import datetime
from typing import Any, TypeVar

from executors.approvals import SignedApproval, SignedRequest
from executors.base import Fill, OrderState
from executors.process.wire import Countersigned, Health, PolicyInfo
from executors.service import (
    ExecutionService,
    ReconcileResult,
    ScheduleView,
    StepResult,
    WaitingView,
)
from intent.market import AccountSnapshot, MarketRules, Quote
from intent.resolved import ResolvedCancel, ResolvedOrder, ResolvedStep
from policy.counters import Counters
from policy.decision import StepDecision

T = TypeVar("T")


class InProcessExecutor:
    """:class:`ExecutorClient`'s calls, answered by an execution service in this process."""

    process = None

    def __init__(self, service: ExecutionService, *, identities: str | None = None) -> None:
        self.service = service
        self.identities = identities
        self.loop = asyncio.new_event_loop()
        self.started_at = service.clock.now()
        self._closed = False

    def run(self, work: Coroutine[Any, Any, T]) -> T:
        return self.loop.run_until_complete(work)

    def start(self) -> list[ReconcileResult]:
        return self.run(self.service.start())

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        try:
            self.run(self.service.close())
        finally:
            self.loop.close()

    def __enter__(self) -> InProcessExecutor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ the client's calls
    def health(self) -> Health:
        ledger = self.service.ledger
        return Health(
            venue=self.service.venue,
            pid=os.getpid(),
            started_at=self.started_at,
            policy_hash=self.service.expected_policy_hash,
            ledger=ledger.where if ledger is not None else None,
            identities=self.identities,
        )

    def market_rules(self) -> dict[str, MarketRules]:
        return self.run(self.service.executor.market_rules())

    def quotes(self, symbols: Sequence[str]) -> dict[str, Quote]:
        return self.run(self.service.executor.quotes(list(symbols)))

    def account(self) -> AccountSnapshot:
        return self.run(self.service.executor.account())

    def policy(self) -> PolicyInfo:
        policy = self.service.current_policy()
        return PolicyInfo(
            id=policy.id,
            version=policy.version,
            hash=policy.hash,
            source=self.service.policies.path,
            text=self.service.policies.text,
        )

    def counters(self) -> Counters:
        return self.service.counters(self.service.current_policy(), self.service.clock.now())

    def execute(
        self,
        *,
        plan_id: str,
        step: ResolvedOrder | ResolvedCancel,
        decision: StepDecision,
        request: SignedRequest | None,
        plan_steps: Sequence[ResolvedStep] = (),
        personal: str | None = None,
        approval: SignedApproval | None = None,
    ) -> StepResult:
        return self.run(
            self.service.execute(
                plan_id=plan_id,
                step=step,
                decision=decision,
                request=request,
                plan_steps=tuple(plan_steps),
                personal=personal,
                approval=approval,
                actor="in-process",
            )
        )

    def waiting(self, plan_id: str | None = None, *, everything: bool = False) -> list[WaitingView]:
        return self.service.waiting(plan_id, everything=everything)

    def approve(self, *, plan_id: str, step_id: str, approval: SignedApproval) -> StepResult:
        return self.run(
            self.service.approve(
                plan_id=plan_id, step_id=step_id, approval=approval, actor="in-process"
            )
        )

    def resume(self, plan_id: str) -> list[StepResult]:
        return self.run(self.service.resume(plan_id))

    def open_orders(self, symbol: str | None = None) -> list[OrderState]:
        return self.run(self.service.executor.open_orders(symbol))

    def order(self, symbol: str, client_order_id: str) -> OrderState | None:
        return self.run(self.service.executor.lookup(symbol, client_order_id))

    def schedule(self, client_order_id: str) -> ScheduleView | None:
        return self.service.schedule_view(client_order_id)

    def fills(self, symbol: str, since: datetime | None = None) -> list[Fill]:
        return self.run(self.service.executor.fills(symbol, since))

    def reconcile(self) -> list[ReconcileResult]:
        return self.run(self.service.reconcile())

    @property
    def closed(self) -> bool:
        return self._closed

    def countersign(self) -> Countersigned:
        """Sign the audit head when the service's ledger signs; a ledger without a key: nothing."""
        ledger = self.service.ledger
        if ledger is None or ledger.head_signer is None:
            return Countersigned()
        made = ledger.countersign()
        return Countersigned() if made is None else Countersigned(sequence=made.seq, hash=made.hash)

    def run_due(self) -> list[OrderState]:
        """Send every scheduled run whose time has come on the service's clock."""
        return self.run(self.service.run_due())

    def shutdown(self, *, wait: float = 10.0) -> None:
        self.close()
