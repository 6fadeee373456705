"""The TUI's one door to the session: every call into :class:`signoff.session.Session` is here.

The screens run these methods in thread workers (``@work(thread=True)``) and get back
the plain data of :mod:`tui.views`; nothing else in ``tui/`` imports the session, the
ledger or the executor. When the session API changes, this file changes.

Calls are serialised with a lock (the session holds one ledger and one executor
connection); a slow executor makes a worker wait, never the screen.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from foundation.clock import Clock, SystemClock
from foundation.errors import ApprovalError, SignoffError
from intent.describe import fmt_number
from tui import i18n
from tui.views import (
    Activity,
    Approved,
    FillLine,
    Holding,
    OrderLine,
    Outcome,
    Pending,
    PlanView,
    PolicyText,
    Portfolio,
    Status,
    StepRow,
    StepState,
)

# the domain's models (pydantic) are imported where they are used, so that the first
# paint does not wait for them
if TYPE_CHECKING:
    from rich.console import RenderableType

    from foundation.identity import SigningKey
    from intent.resolved import ResolvedStep
    from policy.decision import StepDecision
    from signoff.session import Approval, Proposal, Session
    from signoff.session import Outcome as SessionOutcome

# the executor answers in milliseconds; slower than this is worth saying
SLOW_SECONDS = 1.0
SPARK_POINTS = 24
# the request the cancel-all key sends through the same session path as any request
CANCEL_ALL = "cancel all my orders"


@dataclass(frozen=True)
class Options:
    """How to open the session (``signoff`` with no arguments: all defaults, offline)."""

    exchange: str = "local"
    policy_path: str | None = None
    personal_path: str | None = None
    db_url: str | None = None
    actor: str | None = None
    executor_args: tuple[str, ...] = ()
    # load (or, on the offline first run, create) the person's signing key
    local_identity: bool = True
    key: SigningKey | None = None
    # a paper session's clock as the status bar shows it (None: the wall clock)
    clock_label: Callable[[], str] | None = None


@dataclass
class _PlanState:
    proposal: Proposal
    view: PlanView
    approvals: dict[str, Approval] = field(default_factory=dict)
    rejected: set[str] = field(default_factory=set)
    submitted: bool = False
    asked: set[str] = field(default_factory=set)  # escalated steps sent to wait at the executor
    settled: set[str] = field(default_factory=set)  # of those, approved or rejected since
    # why the plan must be decided again before anything more of it is confirmed (the
    # executor found the price moved past the policy's drift limit since the decision)
    redecide: str = ""


class Service:
    """The session, as the TUI uses it. Thread-safe; every method may block."""

    def __init__(
        self,
        options: Options | None = None,
        *,
        session: Session | None = None,
        clock: Clock | None = None,
        opener: Callable[[Options], Session] | None = None,
    ) -> None:
        self.options = options or Options()
        self.clock: Clock = clock or (session.clock if session is not None else SystemClock())
        self._session = session
        self._opener = opener or _open_session
        self._lock = threading.RLock()
        self._plans: dict[str, _PlanState] = {}
        self._prices: dict[str, deque[Decimal]] = {}
        self._opening_value: Decimal | None = None
        self._role = "trader"
        self._health: Status | None = None
        self._passphrase: bytes | None = None
        self.slow_seconds = SLOW_SECONDS
        self.key: SigningKey | None = None
        self._closed = False

    # ------------------------------------------------------------------ lifecycle
    @property
    def started(self) -> bool:
        return self._session is not None

    def start(self) -> list[str]:
        """Open the session (starting the executor when needed); reconcile after a restart."""
        with self._lock:
            if self._closed:
                # a start worker that outlived the screen: a session opened now would
                # never be closed (its executor connection left to the garbage collector)
                raise SignoffError("the terminal UI has closed its session")
            if self._session is None:
                options = self.options
                if options.local_identity and options.key is None:
                    self.key = _signing_key(options.actor, self._passphrase)
                    options = replace(options, key=self.key)
                self._session = self._opener(options)
            self.key = self._session.key or self.key
            self._role = _role_of(self._session.actor) or self._role
            return self._session.reconcile()

    def unlock(self, passphrase: str) -> None:
        """The passphrase of the person's key, for the next :meth:`start`."""
        self._passphrase = passphrase.encode("utf-8")

    @property
    def session(self) -> Session:
        if self._session is None:
            raise SignoffError("the session has not started", hint="wait for the executor")
        return self._session

    def close(self, *, stop_executor: bool = False) -> None:
        with self._lock:
            self._closed = True
            if self._session is None:
                return
            if stop_executor:
                self._session.executor.shutdown()
            self._session.close()
            self._session = None

    def status(self) -> Status:
        """Identity, account, venue, policy, trading state and the executor's health."""
        session = self.session
        stamp = session.policy.stamp
        policy = f"{stamp.id} {stamp.version} #{stamp.hash[:8]}"
        began = time.monotonic()
        state = "ok"
        detail = ""
        account = self._health.account if self._health else "—"
        try:
            with self._lock:
                health = session.executor.health()
                if account == "—":
                    account = session.executor.account().account_id
        except SignoffError as error:
            state, detail = "down", error.message
        else:
            elapsed = time.monotonic() - began
            if elapsed > self.slow_seconds:
                state, detail = "slow", f"answered in {elapsed:.1f} s"
            else:
                detail = f"pid {health.pid}"
        self._health = Status(
            identity=session.actor,
            role=self._role,
            account=account,
            venue=session.venue,
            policy=policy,
            trading_state=str(session.policy.trading_state),
            executor=state,  # type: ignore[arg-type]
            executor_detail=detail,
            clock=self.options.clock_label() if self.options.clock_label else "",
        )
        return self._health

    # ------------------------------------------------------------------ requests
    def propose(self, text: str) -> PlanView:
        """Read and decide a request; every stage is recorded. Executes nothing."""
        with self._lock:
            # the executor countersigns the records after the plan is on the screen
            # (:meth:`countersign`): its round trip is not the person's to wait for
            proposal = self.session.propose(text, countersign=False)
            view = plan_view(proposal, self.clock.now())
            self._plans[proposal.plan_id] = _PlanState(proposal, view)
            return view

    def countersign(self) -> None:
        """Have the executor sign the audit head over what was recorded (never raises)."""
        with self._lock:
            if self._session is not None:
                self._session.countersign()

    def states(self, plan_id: str) -> dict[str, tuple[StepState, str]]:
        """Where each step stands before anything ran."""
        plan = self._plans[plan_id]
        out: dict[str, tuple[StepState, str]] = {}
        for step in plan.view.steps:
            if step.step_id in plan.rejected:
                out[step.step_id] = ("rejected", "you said no")
            elif step.step_id in plan.approvals:
                until = plan.approvals[step.step_id].expires_at
                out[step.step_id] = ("approved", f"until {until:%H:%M:%S}")
            elif step.decision == "deny":
                out[step.step_id] = ("denied", "refused by the policy")
            elif step.decision == "confirm":
                out[step.step_id] = ("needs-confirm", "press x to review and confirm")
            elif step.decision == "escalate":
                who = " or ".join(self.approvers())
                if step.step_id in plan.asked:
                    out[step.step_id] = ("waiting", f"for {who}")
                else:
                    out[step.step_id] = ("waiting", f"x asks {who}")
            else:
                out[step.step_id] = ("ready", "runs when you press x")
        return out

    def approvers(self) -> tuple[str, ...]:
        """Who may approve an escalated step: the identities with the approver role."""
        return self._approvers(exclude=self.session.actor)

    def _approvers(self, *, exclude: str) -> tuple[str, ...]:
        """Identities with the approver role whom the policy names as second approvers."""
        named = set(self.session.policy.approvals.second_approvers)
        names = tuple(n for n in _approvers(exclude=exclude) if not named or n in named)
        return names or ("nobody",)

    def valid_for_seconds(self) -> int:
        return int(self.session.policy.approvals.valid_for.total_seconds())

    def type_to_confirm_above(self) -> Decimal:
        """Above this value (reporting currency) the person types the amount or the market
        to confirm: the policy's ``[approvals] type_to_confirm_above`` (a personal file
        may lower it)."""
        return self.session.policy.approvals.type_to_confirm_above

    def stale(self, plan_id: str) -> str:
        """Why the plan's decision can no longer be confirmed (it must be decided again),
        or "" while it can: the price drifted past the limit, or the decision is older
        than an approval may be."""
        plan = self._plans[plan_id]
        if plan.redecide:
            return plan.redecide
        decided = plan.view.decided_at
        valid_for = self.session.policy.approvals.valid_for
        if decided is not None and decided + valid_for <= self.clock.now():
            return (
                f"the decision of {decided:%H:%M:%S} is older than an approval may be "
                f"({int(valid_for.total_seconds() // 60)} min)"
            )
        return ""

    def needs_typing(self, row: StepRow) -> bool:
        value = row.notional_value
        return value is not None and value > self.type_to_confirm_above()

    def approve(self, plan_id: str, step_id: str) -> Approved:
        """Approve a gated step as the signed-in identity (the executor re-checks it)."""
        with self._lock:
            plan = self._plans[plan_id]
            session = self.session
            approval = session.approve(plan.proposal, step_id)
            plan.approvals[step_id] = approval
            plan.rejected.discard(step_id)
            return Approved(step_id, approval.approver, approval.expires_at)

    def reject(self, plan_id: str, step_id: str) -> None:
        with self._lock:
            plan = self._plans[plan_id]
            self.session.reject(plan.proposal, step_id)
            plan.rejected.add(step_id)
            plan.approvals.pop(step_id, None)

    def execute(self, plan_id: str) -> list[Outcome]:
        """Send what the policy allows and what was approved; the executor decides again.

        An approval that expired, or that the executor voided because the price drifted,
        is dropped and the step asks again; nothing is lost and nothing is sent twice.
        """
        with self._lock:
            plan = self._plans[plan_id]
            plan.submitted = True
            now = self.clock.now()
            asked_again: list[Outcome] = []
            for sid, approval in list(plan.approvals.items()):
                if approval.expires_at <= now:
                    # never sent on a lapsed approval: the executor would refuse it anyway
                    del plan.approvals[sid]
                    asked_again.append(
                        Outcome(
                            sid,
                            "ask-again",
                            f"your confirmation expired at {approval.expires_at:%H:%M:%S}; "
                            "press x to confirm again",
                        )
                    )
            for row in plan.view.steps:
                sid = row.step_id
                if row.decision == "escalate" and not ({sid} & (plan.asked | plan.rejected)):
                    # the requester signs; the step then waits at the executor
                    plan.approvals[sid] = self.session.approve(plan.proposal, sid)
            outcomes = self.session.execute(plan.proposal, dict(plan.approvals))
            out: list[Outcome] = []
            again = {o.step_id for o in asked_again}
            for outcome in outcomes:
                sid = outcome.step_id
                if outcome.status == "waiting":
                    plan.asked.add(sid)
                    plan.approvals.pop(sid, None)
                    who = " or ".join(self.approvers())
                    out.append(Outcome(sid, "waiting", f"for {who}"))
                elif outcome.status == "executed":
                    out.append(Outcome(sid, "executed", outcome.detail))
                elif outcome.status == "refused":
                    code = _error_code(outcome.detail)
                    if code in ("EXPIRED", "CONFIRM_AGAIN"):
                        plan.approvals.pop(sid, None)
                        if code == "CONFIRM_AGAIN":
                            # a confirmation of this decision would be refused again
                            plan.redecide = outcome.detail.splitlines()[0].split(":", 1)[1].strip()
                        out.append(Outcome(sid, "ask-again", outcome.detail))
                    else:
                        out.append(Outcome(sid, "refused", outcome.detail))
                elif outcome.status == "failed":
                    out.append(Outcome(sid, "failed", outcome.detail))
                elif sid in again:
                    out.append(next(o for o in asked_again if o.step_id == sid))
                elif outcome.detail.startswith("already sent"):
                    out.append(Outcome(sid, "executed", outcome.detail))
                elif outcome.detail == "not approved" and sid not in plan.rejected:
                    continue  # a confirm step not confirmed this time keeps what it shows
                else:
                    state, detail = self.states(plan_id)[sid]
                    out.append(Outcome(sid, state, detail))
            for sid in list(plan.approvals):
                if any(o.step_id == sid and o.state == "executed" for o in out):
                    del plan.approvals[sid]  # used: an approval is good for one send
            return out

    def approve_waiting(self, plan_id: str, step_id: str) -> list[Outcome]:
        """Sign, as the signed-in person, the approval of a step that waits at the executor;
        the executor checks the signature and the role and sends the step once."""
        with self._lock:
            outcome = self.session.approve_waiting(plan_id, step_id)
        return [_outcome(outcome)]

    def reject_waiting(self, plan_id: str, step_id: str) -> None:
        with self._lock:
            self.session.reject_waiting(plan_id, step_id, "rejected in the terminal UI")

    def follow(self, plan_id: str) -> list[Outcome]:
        """Where the plan's steps that waited stand now (approved elsewhere: sent)."""
        with self._lock:
            plan = self._plans.get(plan_id)
            if plan is None or not plan.asked - plan.settled:
                return []
            outcomes = [_outcome(o) for o in self.session.resume(plan_id)]
        changed = [
            o for o in outcomes if o.step_id in plan.asked - plan.settled and o.state != "waiting"
        ]
        plan.settled.update(o.step_id for o in changed)
        return changed

    def waiting_plans(self) -> list[str]:
        """Plans with steps that wait for a second person."""
        return [pid for pid, plan in self._plans.items() if plan.asked - plan.settled]

    def cancel_all(self) -> list[Outcome]:
        """Cancel this account's open orders and stop its schedules, as a recorded request."""
        with self._lock:
            view = self.propose(CANCEL_ALL)
            return self.execute(view.plan_id)  # countersigns all it recorded

    def pending(self) -> list[Pending]:
        """Escalated steps that wait at the executor for a second person's signature."""
        from signoff.steps_text import describe_resolved

        with self._lock:
            session = self.session
            views = session.waiting()
        approver = "approver" in self._role.split(", ")
        out: list[Pending] = []
        for view in views:
            if view.status != "waiting":
                continue
            out.append(
                Pending(
                    plan_id=view.plan_id,
                    step_id=view.step_id,
                    summary=describe_resolved(view.step),
                    decision=view.decision.decision,
                    requester=view.requester,
                    approvers=self._approvers(exclude=view.requester),
                    reasons=_reasons(view.decision),
                    may_approve=approver and view.requester != session.actor,
                )
            )
        return out

    # ------------------------------------------------------------------ the account
    def portfolio(self) -> Portfolio:
        """Balances and their value in the reporting currency; prices kept for sparklines."""
        with self._lock:
            session = self.session
            account = session.executor.account()
            currency = session.policy.currency
            held = [a for a, b in sorted(account.balances.items()) if b.total > 0]
            symbols = [f"{a}/{currency}" for a in held if a != currency]
            quotes = session.executor.quotes(symbols) if symbols else {}
        holdings: list[Holding] = []
        total = Decimal(0)
        for asset in held:
            balance = account.balances[asset]
            if asset == currency:
                price: Decimal | None = Decimal(1)
            else:
                quote = quotes.get(f"{asset}/{currency}")
                price = quote.last if quote is not None else None
            value = balance.total * price if price is not None else None
            if price is not None and asset != currency:
                self._prices.setdefault(asset, deque(maxlen=SPARK_POINTS)).append(price)
            if value is not None:
                total += value
            holdings.append(Holding(asset, balance.total, balance.locked, value, price))
        if self._opening_value is None:
            self._opening_value = total
        return Portfolio(
            account_id=account.account_id,
            currency=currency,
            holdings=tuple(holdings),
            total_value=total,
            taken_at=account.taken_at,
        )

    @property
    def opening_value(self) -> Decimal | None:
        return self._opening_value

    def price_history(self, asset: str) -> tuple[Decimal, ...]:
        return tuple(self._prices.get(asset, ()))

    def activity(self, *, fills: int = 8) -> Activity:
        """Open orders and pending triggers at the venue, schedules and recent fills."""
        from sqlmodel import Session as DbSession
        from sqlmodel import col, select

        from ledger.tables import FillRow, OrderRow

        with self._lock:
            session = self.session
            venue_orders = session.executor.open_orders()
            unfinished = session.ledger.unfinished_orders()
            with DbSession(session.ledger.engine) as db:
                rows = db.exec(
                    select(FillRow, OrderRow)
                    .join(OrderRow, col(OrderRow.client_order_id) == col(FillRow.client_order_id))
                    .order_by(col(FillRow.filled_at).desc(), col(FillRow.audit_seq).desc())
                    .limit(fills)
                ).all()
        lines: list[OrderLine] = []
        at_venue = set()
        for order in venue_orders:
            at_venue.add(order.client_order_id)
            if order.trigger_price is not None:
                price = f"when {order.trigger_direction} {fmt_number(order.trigger_price)}"
                kind = "trigger"
            else:
                price = fmt_number(order.limit_price) if order.limit_price else "market"
                kind = "order"
            lines.append(
                OrderLine(
                    order.client_order_id,
                    order.symbol,
                    order.side,
                    fmt_number(order.remaining),
                    price,
                    order.status.replace("_", " "),
                    kind,  # type: ignore[arg-type]
                )
            )
        for view in unfinished:
            row = view.order
            detail = next((e.detail for e in reversed(view.events) if e.detail), "") or ""
            if row.client_order_id in at_venue or not detail.startswith("every "):
                continue
            lines.append(
                OrderLine(
                    row.client_order_id,
                    row.symbol,
                    row.side,
                    fmt_number(row.quantity),
                    detail,
                    "scheduled",
                    "schedule",
                )
            )
        fill_lines = tuple(
            FillLine(
                f.client_order_id,
                o.symbol,
                o.side,
                fmt_number(f.quantity),
                fmt_number(f.price),
                f.filled_at,
            )
            for f, o in rows
        )
        return Activity(open_orders=tuple(lines), fills=fill_lines)

    # ------------------------------------------------------------------ other screens
    def story(self, plan_id: str) -> RenderableType:
        """The plan's story from the audit trail (as ``signoff audit show``)."""
        from ledger.render import story_renderable

        with self._lock:
            story = self.session.ledger.plan_story(plan_id)
        if story is None:
            raise SignoffError(f"no plan {plan_id} in the ledger")
        return story_renderable(story)

    def policy_text(self) -> PolicyText:
        from policy.explain import explain

        explanation = explain(self.session.policy)
        return PolicyText(
            title=explanation.title,
            sections=tuple(
                (heading, tuple(items)) for heading, items in explanation.sections() if items
            ),
        )


