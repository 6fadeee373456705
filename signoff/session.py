"""The session service: one request from text to fills, each stage in the ledger first.

``signoff run``, the TUI and scripted paper sessions all drive this class; it holds no
UI. The flow (design.md):

    propose(text)   record the request → parse → record the plan → account, markets,
                    quotes and counters from the executor → resolve and decide → record
                    the resolution and the decisions with their inputs
    approve(p, s)   the person at the keyboard signs step s (their Ed25519 key): a
                    confirmation, or the request that makes an escalated step wait
    execute(...)    per step: sign (allowed steps) → mark a confirmation used → the
                    executor decides again itself, checks the signatures and sends (it
                    records the order, its status and fills in the ledger); an escalated
                    step comes back ``waiting``
    waiting()       the escalated steps that wait for a second person
    approve_waiting(plan, step, key) / reject_waiting(...)
                    the second person's signed approval or rejection (another terminal)
    resume(plan)    where each waiting step of a plan stands (sent once approved)
    reconcile()     after a crash: the executor writes what the venue says into the
                    ledger for every order it has not seen finish

The executor runs in its own process: it is the only holder of exchange keys, it pins
the firm policy and the identities file, and it trusts only people's signatures. The
policy this side decides with is the executor's own (fetched from it); a different
policy given here is refused, naming both hashes.
"""

from __future__ import annotations

import getpass
import logging
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Literal

from foundation.clock import Clock, SystemClock
from foundation.errors import (
    ApprovalError,
    ConfigError,
    ExecutionError,
    IdentityError,
    SignoffError,
)
from intent.canonical import content_hash
from intent.market import AccountSnapshot, MarketData
from intent.plan import Clarification, Plan, Refusal
from intent.resolved import ResolvedCancel, ResolvedOrder, ResolvedQuery, ResolvedStep
from policy.counters import Counters, Execution, PendingOrder, RecentOrder
from policy.decision import StepDecision
from policy.gate import GatedPlan, gate

if TYPE_CHECKING:
    from executors.approvals import SignedRequest
    from executors.base import OrderState
    from executors.process.client import ExecutorClient
    from executors.service import StepResult, WaitingView
    from foundation.identity import SigningKey
    from ledger.service import Ledger
    from ledger.service import OrderStatus as LedgerStatus
    from policy.model import Policy
    from policy.model import TradingState as TradingStateName
    from signoff.llm import RequestParser

ParseOutcome = Plan | Clarification | Refusal

# ledger order statuses for the executor's
_STATUS: dict[str, LedgerStatus] = {
    "open": "open",
    "partially_filled": "partially_filled",
    "filled": "filled",
    "canceled": "canceled",
    "rejected": "rejected",
    "expired": "expired",
    "not_found": "rejected",
}
_FINISHED = {"filled", "canceled", "rejected", "expired"}

_log = logging.getLogger(__name__)


def default_actor() -> str:
    """Who is at the keyboard: ``$SIGNOFF_USER``, else the login name."""
    configured = os.environ.get("SIGNOFF_USER", "").strip()
    if configured:
        return configured
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # pragma: no cover - no passwd entry (containers)
        return "trader"


@dataclass(frozen=True)
class Proposal:
    """A request, read and decided; nothing has been executed."""

    text: str
    request_id: str
    plan_id: str
    result: ParseOutcome
    gated: GatedPlan | None = None
    account: AccountSnapshot | None = None
    market: MarketData | None = None
    decision_ids: Mapping[str, str] = field(default_factory=dict)
    notices: tuple[str, ...] = ()
    """What the parser wants the person to know (an LLM that failed, a fallback)."""

    @property
    def pairs(self) -> tuple[tuple[ResolvedStep, StepDecision], ...]:
        return self.gated.pairs() if self.gated else ()

    def step(self, step_id: str) -> tuple[ResolvedStep, StepDecision]:
        for step, decision in self.pairs:
            if step.step_id == step_id:
                return step, decision
        raise SignoffError(f"plan {self.plan_id} has no step {step_id!r}")

    def needing_approval(self) -> list[tuple[ResolvedStep, StepDecision]]:
        return [(s, d) for s, d in self.pairs if d.needs_approval]


