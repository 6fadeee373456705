"""The gate in front of every executor: decisions, approval tokens, drift, journal, reconciliation.

:class:`ExecutionService` is the only caller of :meth:`Executor.submit` in
signoff. For each step it checks, itself, in this order:

1. the decision belongs to this step, and comes from the expected policy;
2. deny is refused; allow passes; confirm/escalate need a valid token (see
   :mod:`executors.approvals`: signature, key, binding to the content, expiry,
   second approver, not used before);
3. for a gated order, the price has not moved past the approval's drift limit
   (else ``CONFIRM_AGAIN``);
4. the step was not sent before: the client order id comes from the plan and
   step ids, and the journal remembers it; a step already sent is looked up,
   never sent twice.

Every refusal is written to the journal with its code. The order is written to
the journal before it is sent, and every state the venue reports after.
:meth:`ExecutionService.reconcile` (run on start) looks up every order the
journal has not seen finish.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Literal

from pydantic import Field

from executors.approvals import (
    ApprovableStep,
    ApprovalAuthority,
    ApprovalClaims,
    ApprovalRefused,
    ApprovalSettings,
    check_decision_matches,
    check_drift,
)
from executors.base import Executor, OrderRequest, OrderState
from executors.ids import client_order_id, run_id
from executors.journal import ExecutionJournal, ScheduleEntry
from executors.schedule_runs import next_run
from foundation.clock import Clock
from foundation.errors import ExchangeError, ExecutionError, OrderNotFound, OrderStateUnknown
from intent.plan import Frozen
from intent.resolved import ResolvedCancel, ResolvedOrder
from policy.decision import StepDecision


class ScheduleStatus(Frozen):
    """Where a recurring step stands."""

    client_order_id: str
    every: str
    count: int | None = None
    runs: int = Field(ge=0, description="runs sent or recorded so far")
    status: Literal["active", "finished", "canceled"]
    next_at: datetime | None = None


class ScheduleView(Frozen):
    """A recurring step and the orders of its runs so far."""

    schedule: ScheduleStatus
    runs: tuple[OrderState, ...] = ()


class StepResult(Frozen):
    """What executing one step did (for a recurring step: its runs so far)."""

    plan_id: str
    step_id: str
    kind: Literal["order", "cancel"]
    orders: tuple[OrderState, ...] = ()
    schedule: ScheduleStatus | None = None
    already_sent: bool = False


class ReconcileResult(Frozen):
    client_order_id: str
    before: str
    after: str


@dataclass(frozen=True)
class ApprovalIssued:
    token: str
    expires_at: datetime
    price_at_approval: Decimal | None


class ExecutionService:
    def __init__(
        self,
        executor: Executor,
        journal: ExecutionJournal,
        authority: ApprovalAuthority,
        *,
        clock: Clock,
        settings: ApprovalSettings | None = None,
        expected_policy_hash: str | None = None,
        settle: timedelta = timedelta(seconds=10),
    ) -> None:
        self.executor = executor
        self.journal = journal
        self.authority = authority
        self.clock = clock
        self.settings = settings or ApprovalSettings()
        self.expected_policy_hash = expected_policy_hash
        # an order the venue does not know is only declared never-placed once
        # its request can no longer arrive (the venue's receive window is over)
        self.settle = settle
        self._locks: dict[str, asyncio.Lock] = {}

    @property
    def venue(self) -> str:
        return self.executor.venue

    async def start(self) -> list[ReconcileResult]:
        await self.executor.start()
        return await self.reconcile()

    async def close(self) -> None:
        await self.executor.close()

    # ------------------------------------------------------------------ approvals
    async def issue_approval(
        self,
        *,
        plan_id: str,
        step: ApprovableStep,
        decision: StepDecision,
        requester: str,
        approver: str,
        validity: timedelta | None = None,
        drift_limit_pct: Decimal | None = None,
    ) -> ApprovalIssued:
        """A token for an approval a person gave; the price now is written into it.

        ``validity`` and ``drift_limit_pct`` (from the policy) may tighten the
        executor's own settings, never loosen them.
        """
        self._check_policy(decision)
        effective = ApprovalSettings(
            validity=min(validity or self.settings.validity, self.settings.validity),
            drift_limit_pct=min(
                self.settings.drift_limit_pct if drift_limit_pct is None else drift_limit_pct,
                self.settings.drift_limit_pct,
            ),
            second_approvers=self.settings.second_approvers,
        )
        price = await self._price_of(step)
        now = self.clock.now()
        token = self.authority.issue(
            plan_id=plan_id,
            step=step,
            decision=decision,
            requester=requester,
            approver=approver,
            now=now,
            settings=effective,
            price=price,
        )
        return ApprovalIssued(
            token=token, expires_at=now + effective.validity, price_at_approval=price
        )

    async def _price_of(self, step: ApprovableStep) -> Decimal | None:
        if not isinstance(step, ResolvedOrder):
            return None
        quote = (await self.executor.quotes([step.symbol])).get(step.symbol)
        return quote.last if quote else None

    def _check_policy(self, decision: StepDecision) -> None:
        if self.expected_policy_hash and decision.policy.hash != self.expected_policy_hash:
            raise ApprovalRefused(
                "POLICY_MISMATCH",
                f"the decision was made by policy {decision.policy.id} "
                f"{decision.policy.version} ({decision.policy.hash[:12]}), not the policy this "
                "executor enforces",
                hint="decide the plan again with the current policy",
            )

    # ------------------------------------------------------------------ execution
    async def execute(
        self,
        *,
        plan_id: str,
        step: ApprovableStep,
        decision: StepDecision,
        token: str | None = None,
    ) -> StepResult:
        """Carry out one step, if and only if it is allowed or validly approved."""
        now = self.clock.now()
        try:
            check_decision_matches(step, decision)
            self._check_policy(decision)
            claims = self.authority.verify(
                token,
                plan_id=plan_id,
                step=step,
                decision=decision,
                now=now,
                settings=self.settings,
            )
        except ApprovalRefused as refusal:
            self._record_refusal(plan_id, step.step_id, refusal)
            raise
        if isinstance(step, ResolvedCancel):
            if claims is not None:
                self._consume(claims, plan_id)
            return await self._cancel(plan_id, step)
        cid = client_order_id(plan_id, step.step_id)
        # one step at a time: a second request for the same step (a double click,
        # two approvals) waits here and then finds the first one in the journal
        # (a lock per step ever executed by this process: a few hundred bytes each)
        async with self._locks.setdefault(cid, asyncio.Lock()):
            return await self._execute_order(plan_id, step, cid, claims)

    async def _execute_order(
        self, plan_id: str, step: ResolvedOrder, cid: str, claims: ApprovalClaims | None
    ) -> StepResult:
        request = OrderRequest.from_resolved(step, cid)
        scheduled = self.journal.schedule(cid)
        earlier = scheduled.request if scheduled else None
        existing = self.journal.get(cid)
        if existing is not None:
            earlier = existing.request
        if earlier is not None and earlier != request:
            raise ExecutionError(
                f"step {step.step_id} of plan {plan_id} was already sent with other content "
                f"({earlier.side} {earlier.quantity} {earlier.symbol})",
                hint="a step is sent once; give a changed order a new step id or plan",
            )
        if scheduled is not None:
            return StepResult(
                plan_id=plan_id,
                step_id=step.step_id,
                kind="order",
                orders=tuple(self._runs(scheduled)),
                schedule=self._schedule_status(scheduled),
                already_sent=True,
            )
        if existing is not None:
            # sent before (a retry, a second click, a restart): report, never resend
            state = existing.state
            if not existing.finished:
                state = await self._refresh(existing.request)
            return StepResult(
                plan_id=plan_id,
                step_id=step.step_id,
                kind="order",
                orders=(state,) if state else (),
                already_sent=True,
            )
        if claims is not None:
            try:
                quote = (await self.executor.quotes([step.symbol])).get(step.symbol)
                check_drift(claims, quote.last if quote else None)
            except ApprovalRefused as refusal:
                self._record_refusal(plan_id, step.step_id, refusal)
                raise
            self._consume(claims, plan_id)
        if request.schedule is not None:
            return await self._start_schedule(plan_id, step.step_id, request)
        return StepResult(
            plan_id=plan_id,
            step_id=step.step_id,
            kind="order",
            orders=(await self._send(plan_id, step.step_id, request),),
        )

    # ------------------------------------------------------------------ schedules
    async def _start_schedule(
        self, plan_id: str, step_id: str, request: OrderRequest
    ) -> StepResult:
        """A recurring step: one approval covers its runs; the first runs now."""
        now = self.clock.now()
        self.journal.record_schedule(
            plan_id=plan_id, step_id=step_id, venue=self.venue, request=request, first_at=now
        )
        await self.run_due()
        entry = self.journal.schedule(request.client_order_id)
        assert entry is not None
        return StepResult(
            plan_id=plan_id,
            step_id=step_id,
            kind="order",
            orders=tuple(self._runs(entry)),
            schedule=self._schedule_status(entry),
        )

    def schedule_view(self, client_order_id: str) -> ScheduleView | None:
        """Where a recurring step stands and the orders of its runs; None if it is not one."""
        entry = self.journal.schedule(client_order_id)
        if entry is None:
            return None
        return ScheduleView(schedule=self._schedule_status(entry), runs=tuple(self._runs(entry)))

    def _runs(self, entry: ScheduleEntry) -> list[OrderState]:
        states: list[OrderState] = []
        run = 1
        while (found := self.journal.get(run_id(entry.client_order_id, run))) is not None:
            if found.state is not None:
                states.append(found.state)
            run += 1
        return states

    def _runs_done(self, entry: ScheduleEntry) -> int:
        run = 0
        while self.journal.get(run_id(entry.client_order_id, run + 1)) is not None:
            run += 1
        return run

    def _schedule_status(self, entry: ScheduleEntry) -> ScheduleStatus:
        schedule = entry.request.schedule
        assert schedule is not None
        runs = self._runs_done(entry)
        done = entry.status != "active"
        return ScheduleStatus(
            client_order_id=entry.client_order_id,
            every=schedule.every,
            count=schedule.count,
            runs=runs,
            status=entry.status,
            next_at=None if done else entry.first_at + schedule.interval * runs,
        )

    async def run_due(self) -> list[OrderState]:
        """Send every scheduled run whose time has come.

        A run is due at ``first_at + (n - 1) × interval``. Runs missed while the
        executor was not running are recorded as expired, not sent late in a
        burst: only the latest due run is sent.
        """
        now = self.clock.now()
        sent: list[OrderState] = []
        for entry in self.journal.active_schedules(self.venue):
            schedule = entry.request.schedule
            if schedule is None:  # pragma: no cover - only scheduled requests are recorded
                continue
            run = self._runs_done(entry) + 1
            due = entry.first_at + schedule.interval * (run - 1)
            while due <= now and (schedule.count is None or run <= schedule.count):
                # a quote-amount schedule spends its amount at this run's price
                request = await next_run(
                    self.executor, entry.request, run_id(entry.client_order_id, run)
                )
                if due + schedule.interval <= now:
                    sent.append(self._record_missed(entry, request, due))
                else:
                    try:
                        sent.append(await self._send(entry.plan_id, entry.step_id, request))
                    except ExchangeError:
                        # _send recorded it (rejected, or unknown for reconciliation);
                        # one failed run does not stop the schedule
                        failed = self.journal.get(request.client_order_id)
                        if failed is not None and failed.state is not None:
                            sent.append(failed.state)
                run += 1
                due = entry.first_at + schedule.interval * (run - 1)
            if schedule.count is not None and run > schedule.count:
                self.journal.end_schedule(entry.client_order_id, "finished", at=now)
        return sent

    def _record_missed(
        self, entry: ScheduleEntry, request: OrderRequest, due: datetime
    ) -> OrderState:
        now = self.clock.now()
        self.journal.record_intent(
            plan_id=entry.plan_id, step_id=entry.step_id, venue=self.venue, request=request, at=now
        )
        state = OrderState(
            client_order_id=request.client_order_id,
            symbol=request.symbol,
            side=request.side,
            order_type=request.order_type,
            status="expired",
            quantity=request.quantity,
            limit_price=request.limit_price,
            reason=f"run due at {due.isoformat()} was missed: the executor was not running",
            created_at=now,
            updated_at=now,
        )
        self.journal.record_state(state, at=now)
        return state

    def _consume(self, claims: ApprovalClaims, plan_id: str) -> None:
        try:
            self.authority.consume(claims, self.clock.now())
        except ApprovalRefused as refusal:
            self._record_refusal(plan_id, claims.step_id, refusal)
            raise

    def _record_refusal(self, plan_id: str, step_id: str, refusal: ApprovalRefused) -> None:
        self.journal.record_refusal(
            plan_id=plan_id,
            step_id=step_id,
            code=refusal.code,
            message=refusal.message,
            at=self.clock.now(),
        )

    async def _send(self, plan_id: str, step_id: str, request: OrderRequest) -> OrderState:
        self.journal.record_intent(
            plan_id=plan_id, step_id=step_id, venue=self.venue, request=request, at=self.clock.now()
        )
        try:
            state = await self.executor.submit(request)
        except OrderStateUnknown as exc:
            self.journal.record_unknown(request.client_order_id, exc.message, at=self.clock.now())
            raise
        except ExchangeError as exc:
            # refused by the venue: nothing was placed; the record keeps why
            self.journal.record_state(
                OrderState(
                    client_order_id=request.client_order_id,
                    symbol=request.symbol,
                    side=request.side,
                    order_type=request.order_type,
                    status="rejected",
                    quantity=request.quantity,
                    limit_price=request.limit_price,
                    trigger_price=request.trigger_price,
                    reason=exc.message,
                    created_at=self.clock.now(),
                    updated_at=self.clock.now(),
                ),
                at=self.clock.now(),
            )
            raise
        self.journal.record_state(state, at=self.clock.now())
        return state

    async def _refresh(self, request: OrderRequest) -> OrderState | None:
        state = await self.executor.lookup(request.symbol, request.client_order_id)
        if state is not None:
            self.journal.record_state(state, at=self.clock.now())
        return state

    async def _cancel(self, plan_id: str, step: ResolvedCancel) -> StepResult:
        targets = [
            o
            for o in await self.executor.open_orders()
            if (step.base is None or o.symbol.split("/")[0] == step.base)
            and (step.side is None or o.side == step.side)
            and (
                not step.order_ids
                or o.order_id in step.order_ids
                or o.client_order_id in step.order_ids
            )
        ]
        canceled: list[OrderState] = []
        for entry in self.journal.active_schedules(self.venue):
            req = entry.request
            if (
                (step.base is None or req.symbol.split("/")[0] == step.base)
                and (step.side is None or req.side == step.side)
                and (not step.order_ids or req.client_order_id in step.order_ids)
            ):
                self.journal.end_schedule(req.client_order_id, "canceled", at=self.clock.now())
                canceled.append(
                    OrderState(
                        client_order_id=req.client_order_id,
                        symbol=req.symbol,
                        side=req.side,
                        order_type=req.order_type,
                        status="canceled",
                        quantity=req.quantity,
                        limit_price=req.limit_price,
                        reason="schedule stopped: no further runs",
                        updated_at=self.clock.now(),
                    )
                )
        for order in targets:
            try:
                state = await self.executor.cancel(
                    order.symbol, order_id=order.order_id, client_order_id=order.client_order_id
                )
            except OrderNotFound:
                # filled or canceled meanwhile: its own state says which
                found = await self.executor.lookup(order.symbol, order.client_order_id)
                if found is None:
                    continue
                state = found
            self.journal.record_state(state, at=self.clock.now())
            canceled.append(state)
        return StepResult(
            plan_id=plan_id, step_id=step.step_id, kind="cancel", orders=tuple(canceled)
        )

    # ------------------------------------------------------------------ recovery
    async def reconcile(self) -> list[ReconcileResult]:
        """Look up every order the journal has not seen finish, and record what the venue says."""
        results: list[ReconcileResult] = []
        for entry in self.journal.unfinished(self.venue):
            request = entry.request
            try:
                state = await self.executor.lookup(request.symbol, entry.client_order_id)
            except ExchangeError:
                continue  # the venue cannot answer now; the next reconciliation will ask again
            now = self.clock.now()
            if state is None:
                if now - entry.updated_at < self.settle:
                    continue  # may still arrive; decided at the next reconciliation
                state = OrderState(
                    client_order_id=entry.client_order_id,
                    symbol=request.symbol,
                    side=request.side,
                    order_type=request.order_type,
                    status="not_found",
                    quantity=request.quantity,
                    limit_price=request.limit_price,
                    reason="the venue has no order with this client order id: it was never placed",
                    created_at=entry.created_at,
                    updated_at=now,
                )
            self.journal.record_state(state, at=now)
            if state.status != entry.status:
                results.append(
                    ReconcileResult(
                        client_order_id=entry.client_order_id,
                        before=entry.status,
                        after=state.status,
                    )
                )
        return results