# ---------------------------------------------------------------------- helpers
def _open_session(options: Options) -> Session:
    from signoff.session import Session

    return Session.start(
        exchange=options.exchange,
        policy_path=options.policy_path,
        personal_path=options.personal_path,
        db_url=options.db_url,
        actor=options.actor,
        executor_args=options.executor_args,
        key=options.key,
    )


def _outcome(outcome: SessionOutcome) -> Outcome:
    if outcome.status == "executed":
        return Outcome(outcome.step_id, "executed", outcome.detail)
    if outcome.status == "waiting":
        return Outcome(outcome.step_id, "waiting", outcome.detail)
    if outcome.status == "skipped" and outcome.detail.startswith("already sent"):
        return Outcome(outcome.step_id, "executed", outcome.detail)
    if outcome.status == "refused":
        return Outcome(outcome.step_id, "refused", outcome.detail)
    return Outcome(outcome.step_id, "failed", outcome.detail)


def _approvers(*, exclude: str) -> tuple[str, ...]:
    import os

    from foundation.errors import IdentityError
    from foundation.identity import IdentityRegistry, identities_path

    path = identities_path()
    if not os.path.exists(path):
        return ()
    try:
        registry = IdentityRegistry.load(path)
    except IdentityError:
        return ()
    return tuple(i.name for i in registry.with_role("approver") if i.name != exclude)