@dataclass(frozen=True)
class Approval:
    """The requester's signature over one gated step: a confirmation, or (escalate) the
    request that waits for a second person. Only the executor checks it."""

    step_id: str
    approval_id: str | None
    approver: str
    expires_at: datetime
    request: SignedRequest = field(repr=False)


@dataclass(frozen=True)
class Outcome:
    """What happened to one step."""

    step_id: str
    status: Literal["executed", "skipped", "refused", "failed", "waiting"]
    detail: str
    orders: tuple[OrderState, ...] = ()


class Session:
    """One person's session against one executor, policy and ledger."""

    def __init__(
        self,
        *,
        ledger: Ledger,
        policy: Policy,
        policy_text: str,
        executor: ExecutorClient,
        actor: str,
        key: SigningKey | None = None,
        personal_text: str | None = None,
        clock: Clock | None = None,
        owns: bool = False,
    ) -> None:
        self.ledger = ledger
        self.policy = policy
        self.policy_text = policy_text
        self.executor = executor
        self.actor = actor
        self.key = key
        self.personal_text = personal_text
        self.clock = clock or SystemClock()
        self._owns = owns
        self.venue = executor.health().venue

    # ------------------------------------------------------------------ lifecycle
    @classmethod
    def start(
        cls,
        *,
        exchange: str = "local",
        policy_path: str | None = None,
        personal_path: str | None = None,
        db_url: str | None = None,
        actor: str | None = None,
        executor_args: Sequence[str] = (),
        clock: Clock | None = None,
        key: SigningKey | None = None,
    ) -> Session:
        """Open the ledger and the person's key, start (or reuse) the executor, and take
        the policy it enforces.

        With no identities file yet (the offline first run) one is created naming the
        person as the only trader, with an unencrypted key of theirs. ``policy_path``
        (or ``$SIGNOFF_POLICY``) is only compared with the executor's policy: a
        different one is refused, naming both hashes. The executor is started with
        the shipped policy when none runs; compliance pins another with
        ``signoff executor --policy FILE``.
        """
        from executors.policy_file import ENV_POLICY
        from executors.policy_file import personal_path as resolve_personal
        from executors.process.client import start_executor
        from foundation.files import read_bytes
        from ledger.history import check_policy_version
        from ledger.service import Ledger
        from policy.loader import load_policy_bytes
        from policy.personal import apply_personal_bytes

        actor = actor or default_actor()
        key = key or open_signing_key(actor)
        if key.name != actor:
            raise IdentityError(
                "NO_KEY", f"the key given is {key.name}'s, not {actor}'s", hint="use your own key"
            )
        ledger = Ledger.open(db_url, clock=clock)
        try:
            args = [*executor_args, *(["--db", db_url] if db_url else [])]
            executor = start_executor(exchange, args=args)
        except BaseException:
            ledger.close()
            raise
        try:
            health = executor.health()
            if health.ledger is not None and health.ledger != ledger.where:
                raise ConfigError(
                    f"the executor records in the ledger at {health.ledger}; this run asked "
                    f"for {ledger.where}",
                    hint="use the executor's ledger (drop --db), or stop the executor and "
                    "start it with this ledger",
                )
            info = executor.policy()
            firm = load_policy_bytes(info.text.encode("utf-8"), info.source or "the executor")
            explicit = policy_path or os.environ.get(ENV_POLICY, "").strip() or None
            if explicit is not None:
                mine = load_policy_bytes(read_bytes(os.path.expanduser(explicit)), explicit)
                if mine.hash != info.hash:
                    raise ConfigError(
                        f"the executor enforces policy {info.id} {info.version} "
                        f"(sha256 {info.hash}); {explicit} is {mine.id} {mine.version} "
                        f"(sha256 {mine.hash})",
                        hint="the firm's policy is the executor's: drop --policy (and "
                        "SIGNOFF_POLICY), or have compliance start the executor with it",
                    )
            # a known id and version with other content is refused, naming both hashes
            check_policy_version(ledger, firm.stamp)
            policy = firm
            personal_text: str | None = None
            personal = resolve_personal(personal_path)
            if personal is not None:
                data = read_bytes(personal)
                policy = apply_personal_bytes(data, personal, firm)
                personal_text = data.decode("utf-8-sig")
            # asks the executor for its venue: inside the try, so that a failure here
            # closes the connection too (never left for the garbage collector)
            session = cls(
                ledger=ledger,
                policy=policy,
                policy_text=info.text,
                executor=executor,
                actor=actor,
                key=key,
                personal_text=personal_text,
                clock=clock,
                owns=True,
            )
            ledger.record_policy_version(stamp=firm.stamp, text=info.text, actor=session.actor)
        except BaseException:
            executor.close()
            ledger.close()
            raise
        return session

    def countersign(self) -> None:
        """Have the executor sign the audit head over what this session appended.

        This session's ledger does not sign (the key is the executor's); the
        executor checks the chain since its last signed head and signs the head.
        A refusal is logged, never raised: what was recorded stays recorded, and
        ``signoff audit verify`` reports the records left unsigned.
        """
        try:
            self.executor.countersign()
        except SignoffError as error:
            _log.warning("the executor did not countersign the audit head: %s", error)
        except OSError as error:  # the executor's socket is gone: nothing to sign with
            _log.warning("the executor did not countersign the audit head: %s", error)

    def close(self) -> None:
        if self._owns:
            try:
                if not self.executor.closed:
                    # whatever this session appended since (approvals, rejections) gets signed
                    self.countersign()
            finally:
                # an executor that went away must not keep this session's connection open
                try:
                    self.executor.close()
                finally:
                    self.ledger.close()

    def __enter__(self) -> Session:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ propose
    def propose(
        self,
        text: str,
        *,
        parser_name: str = "deterministic",
        parser: RequestParser | None = None,
        countersign: bool = True,
    ) -> Proposal:
        """Read the request and decide each step; record every stage. Executes nothing.

        ``parser`` (a :class:`signoff.llm.RequestParser`) reads the text in its mode; the
        ledger records its name and model with the request, and with the plan how the
        result was produced (parser, model, token usage, latency, notices).
        ``countersign=False`` leaves the executor's signature over what was recorded to
        the caller (:meth:`countersign`), who shows the plan first (the terminal UI).
        """
        from signoff.intents import mask_request, parse_request

        # a key or password typed into the request is masked before anything records it
        text = mask_request(text)
        model = None
        if parser is not None:
            parser_name, model = parser.name, parser.model_label
        request = self.ledger.record_request(
            text=text, actor=self.actor, parser=parser_name, model=model
        )
        notices: tuple[str, ...] = ()
        if parser is None:
            result = parse_request(text)
            how = None
        else:
            report = parser.parse(text)
            result, how, notices = report.result, report.metadata(), report.notices
        plan = self.ledger.record_parse(
            request_id=request.id, result=result, actor=self.actor, parser=how
        )
        if not isinstance(result, Plan):
            if countersign:
                self.countersign()
            return Proposal(
                text=text, request_id=request.id, plan_id=plan.id, result=result, notices=notices
            )

        account = self.executor.account()
        rules = self.executor.market_rules()
        quotes = self.executor.quotes(sorted(rules))
        market = MarketData(rules=rules, quotes=quotes)
        now = self.clock.now()
        # the executor's own record of what it sent: the counters it will decide with
        counters = self.executor.counters()
        gated = gate(
            result,
            policy=self.policy,
            account=account,
            market=market,
            counters=counters,
            now=now,
            plan_id=plan.id,
        )
        resolution = self.ledger.record_resolution(
            plan_id=plan.id, steps=gated.steps, snapshot=account, market=market, actor=self.actor
        )
        recorded = self.ledger.record_decisions(
            plan_id=plan.id,
            decisions=gated.decisions,
            snapshot=account,
            quotes=market,
            counters=counters.model_dump(mode="json"),
            actor=self.actor,
            resolution_id=resolution.id,
        )
        decision_ids = {d.step_id: r.id for d, r in zip(gated.decisions, recorded, strict=True)}
        if countersign:
            self.countersign()
        return Proposal(
            text=text,
            request_id=request.id,
            plan_id=plan.id,
            result=result,
            gated=gated,
            account=account,
            market=market,
            decision_ids=decision_ids,
            notices=notices,
        )

    # ------------------------------------------------------------------ approve
    def _key(self) -> SigningKey:
        if self.key is None:
            raise IdentityError(
                "NO_KEY",
                f"this session has no signing key for {self.actor}",
                hint=f"create one with `signoff identity new {self.actor}`",
            )
        return self.key

    def sign(self, proposal: Proposal, step_id: str) -> SignedRequest:
        """The requester's signature over one step exactly as it was decided."""
        from executors.approvals import sign_request

        step, decision = proposal.step(step_id)
        if not isinstance(step, ResolvedOrder | ResolvedCancel):
            raise ApprovalError(f"step {step_id} is not an order or a cancel")
        return sign_request(
            self._key(),
            plan_id=proposal.plan_id,
            step=step,
            decision=decision,
            now=self.clock.now(),
            validity=self.policy.approvals.valid_for,
        )

    def may_approve(self, proposal: Proposal, step_id: str, approver: str) -> bool:
        """Only the requester confirms here; a second person approves with their own key."""
        _, decision = proposal.step(step_id)
        return decision.needs_approval and approver == self.actor

    def approve(self, proposal: Proposal, step_id: str, approver: str | None = None) -> Approval:
        """Sign one gated step as this session's person (their key, never a typed name).

        A ``confirm`` step is then confirmed; an ``escalate`` step is asked for: it
        will wait, at the executor, for a second person's signed approval.
        """
        step, decision = proposal.step(step_id)
        if not isinstance(step, ResolvedOrder | ResolvedCancel) or not decision.needs_approval:
            raise ApprovalError(f"step {step_id} does not need an approval ({decision.decision})")
        if approver is not None and approver != self.actor:
            raise ApprovalError(
                f"typing a name approves nothing: {approver} signs with their own key",
                hint=f"{approver} runs 'signoff approve {proposal.plan_id}:{step_id}' "
                "once the step waits",
            )
        signed = self.sign(proposal, step_id)
        approval_id: str | None = None
        if decision.decision == "confirm":
            recorded = self.ledger.record_approval(
                plan_id=proposal.plan_id,
                step_id=step_id,
                approver=self.actor,
                role="confirm",
                content_hash=content_hash(step),
                policy_hash=decision.policy.hash,
                expires_at=signed.claims.expires_at,
                decision_id=proposal.decision_ids.get(step_id),
                nonce=signed.claims.nonce,
            )
            approval_id = recorded.id
        return Approval(
            step_id=step_id,
            approval_id=approval_id,
            approver=self.actor,
            expires_at=signed.claims.expires_at,
            request=signed,
        )

    def reject(self, proposal: Proposal, step_id: str, approver: str | None = None) -> str:
        """Record that this session's person said no to a gated step."""
        step, decision = proposal.step(step_id)
        recorded = self.ledger.record_approval(
            plan_id=proposal.plan_id,
            step_id=step_id,
            approver=self.actor,
            role=decision.decision if decision.needs_approval else "confirm",  # type: ignore[arg-type]
            content_hash=content_hash(step),
            policy_hash=decision.policy.hash,
            expires_at=None,
            outcome="rejected",
            decision_id=proposal.decision_ids.get(step_id),
        )
        return recorded.id

    # ------------------------------------------------------------------ second person
    def waiting(self) -> list[WaitingView]:
        """Escalated steps that wait for a second person's signature."""
        return self.executor.waiting()

    def approve_waiting(self, plan_id: str, step_id: str, key: SigningKey | None = None) -> Outcome:
        """The second person's signed approval; the executor sends the step once."""
        return approve_waiting(self.executor, key or self._key(), plan_id, step_id, self.clock)

    def reject_waiting(
        self, plan_id: str, step_id: str, reason: str, key: SigningKey | None = None
    ) -> Outcome:
        return approve_waiting(
            self.executor, key or self._key(), plan_id, step_id, self.clock, reason=reason
        )

    def resume(self, plan_id: str) -> list[Outcome]:
        """Where each step of ``plan_id`` that waited stands now; records schedule runs."""
        outcomes = []
        for result in self.executor.resume(plan_id):
            outcomes.append(outcome_of(result))
        self.countersign()
        return outcomes

    # ------------------------------------------------------------------ execute
    def execute(self, proposal: Proposal, approvals: Mapping[str, Approval]) -> list[Outcome]:
        """Carry out every step the policy allows or a person signed, in order.

        The executor decides each step again itself; an escalated step comes back
        ``waiting`` for a second person.
        """
        from executors.ids import client_order_id

        outcomes: list[Outcome] = []
        plan_steps = tuple(s for s, _ in proposal.pairs)
        for step, decision in proposal.pairs:
            if isinstance(step, ResolvedQuery):
                outcomes.append(Outcome(step.step_id, "executed", self.answer(step)))
                continue
            if not isinstance(step, ResolvedOrder | ResolvedCancel):
                outcomes.append(Outcome(step.step_id, "skipped", f"not resolved: {step.reason}"))
                continue
            if decision.decision == "deny":
                outcomes.append(Outcome(step.step_id, "skipped", "denied by the policy"))
                continue
            approval = approvals.get(step.step_id)
            if decision.needs_approval and approval is None:
                outcomes.append(Outcome(step.step_id, "skipped", "not approved"))
                continue
            coid = client_order_id(proposal.plan_id, step.step_id)
            sent = self.ledger.order(coid) if isinstance(step, ResolvedOrder) else None
            if sent is not None:
                # a step is sent once: running the same proposal again reports, never resends
                outcomes.append(
                    Outcome(step.step_id, "skipped", f"already sent as {coid} ({sent.status})")
                )
                continue
            try:
                request = approval.request if approval else self.sign(proposal, step.step_id)
                if approval is not None and approval.approval_id is not None:
                    self.ledger.record_approval_used(
                        approval_id=approval.approval_id,
                        actor=self.actor,
                        client_order_id=coid if isinstance(step, ResolvedOrder) else None,
                    )
                result = self.executor.execute(
                    plan_id=proposal.plan_id,
                    step=step,
                    decision=decision,
                    request=request,
                    plan_steps=plan_steps,
                    personal=self.personal_text,
                )
            except (ApprovalError, IdentityError) as error:
                outcomes.append(Outcome(step.step_id, "refused", str(error)))
                continue
            except ExecutionError as error:
                # the executor recorded the order and what it knows; an unknown outcome
                # is looked up by client order id at its next reconciliation
                outcomes.append(Outcome(step.step_id, "failed", str(error)))
                continue
            if isinstance(step, ResolvedOrder) and step.schedule is not None:
                self._sync_schedule(proposal.plan_id, step, coid)
            outcomes.append(outcome_of(result))
        self.countersign()
        return outcomes

    def _status(self, coid: str, status: LedgerStatus, *, detail: str | None = None) -> None:
        self.ledger.record_order_status(
            client_order_id=coid, status=status, actor="executor", detail=detail
        )

    def _sync_schedule(self, plan_id: str, step: ResolvedOrder, coid: str) -> bool | None:
        """Bring a recurring step's record up to date: each run is an order of its own
        (``<id>.<n>``, journalled by the executor before it was sent); the step's own
        order stays open while the schedule is active. Whether anything changed; None if
        ``coid`` is no schedule."""
        view = self.executor.schedule(coid)
        if view is None:
            return None
        changed = False
        for run in view.runs:
            recorded = self.ledger.order(run.client_order_id)
            if recorded is None:
                changed = True
                self.ledger.record_order_intent(
                    plan_id=plan_id,
                    step_id=step.step_id,
                    client_order_id=run.client_order_id,
                    venue=self.venue,
                    symbol=run.symbol,
                    side=run.side,
                    order_type=run.order_type,
                    quantity=run.quantity,
                    limit_price=run.limit_price,
                    actor="executor",
                )
            seen_status = recorded.status if recorded is not None else "intent"
            seen_fills = len(recorded.fills) if recorded is not None else 0
            # status events are appended, so only what changed is recorded
            if seen_status != _STATUS[run.status] or len(run.fills) > seen_fills:
                changed = True
                self._record_state(run)
        schedule = view.schedule
        total = "until stopped" if schedule.count is None else f"of {schedule.count}"
        wanted: LedgerStatus = "open"
        if schedule.status == "finished":
            wanted = "filled"
        elif schedule.status == "canceled":
            wanted = "canceled"
        current = self.ledger.order(coid)
        if current is not None and current.status != wanted:
            changed = True
            self._status(
                coid, wanted, detail=f"every {schedule.every}: {schedule.runs} run(s) {total}"
            )
        return changed

    def _record_state(self, state: OrderState) -> None:
        if self.ledger.order(state.client_order_id) is None:
            return  # a run of a schedule, or an order signoff did not place
        self.ledger.record_order_status(
            client_order_id=state.client_order_id,
            status=_STATUS[state.status],
            actor="executor",
            exchange_order_id=state.order_id,
            filled_quantity=state.filled,
            average_price=state.average_price,
            detail=state.reason
            or ("the venue never received it" if state.status == "not_found" else None),
        )
        for fill in state.fills:
            self.ledger.record_fill(
                client_order_id=state.client_order_id,
                trade_id=fill.trade_id,
                quantity=fill.quantity,
                price=fill.price,
                fee=fill.fee,
                fee_asset=fill.fee_asset,
                filled_at=fill.time,
                actor="executor",
            )

    # ------------------------------------------------------------------ queries
    def answer(self, step: ResolvedQuery) -> str:
        """The answer to a query step, in one or a few lines."""
        from intent.describe import fmt_number

        if step.what == "balance":
            account = self.executor.account()
            rows = [
                (asset, balance)
                for asset, balance in sorted(account.balances.items())
                if (step.base is None or asset == step.base) and balance.total > 0
            ]
            if not rows:
                return f"no {step.base or 'balances'} in {account.account_id}"
            return "; ".join(
                f"{asset} {fmt_number(b.total)}"
                + (f" ({fmt_number(b.locked)} in orders)" if b.locked else "")
                for asset, b in rows
            )
        if step.what == "price":
            symbol = f"{step.base}/{self.policy.currency}"
            quotes = self.executor.quotes([symbol])
            quote = quotes.get(symbol)
            if quote is None:
                return f"no {symbol} market on {self.venue}"
            return (
                f"{symbol} last {fmt_number(quote.last)} "
                f"(bid {fmt_number(quote.bid)}, ask {fmt_number(quote.ask)})"
            )
        from signoff.steps_text import describe_open_order, describe_schedule

        orders = self.executor.open_orders()
        mine = [o for o in orders if step.base is None or o.symbol.split("/")[0] == step.base]
        lines = [describe_open_order(o) for o in mine]
        # recurring steps are open orders too, though no single order rests at the venue
        for view in self.ledger.unfinished_orders():
            resolved = self._resolved_order(view.order.plan_id, view.order.step_id)
            if resolved is None or resolved.schedule is None:
                continue
            if step.base is not None and resolved.base != step.base:
                continue
            schedule = self.executor.schedule(view.order.client_order_id)
            if schedule is not None and schedule.schedule.status == "active":
                lines.append(describe_schedule(resolved, schedule.schedule))
        return "; ".join(lines) if lines else "no open orders"

    # ------------------------------------------------------------------ recovery
    def reconcile(self) -> list[str]:
        """Bring every order of this venue the ledger has not seen finish up to date.

        The executor looks each one up at the venue by client order id and writes
        what the venue says into its journal and the ledger; orders of other venues
        are left to their own executor (never marked rejected here).
        Returns one line per order whose state changed since the ledger last saw it;
        none when nothing did.
        """
        lines: list[str] = []
        unfinished = [v for v in self.ledger.unfinished_orders() if v.order.venue == self.venue]
        if not unfinished:
            self.countersign()
            return lines
        self.executor.reconcile()
        for view in unfinished:
            coid = view.order.client_order_id
            step = self._resolved_order(view.order.plan_id, view.order.step_id)
            if step is not None and step.schedule is not None:
                changed = self._sync_schedule(view.order.plan_id, step, coid)
                if changed is not None:
                    if changed:
                        lines.append(f"{coid}: schedule brought up to date")
                    continue
            now = self.ledger.order(coid)
            if now is not None and now.status == view.status:
                state = self._lookup(view.order.symbol, coid)  # recorded by the executor
                if state is None and self.executor.journal_entry(coid) is None:
                    # the executor journals every order before sending it: this one never
                    # left (an intent written by a client that stopped before sending)
                    self._status(
                        coid, "rejected", detail="never sent: the executor has no record of it"
                    )
                    lines.append(f"{coid}: never reached the venue; recorded as rejected")
                    continue
                now = self.ledger.order(coid)
            if now is not None and now.status != view.status:
                lines.append(f"{coid}: {now.status}")
        self.countersign()
        return lines

    def _resolved_order(self, plan_id: str, step_id: str) -> ResolvedOrder | None:
        story = self.ledger.plan_story(plan_id)
        if story is None or not story.resolutions:
            return None
        for row in story.resolutions[-1].steps:
            if row.step_id == step_id and row.kind == "order":
                return ResolvedOrder.model_validate_json(row.step_json)
        return None

    def _lookup(self, symbol: str, coid: str) -> OrderState | None:
        return self.executor.order(symbol, coid)


def open_signing_key(name: str) -> SigningKey:
    """``name``'s own key: created with the identities file on an offline first run,
    asked for its passphrase on a terminal when it is encrypted (or $SIGNOFF_KEY_PASSPHRASE)."""
    import getpass
    import sys

    from foundation.identity import ensure_local_identity, load_signing_key

    try:
        return ensure_local_identity(name)
    except IdentityError as error:
        if error.code != "KEY_LOCKED" or not sys.stdin.isatty():
            raise
    passphrase = getpass.getpass(f"Passphrase for {name}'s key: ")
    return load_signing_key(name, passphrase.encode("utf-8"))


def outcome_of(result: StepResult) -> Outcome:
    """One step's outcome from what the executor did with it."""
    from executors.ids import client_order_id

    if result.status == "waiting":
        return Outcome(
            result.step_id,
            "waiting",
            "waits for a second person's signature: "
            f"signoff approve {result.plan_id}:{result.step_id}",
        )
    if result.status == "rejected":
        return Outcome(result.step_id, "refused", "rejected by the second person")
    if result.status == "already_sent":
        coid = client_order_id(result.plan_id, result.step_id)
        states = ", ".join(o.status for o in result.orders) or "sent"
        return Outcome(result.step_id, "skipped", f"already sent as {coid} ({states})")
    return Outcome(result.step_id, "executed", _summary(result.orders), result.orders)