def _signing_key(actor: str | None, passphrase: bytes | None) -> SigningKey:
    """The person's key; the offline first run gets a one-trader identities file.

    IdentityError KEY_LOCKED when the key needs a passphrase (the screen asks for it),
    NO_KEY when the identities file exists but this person has no key here.
    """
    from foundation.identity import ensure_local_identity, load_signing_key
    from signoff.session import default_actor

    name = actor or default_actor()
    if passphrase is not None:
        return load_signing_key(name, passphrase)
    return ensure_local_identity(name)


def _role_of(name: str) -> str | None:
    import os

    from foundation.errors import IdentityError
    from foundation.identity import IdentityRegistry, identities_path

    path = identities_path()
    if not os.path.exists(path):
        return None
    try:
        identity = IdentityRegistry.load(path).get(name)
    except IdentityError:
        return "not in the identities file"
    return ", ".join(sorted(identity.roles)) or "no role"


def _coid(plan_id: str, step_id: str) -> str:
    from executors.ids import client_order_id

    return client_order_id(plan_id, step_id)


def _error_code(detail: str) -> str:
    head = detail.split(":", 1)[0].strip()
    return head if head.isupper() else ""


def plan_view(proposal: Proposal, now: datetime) -> PlanView:
    """The proposal in plain words, in the request's language."""
    from intent.plan import Clarification, Refusal

    language = i18n.language_of(proposal.text)
    result = proposal.result
    notices = tuple(proposal.notices)
    if isinstance(result, Clarification):
        return PlanView(
            plan_id=proposal.plan_id,
            text=proposal.text,
            language=language,
            status="clarify",
            question=i18n.question(result.question, tuple(result.missing), language),
            notices=notices,
        )
    if isinstance(result, Refusal):
        return PlanView(
            plan_id=proposal.plan_id,
            text=proposal.text,
            language=language,
            status="unsupported",
            refusal=result.reason,
            notices=notices,
        )
    rows = tuple(step_row(step, decision, proposal.plan_id) for step, decision in proposal.pairs)
    decided = min((d.decided_at for _, d in proposal.pairs), default=now)
    return PlanView(
        plan_id=proposal.plan_id,
        text=proposal.text,
        language=language,
        status="plan",
        steps=rows,
        decided_at=decided,
        notices=notices,
    )