def approve_waiting(
    executor: ExecutorClient,
    key: SigningKey,
    plan_id: str,
    step_id: str,
    clock: Clock | None = None,
    *,
    reason: str | None = None,
) -> Outcome:
    """Sign (as ``key``'s person) the approval of a waiting step, or its rejection when a
    ``reason`` is given; the executor checks the signature and sends the step once."""
    from executors.approvals import sign_approval

    clock = clock or SystemClock()
    found = [v for v in executor.waiting(plan_id) if v.step_id == step_id]
    if not found:
        raise ApprovalError(
            f"step {step_id} of plan {plan_id} does not wait for approval",
            hint="'signoff approvals' lists what waits",
        )
    view = found[0]
    policy = executor.policy()
    from policy.loader import load_policy_bytes

    validity = load_policy_bytes(policy.text.encode("utf-8"), "executor").approvals.valid_for
    signed = sign_approval(
        key,
        plan_id=plan_id,
        step=view.step,
        policy_hash=view.decision.policy.hash,
        requester=view.requester,
        now=clock.now(),
        validity=validity,
        outcome="reject" if reason is not None else "approve",
        reason=reason,
    )
    result = executor.approve(plan_id=plan_id, step_id=step_id, approval=signed)
    if result.status == "rejected":
        return Outcome(step_id, "refused", f"rejected by {key.name}: {reason}")
    return outcome_of(result)


def _summary(orders: Sequence[OrderState]) -> str:
    from signoff.steps_text import describe_order_state

    if not orders:
        return "nothing to do"
    return "; ".join(describe_order_state(o) for o in orders)


def counters_from_ledger(ledger: Ledger, *, now: datetime, policy: Policy) -> Counters:
    """The history the policy needs, from what the ledger recorded in the last day.

    Each order's value is the notional its resolved step was decided on; orders whose
    intent is recorded but that were never seen at the venue count as pending.
    """
    from sqlmodel import Session as DbSession
    from sqlmodel import select

    from executors.trading_state import current_state
    from ledger.tables import OrderRow, ResolvedStepRow

    since = now - timedelta(days=1)
    orders: list[RecentOrder] = []
    executions: dict[str, datetime] = {}
    assets: set[str] = set()
    with DbSession(ledger.engine) as db:
        for symbol in db.exec(select(OrderRow.symbol).distinct()).all():
            assets.update(symbol.split("/"))
        recent = db.exec(select(OrderRow).where(OrderRow.created_at >= since)).all()
        for row in recent:
            resolved = db.exec(
                select(ResolvedStepRow)
                .where(ResolvedStepRow.plan_id == row.plan_id)
                .where(ResolvedStepRow.step_id == row.step_id)
            ).first()
            notional = (
                resolved.notional
                if resolved is not None and resolved.notional is not None
                else row.quantity * (row.limit_price or Decimal(0))
            )
            orders.append(
                RecentOrder(
                    symbol=row.symbol,
                    side="buy" if row.side == "buy" else "sell",
                    order_type="limit" if row.order_type == "limit" else "market",
                    quantity=row.quantity,
                    limit_price=row.limit_price,
                    notional=notional,
                    at=row.created_at,
                )
            )
            executions.setdefault(row.plan_id, row.created_at)
    pending = tuple(
        PendingOrder(symbol=view.order.symbol)
        for view in ledger.unfinished_orders()
        if view.status == "intent"
    )
    return Counters(
        orders=tuple(orders),
        messages=tuple(sorted(o.at for o in orders)),
        executions=tuple(Execution(plan_id=p, at=t) for p, t in executions.items()),
        pending=pending,
        assets_traded=frozenset(assets),
        # the firm-wide kill switch (signoff halt/resume), verified; the stricter one wins
        trading_state=_stricter_state(policy.trading_state, current_state().state),
    )


def _stricter_state(a: TradingStateName, b: TradingStateName) -> TradingStateName:
    from policy.model import STATE_SEVERITY

    return a if STATE_SEVERITY[a] >= STATE_SEVERITY[b] else b