def _reasons(decision: StepDecision) -> tuple[str, ...]:
    return tuple(f"{r.message} [{r.rule}]" for r in decision.reasons)


def step_row(step: ResolvedStep, decision: StepDecision, plan_id: str) -> StepRow:
    from intent.resolved import ResolvedCancel, ResolvedOrder, ResolvedQuery
    from signoff.steps_text import describe_resolved
    from tui.widgets.portfolio import money

    reasons = _reasons(decision)
    verdict = decision.decision
    summary = describe_resolved(step)
    if isinstance(step, ResolvedOrder):
        if step.trigger is not None:
            price = f"when {step.trigger.base} {step.trigger.direction} " + fmt_number(
                step.trigger.level
            )
            if step.limit_price is not None:
                price += f", limit {fmt_number(step.limit_price)}"
        elif step.limit_price is not None:
            price = f"limit {fmt_number(step.limit_price)} {step.quote}"
        else:
            price = "market"
        if step.schedule is not None:
            count = step.schedule.count
            price += f", every {step.schedule.every}" + (f" ×{count}" if count else "")
        exact: list[tuple[str, str]] = [
            ("market", step.symbol),
            ("side", step.side),
            ("type", step.order_type),
            ("quantity", f"{fmt_number(step.quantity)} {step.base}"),
            (
                "limit price",
                f"{fmt_number(step.limit_price)} {step.quote}" if step.limit_price else "none",
            ),
        ]
        if step.trigger is not None:
            exact.append(("trigger", f"{step.trigger.direction} {fmt_number(step.trigger.level)}"))
        if step.schedule is not None:
            exact.append(("schedule", f"every {step.schedule.every}"))
        exact += [
            ("reference price", f"{fmt_number(step.reference_price)} {step.quote}"),
            (
                "estimated value",
                f"{money(step.notional_reporting)} {step.reporting_currency}",
            ),
            ("client order id", _coid(plan_id, step.step_id)),
            ("policy", f"{decision.policy.id} {decision.policy.version}"),
        ]
        return StepRow(
            step_id=step.step_id,
            kind="order",
            action=step.side.capitalize(),
            amount=fmt_number(step.quantity),
            asset=step.base,
            price=price,
            notional=f"≈{money(step.notional_reporting)} {step.reporting_currency}",
            decision=verdict,
            reasons=reasons,
            summary=summary,
            exact=tuple(exact),
            notional_value=step.notional_reporting,
            symbol=step.symbol,
            quantity=fmt_number(step.quantity),
        )
    if isinstance(step, ResolvedCancel):
        count = len(step.order_ids)
        return StepRow(
            step_id=step.step_id,
            kind="cancel",
            action="Cancel",
            amount=f"{count} order{'s' if count != 1 else ''}",
            asset=step.base or "all",
            price=f"{step.side} side" if step.side else "—",
            notional="—",
            decision=verdict,
            reasons=reasons,
            summary=summary,
            exact=(("cancel", summary),),
        )
    if isinstance(step, ResolvedQuery):
        return StepRow(
            step_id=step.step_id,
            kind="query",
            action="Show",
            amount="",
            asset=step.base or "all",
            price=step.what,
            notional="—",
            decision=verdict,
            reasons=reasons,
            summary=summary,
            exact=(("show", summary),),
        )
    return StepRow(
        step_id=step.step_id,
        kind="unresolved",
        action="—",
        amount="",
        asset="",
        price=step.reason,
        notional="—",
        decision=verdict,
        reasons=reasons or (step.reason,),
        summary=summary,
        exact=(),
    )


def sparkline(values: Sequence[Decimal], width: int = 12) -> str:
    """Prices as block characters (lowest ▁ to highest █)."""
    blocks = "▁▂▃▄▅▆▇█"
    points = list(values)[-width:]
    if not points:
        return ""
    low, high = min(points), max(points)
    if high == low:
        return blocks[3] * len(points)
    span = high - low
    return "".join(blocks[int((p - low) / span * (len(blocks) - 1))] for p in points)


def describe_error(error: BaseException) -> str:
    if isinstance(error, SignoffError):
        text = error.message
        if error.hint:
            text += f" ({error.hint})"
        return text
    return f"{type(error).__name__}: {error}"


def is_refusal(error: BaseException) -> bool:
    return isinstance(error, ApprovalError)
