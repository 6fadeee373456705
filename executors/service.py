"""The gate in front of every executor: it decides for itself, and trusts only signatures.

:class:`ExecutionService` is the only caller of :meth:`Executor.submit` in
signoff. For each step, one at a time per account (a lock around deciding and
sending, so that no limit can be passed by racing it), it:

1. takes the firm policy it pinned at start, re-read if its file changed (the
   new version is recorded; a file that no longer loads stops all sending);
   a client that decided on another policy is refused (``POLICY_MISMATCH``,
   naming both hashes); a personal file sent with the step is applied only if
   it only tightens (``PERSONAL_REFUSED`` otherwise);
2. refuses a plan its ledger does not know (``UNKNOWN_PLAN``);
3. checks the requester's Ed25519 signature over the exact step, plan, policy,
   decision, expiry and nonce against the pinned identities file
   (:mod:`executors.approvals`);
4. resolves the step's value again at the current price and decides the plan
   again with its own account, quotes and counters (the counters come from its
   own journal of what it sent, whatever ledger the client uses); a decision
   that differs from the one the client showed is refused (``DECISION_MISMATCH``);
5. deny is refused; escalate waits, recorded, for a second signature by another
   identity with the approver role (:meth:`approve`); for a gated step, a price
   that moved past the drift limit since the decision (or approval) is refused
   (``CONFIRM_AGAIN``);
6. sends once: the client order id comes from the plan and step ids, and the
   journal remembers it.

Every decision it makes, every refusal, every order and fill is written to its
journal and to the ledger it was given. :meth:`reconcile` (run on start and in
the background) looks up every order the journal has not seen finish and writes
what the venue says into both.
"""

from __future__ import annotations

import asyncio
import logging
import os
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Literal

from pydantic import Field, TypeAdapter

from executors.approvals import (
    ApprovableStep,
    ApprovalRefused,
    ApprovalSettings,
    Gatekeeper,
    SignedApproval,
    SignedRequest,
    check_decision_matches,
    check_drift,
)
from executors.base import Executor, OrderRequest, OrderState, OrderStatus
from executors.ids import client_order_id, run_id
from executors.journal import (
    HeldTrigger,
    ScheduleEntry,
    SentValue,
    SqliteJournal,
    WaitingEntry,
)
from executors.schedule_runs import next_run
from foundation.clock import Clock
from foundation.errors import (
    ExchangeError,
    ExecutionError,
    LedgerError,
    OrderNotFound,
    OrderStateUnknown,
    PolicyError,
    SignoffError,
)
from intent.canonical import content_hash
from intent.market import AccountSnapshot, MarketData, MarketRules
from intent.plan import Frozen
from intent.resolved import ResolvedCancel, ResolvedOrder, ResolvedStep
from policy.counters import Counters, Execution, PendingOrder, RecentOrder
from policy.decision import SEVERITY, Reason, StepDecision
from policy.engine import evaluate

if TYPE_CHECKING:
    from collections.abc import Callable

    from executors.paper.engine import PaperEngine
    from ledger.service import Ledger
    from ledger.service import OrderStatus as LedgerStatus
    from policy.model import Policy

log = logging.getLogger("signoff.executor")

_STEP = TypeAdapter(ResolvedOrder | ResolvedCancel)
_STEPS = TypeAdapter(list[ResolvedStep])
# ledger order statuses for the venue's
_LEDGER_STATUS: dict[str, str] = {
    "open": "open",
    "partially_filled": "partially_filled",
    "filled": "filled",
    "canceled": "canceled",
    "rejected": "rejected",
    "expired": "expired",
    "not_found": "rejected",
}
GATE_RULE = "executor.gate"


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
    status: Literal["sent", "waiting", "rejected", "already_sent"] = "sent"
    decision: StepDecision | None = Field(default=None, description="the executor's decision")


class WaitingView(Frozen):
    """An escalated step as it waits for (or got) its second signature."""

    plan_id: str
    step_id: str
    step: ResolvedOrder | ResolvedCancel = Field(discriminator="kind")
    requester: str
    decision: StepDecision
    status: Literal["waiting", "approved", "rejected", "sent", "refused"]
    approver: str | None = None
    reason: str | None = None
    created_at: datetime
    expires_at: datetime


class ReconcileResult(Frozen):
    client_order_id: str
    before: str
    after: str


class PolicySource:
    """The firm policy the executor enforces: pinned at start, re-read when its file changes.

    A changed file is noticed before the next send (its stat is checked on every
    decision): a new version is loaded and recorded; a file that no longer loads
    stops every send until it is fixed.
    """

    def __init__(self, policy: Policy, text: str, path: str | None = None) -> None:
        self.policy = policy
        self.text = text
        self.path = path
        self._stat = self._stat_of()
        self.broken: str | None = None

    @classmethod
    def load(cls, path: str) -> PolicySource:
        from foundation.files import read_bytes
        from policy.loader import load_policy_bytes

        data = read_bytes(path)
        return cls(load_policy_bytes(data, path), data.decode("utf-8-sig"), path)

    def _stat_of(self) -> tuple[int, int, int] | None:
        if self.path is None:
            return None
        try:
            st = os.stat(self.path)
        except OSError:
            return (0, 0, 0)
        return (st.st_mtime_ns, st.st_size, st.st_ino)

    def current(self) -> tuple[Policy, bool]:
        """The policy now, and whether it just changed."""
        if self.path is None:
            return self.policy, False
        stat = self._stat_of()
        if stat == self._stat and self.broken is None:
            return self.policy, False
        from foundation.files import read_bytes
        from policy.loader import load_policy_bytes

        try:
            data = read_bytes(self.path)
            policy = load_policy_bytes(data, self.path)
        except SignoffError as error:
            self._stat = stat
            self.broken = error.message
            raise ApprovalRefused(
                "POLICY_MISMATCH",
                f"the policy file {self.path} changed and no longer loads ({error.message}); "
                "nothing is sent until it is fixed",
                hint="compliance fixes the policy file; the executor reads it again",
            ) from None
        self._stat = stat
        self.broken = None
        if policy.hash == self.policy.hash:
            return self.policy, False
        self.policy = policy
        self.text = data.decode("utf-8-sig")
        return policy, True


def side_price(market: MarketData, step: ResolvedOrder) -> Decimal | None:
    """The price an order of this side trades at now (ask for a buy, bid for a sell)."""
    quote = market.quotes.get(step.symbol)
    if quote is None:
        return None
    return quote.ask if step.side == "buy" else quote.bid


def reprice(step: ResolvedStep, market: MarketData) -> ResolvedStep:
    """A market order valued again at the current price (limit and triggered orders keep theirs)."""
    if (
        not isinstance(step, ResolvedOrder)
        or step.order_type != "market"
        or step.trigger is not None
    ):
        return step
    price = side_price(market, step)
    if price is None or price == step.reference_price:
        return step
    ratio = price / step.reference_price
    return step.model_copy(
        update={
            "reference_price": price,
            "notional": step.quantity * price,
            "notional_reporting": step.notional_reporting * ratio,
        }
    )


@dataclass
class _Decided:
    decision: StepDecision
    account: AccountSnapshot
    market: MarketData
    counters: Counters
    step: ResolvedStep
    decision_id: str | None = None


class ExecutionService:
    def __init__(
        self,
        executor: Executor,
        journal: SqliteJournal,
        gatekeeper: Gatekeeper,
        *,
        clock: Clock,
        policy: PolicySource,
        ledger: Ledger | None = None,
        validity: timedelta | None = None,
        drift_limit_pct: Decimal | None = None,
        settle: timedelta = timedelta(seconds=10),
        view_ttl: timedelta = timedelta(0),
    ) -> None:
        self.executor = executor
        self.journal = journal
        self.gatekeeper = gatekeeper
        self.clock = clock
        self.policies = policy
        self.ledger = ledger
        self._validity = validity
        self._drift = drift_limit_pct
        # an order the venue does not know is only declared never-placed once
        # its request can no longer arrive (the venue's receive window is over)
        self.settle = settle
        # one account per executor: deciding and sending happen one step at a time
        self._gate = asyncio.Lock()
        self._rules: dict[str, MarketRules] | None = None
        self._known_plans: set[str] = set()
        # what this process last wrote to the ledger per order: (status, filled, trade ids)
        self._ledger_seen: dict[str, tuple[str, Decimal | None, frozenset[str]]] = {}
        # the trading-state changes (`signoff halt --cancel-open`) already carried out
        self._canceled_for: set[int] = set()
        # where the loss breaker latches (None: the firm-wide trading-state log)
        self.breaker_log: str | None = None
        self.breaker_identities: str | None = None
        # the account and quotes a decision uses (see _venue_view): kept at most
        # view_ttl, and never across one of this executor's own sends or cancels
        self._view_ttl = view_ttl
        self._seen: tuple[int, datetime, AccountSnapshot, MarketData] | None = None
        self._view_epoch = 0
        self._view_task: asyncio.Task[None] | None = None
        # the policy's view of each journal row, made once (see _recent)
        self._recent_orders: dict[int, tuple[SentValue, RecentOrder]] = {}
        self._executions: dict[tuple[str, datetime], Execution] = {}
        # ledger syncs started after a reply (see _flush_soon), kept until done
        self._flushes: set[asyncio.Task[None]] = set()
        # the plan of each order this process recorded the intent of
        self._ledger_plans: dict[str, str] = {}

    @property
    def venue(self) -> str:
        return self.executor.venue

    @property
    def expected_policy_hash(self) -> str:
        return self.policies.policy.hash

    def settings(self, policy: Policy | None = None) -> ApprovalSettings:
        chosen = policy or self.policies.policy
        return ApprovalSettings.from_policy(chosen.approvals).tightened(self._validity, self._drift)

    async def start(self) -> list[ReconcileResult]:
        from executors.paper.executor import PaperExecutor

        if isinstance(self.executor, PaperExecutor) and self.executor.engine.fire_check is None:
            # the paper engine holds its triggers itself: each is decided again as it fires
            self.executor.engine.fire_check = self.paper_fire_check(self.executor.engine)
        await self.executor.start()
        self._record_policy_version(self.policies.policy, self.policies.text)
        return await self.reconcile()

    async def close(self) -> None:
        task, self._view_task = self._view_task, None
        if task is not None:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
        await self.executor.close()
        if self._flushes:
            await asyncio.gather(*self._flushes, return_exceptions=True)
        await self.flush_ledger()

    def _flush_soon(self) -> None:
        """Sync the ledger's lazy commits once the reply is on its way (see
        :meth:`flush_ledger`): the requester is not kept waiting for the disk, and
        ``signoff audit verify`` run next finds the head published."""
        if self.ledger is None:
            return
        task = asyncio.get_running_loop().create_task(self.flush_ledger())
        self._flushes.add(task)
        task.add_done_callback(self._flushes.discard)

    async def flush_ledger(self) -> None:
        """Put the ledger's records of acknowledged orders on the disk (see
        :meth:`ledger.service.Ledger.sync`): after each reply, every second, on close."""
        if self.ledger is not None:
            try:
                await asyncio.to_thread(self.ledger.sync)
            except LedgerError as error:
                log.warning("could not sync the ledger: %s", error)

    # ------------------------------------------------------------------ the venue's view
    async def _venue_view(self) -> tuple[AccountSnapshot, MarketData]:
        """The account and quotes to decide with.

        With no ``view_ttl`` (the default) both are read from the venue now. With
        one, a view read *after* this executor's last own send or cancel (see
        :meth:`_changed_account`, which also starts reading the next view at once)
        and at most ``view_ttl`` old is used; anything else is read now. What the
        executor does itself is therefore always in the view; what changes the
        account outside it (a resting order filled, a transfer) is seen within
        ``view_ttl``, as with a read at decision time it is seen only up to the
        moment of that read. The counters (budget, rate, open orders sent) never
        come from here: they are read from the journal at every decision.
        """
        if self._view_ttl <= timedelta(0):
            account, market = await asyncio.gather(self.executor.account(), self.market())
            return account, market
        task = self._view_task
        if task is not None:
            await asyncio.gather(task, return_exceptions=True)
        view = self._seen
        if (
            view is not None
            and view[0] == self._view_epoch
            and self.clock.now() - view[1] <= self._view_ttl
        ):
            return view[2], view[3]
        await self._read_view()
        view = self._seen
        if view is None or view[0] != self._view_epoch:  # pragma: no cover - under the gate
            account, market = await asyncio.gather(self.executor.account(), self.market())
            return account, market
        return view[2], view[3]

    async def _read_view(self) -> None:
        epoch = self._view_epoch
        taken = self.clock.now()
        account, market = await asyncio.gather(self.executor.account(), self.market())
        if epoch == self._view_epoch:  # nothing was sent or canceled meanwhile
            self._seen = (epoch, taken, account, market)

    def _changed_account(self, *, done: bool) -> None:
        """This executor is about to change the account (``done``: just did): no view
        read before counts any more; once done, the next view is read at once."""
        if self._view_ttl <= timedelta(0):
            return
        self._view_epoch += 1
        self._seen = None
        if done:
            self._view_task = asyncio.create_task(self._prefetch())

    async def _prefetch(self) -> None:
        try:
            await self._read_view()
        except SignoffError as error:  # the next decision reads the venue itself
            log.info("reading the account after a send failed: %s", error.message)

    # ------------------------------------------------------------------ policy
    def _record_policy_version(self, policy: Policy, text: str) -> None:
        if self.ledger is None:
            return
        try:
            self.ledger.record_policy_version(stamp=policy.stamp, text=text, actor="executor")
        except LedgerError as error:
            log.warning("could not record the policy version: %s", error.message)

    def current_policy(self) -> Policy:
        policy, changed = self.policies.current()
        if changed:
            log.info("policy changed: now %s %s (%s)", policy.id, policy.version, policy.hash)
            self._record_policy_version(policy, self.policies.text)
        return policy

    def _effective(self, policy: Policy, personal: str | None, decision: StepDecision) -> Policy:
        if decision.policy.hash != policy.hash:
            raise ApprovalRefused(
                "POLICY_MISMATCH",
                f"the step was decided on policy {decision.policy.hash[:12]}, but this executor "
                f"enforces {policy.id} {policy.version} ({policy.hash[:12]})",
                hint="decide the plan again with the executor's policy "
                "(signoff uses it when you give no --policy)",
            )
        effective = policy
        if personal is not None:
            from policy.personal import apply_personal

            try:
                effective = apply_personal(personal, "personal file sent with the step", policy)
            except PolicyError as error:
                raise ApprovalRefused(
                    "PERSONAL_REFUSED",
                    f"the personal file sent with the step is not applied: {error.message}",
                    hint="a personal file may only make the firm's policy stricter",
                ) from None
        if decision.policy.personal_hash != effective.stamp.personal_hash:
            raise ApprovalRefused(
                "POLICY_MISMATCH",
                "the step was decided with another personal file than the one sent with it",
                hint="decide the plan again",
            )
        return effective

    def _check_plan(self, plan_id: str) -> None:
        if self.ledger is None:
            return
        if not self._plan_known(plan_id):
            raise ApprovalRefused(
                "UNKNOWN_PLAN",
                f"plan {plan_id} is not in the executor's ledger ({self.ledger.where})",
                hint="propose the request through signoff with the executor's ledger",
            )

    def _plan_known(self, plan_id: str) -> bool:
        if self.ledger is None or plan_id in self._known_plans:
            return True
        found = self.ledger.plan_exists(plan_id)
        if found:
            self._known_plans.add(plan_id)  # a recorded plan never goes away
        return found

    # ------------------------------------------------------------------ counters
    def counters(
        self,
        policy: Policy,
        now: datetime,
        *,
        plan_id: str | None = None,
        plan_steps: frozenset[str] = frozenset(),
        own_order: str | None = None,
        account: AccountSnapshot | None = None,
        market: MarketData | None = None,
        latch: bool = True,
    ) -> Counters:
        """What the policy needs from history, from this executor's own journal.

        The orders of ``plan_id`` whose steps are in ``plan_steps`` are left out:
        deciding the plan counts them itself, in order. The loss breaker's figures come
        from the journal's fills (:mod:`executors.breaker`), which latches the trading
        state when a limit is passed (``latch``).
        """
        since = now - timedelta(days=1)
        orders: list[RecentOrder] = []
        # when each step of each plan was sent: a plan sends each step once per run, so
        # a schedule's step sent at three runs makes three executions of its plan
        sends: dict[str, dict[str, list[datetime]]] = {}
        for sent in self.journal.sent_since(self.venue, since):
            if sent.plan_id == plan_id and sent.step_id in plan_steps:
                continue
            if sent.client_order_id == own_order:
                continue
            orders.append(self._recent(sent))
            sends.setdefault(sent.plan_id, {}).setdefault(sent.step_id, []).append(sent.created_at)
        executions: list[tuple[str, datetime]] = []
        for sent_plan, steps in sends.items():
            runs = max(steps.values(), key=len)
            if len(runs) == 1:  # one run of the plan: when its first step went
                runs = [min(times[0] for times in steps.values())]
            executions.extend((sent_plan, at) for at in runs)
        messages = sorted([o.at for o in orders] + self.journal.messages_since(self.venue, since))
        pending = tuple(
            PendingOrder(symbol=e.request.symbol)
            for e in self.journal.unfinished(self.venue)
            if e.status == "sending" and not (e.plan_id == plan_id and e.step_id in plan_steps)
        )
        assets = {a for s in self.journal.symbols_traded(self.venue) for a in s.split("/")}
        # the firm-wide state compliance sets (signoff halt/resume: a signed log, read
        # before each decision, failing closed) and the policy's own: the stricter wins
        from executors.trading_state import current_state
        from policy.model import STATE_SEVERITY

        firm = current_state().state
        state = (
            policy.trading_state
            if STATE_SEVERITY[policy.trading_state] >= STATE_SEVERITY[firm]
            else firm
        )
        counters = Counters(
            orders=tuple(orders),
            messages=tuple(messages),
            executions=tuple(self._execution(p, t) for p, t in executions),
            pending=pending,
            assets_traded=frozenset(assets),
            trading_state=state,
        )
        from executors.breaker import with_loss_figures

        return with_loss_figures(
            self, policy, counters, now, account=account, market=market, latch=latch
        )

    def _execution(self, plan_id: str, at: datetime) -> Execution:
        """A plan's first order as the policy counts it (made once: it never changes)."""
        made = self._executions.get((plan_id, at))
        if made is None:
            if len(self._executions) > 100_000:
                self._executions.clear()
            made = self._executions[(plan_id, at)] = Execution(plan_id=plan_id, at=at)
        return made

    def _recent(self, sent: SentValue) -> RecentOrder:
        """``sent`` as the policy counts it (made once per journal row: rows never change)."""
        made = self._recent_orders.get(id(sent))
        if made is not None and made[0] is sent:
            return made[1]
        request = sent.request
        recent = RecentOrder(
            symbol=request.symbol,
            side=request.side,
            order_type=request.order_type,
            quantity=request.quantity,
            limit_price=request.limit_price,
            notional=sent.notional,
            at=sent.created_at,
        )
        if len(self._recent_orders) > 100_000:
            self._recent_orders.clear()
        self._recent_orders[id(sent)] = (sent, recent)
        return recent

    async def market(self) -> MarketData:
        if self._rules is None:
            self._rules = await self.executor.market_rules()
        quotes = await self.executor.quotes(sorted(self._rules))
        return MarketData(rules=self._rules, quotes=quotes)

    async def preview(
        self, plan_id: str, steps: tuple[ResolvedStep, ...], personal: str | None = None
    ) -> tuple[StepDecision, ...]:
        """What this executor would decide on ``steps`` now; records nothing."""
        policy = self.current_policy()
        if personal is not None:
            from policy.personal import apply_personal

            policy = apply_personal(personal, "personal file", policy)
        now = self.clock.now()
        account = await self.executor.account()
        market = await self.market()
        counters = self.counters(
            policy,
            now,
            plan_id=plan_id,
            plan_steps=frozenset(s.step_id for s in steps),
            account=account,
            market=market,
            latch=False,
        )
        return evaluate(
            tuple(reprice(s, market) for s in steps),
            policy=policy,
            account=account,
            market=market,
            counters=counters,
            now=now,
            plan_id=plan_id,
        )

    async def _decide(
        self,
        plan_id: str,
        step: ApprovableStep,
        plan_steps: tuple[ResolvedStep, ...],
        policy: Policy,
        now: datetime,
        *,
        firing: bool = False,
        actor: str = "executor",
        record: bool = True,
    ) -> _Decided:
        """Decide the plan again, now, with this executor's account, quotes and counters."""
        steps = plan_steps or (step,)
        mine = [s for s in steps if s.step_id == step.step_id]
        if len(mine) != 1 or content_hash(mine[0]) != content_hash(step):
            raise ApprovalRefused(
                "CONTENT_MISMATCH",
                f"the plan sent with step {step.step_id} does not contain it as signed",
                hint="send the plan's steps as they were resolved",
            )
        account, market = await self._venue_view()
        return self._decide_with(
            plan_id,
            step,
            steps,
            policy,
            now,
            account,
            market,
            firing=firing,
            actor=actor,
            record=record,
        )

    def _decide_with(
        self,
        plan_id: str,
        step: ApprovableStep,
        steps: tuple[ResolvedStep, ...],
        policy: Policy,
        now: datetime,
        account: AccountSnapshot,
        market: MarketData,
        *,
        firing: bool,
        actor: str,
        record: bool,
        own_order: str | None = None,
    ) -> _Decided:
        """:meth:`_decide` on an account and quotes already read.

        Deciding a plan, its own steps already sent are left out of the counters (the
        decision counts the plan's steps itself). Deciding an order as it fires
        (``firing``), only that order (``own_order``, if it was sent before, as a
        trigger was) is left out: a schedule's earlier runs count like any order."""
        mine = {s.step_id for s in steps}
        held = [
            self._held_state(h).as_open_order()
            for h in self.journal.held(self.venue)
            if not (h.plan_id == plan_id and h.step_id in mine)
        ]
        if held:
            # the triggers this executor holds are open orders of the account, as they
            # would be if they rested at the venue
            account = account.model_copy(update={"open_orders": (*account.open_orders, *held)})
        counters = self.counters(
            policy,
            now,
            plan_id=plan_id,
            plan_steps=frozenset() if firing else frozenset(mine),
            own_order=own_order,
            account=account,
            market=market,
        )
        priced = tuple(reprice(s, market) for s in steps)
        decisions = evaluate(
            priced,
            policy=policy,
            account=account,
            market=market,
            counters=counters,
            now=now,
            plan_id=plan_id,
            firing=firing,
        )
        from executors.shadow import shadow_check

        # shadow mode: a candidate policy decided beside this one, disagreements recorded
        shadow_check(
            priced,
            decisions,
            account=account,
            market=market,
            counters=counters,
            now=now,
            plan_id=plan_id,
            firing=firing,
        )
        index = [s.step_id for s in steps].index(step.step_id)
        decided = _Decided(decisions[index], account, market, counters, priced[index])
        if record:
            decided.decision_id = self._record_decision(plan_id, decided, actor)
        return decided

    def _record_decision(self, plan_id: str, decided: _Decided, actor: str) -> str | None:
        if self.ledger is None or not self._plan_known(plan_id):
            return None
        # the inputs that matter: the quotes of the step's own market and of the
        # pairs that value it in the policy currency (the whole board is not needed)
        step = decided.step
        wanted = {"USDT", "USDC"} | (
            {step.base, step.quote} if isinstance(step, ResolvedOrder) else set()
        )
        quotes = {
            symbol: quote
            for symbol, quote in decided.market.quotes.items()
            if set(symbol.split("/")) <= wanted
        }
        try:
            [recorded] = self.ledger.record_decisions(
                plan_id=plan_id,
                decisions=[decided.decision],
                snapshot=decided.account,
                quotes=quotes,
                counters=decided.counters.model_dump(mode="json"),
                actor=actor,
            )
        except LedgerError as error:
            log.warning("could not record the executor's decision: %s", error.message)
            return None
        return recorded.id

    def _record_refusal(
        self, plan_id: str, step_id: str, refusal: ApprovalRefused, actor: str
    ) -> None:
        now = self.clock.now()
        self.journal.record_refusal(
            plan_id=plan_id, step_id=step_id, code=refusal.code, message=refusal.message, at=now
        )
        log.info("refused %s:%s for %s: %s", plan_id, step_id, actor, refusal.message)
        if self.ledger is None or not self._plan_known(plan_id):
            return
        policy = self.policies.policy
        decision = StepDecision(
            step_id=step_id,
            decision="deny",
            reasons=(
                Reason(
                    rule=GATE_RULE,
                    code=refusal.code,
                    effect="deny",
                    message=refusal.message,
                ),
            ),
            policy=policy.stamp,
            decided_at=now,
        )
        try:
            self.ledger.record_decisions(
                plan_id=plan_id,
                decisions=[decision],
                snapshot=AccountSnapshot(account_id="-", venue=self.venue, taken_at=now),
                quotes={},
                counters={"refused_by": actor},
                actor=actor,
            )
        except LedgerError as error:
            log.warning("could not record a refusal: %s", error.message)

    # ------------------------------------------------------------------ execution
    async def execute(
        self,
        *,
        plan_id: str,
        step: ApprovableStep,
        decision: StepDecision,
        request: SignedRequest | None,
        plan_steps: tuple[ResolvedStep, ...] = (),
        personal: str | None = None,
        approval: SignedApproval | None = None,
        actor: str = "executor",
    ) -> StepResult:
        """Carry out one step if, decided again here and now, it is allowed or validly signed.

        An escalated step without a second signature is recorded as waiting and
        returned with status ``waiting``; :meth:`approve` completes it.
        """
        async with self._gate:
            await self._apply_cancel_open()
            try:
                return await self._execute(
                    plan_id, step, decision, request, plan_steps, personal, approval, actor
                )
            except ApprovalRefused as refusal:
                self._record_refusal(plan_id, step.step_id, refusal, actor)
                raise

    async def _execute(
        self,
        plan_id: str,
        step: ApprovableStep,
        decision: StepDecision,
        request: SignedRequest | None,
        plan_steps: tuple[ResolvedStep, ...],
        personal: str | None,
        approval: SignedApproval | None,
        actor: str,
    ) -> StepResult:
        now = self.clock.now()
        check_decision_matches(step, decision)
        policy = self._effective(self.current_policy(), personal, decision)
        settings = self.settings(policy)
        self._check_plan(plan_id)
        self.gatekeeper.check_request(
            request,
            plan_id=plan_id,
            step=step,
            policy_hash=policy.hash,
            now=now,
            settings=settings,
            personal_hash=policy.stamp.personal_hash,
        )
        assert request is not None
        requester = request.claims.requester
        who = f"{actor} for {requester}"
        if isinstance(step, ResolvedOrder):
            done = await self._already_sent(plan_id, step)
            if done is not None:
                return done
        # its own decision goes into the ledger when it is not the one the client showed
        # (and recorded) or when the step waits; when they agree, the order the executor
        # records is its decision's record
        decided = await self._decide(plan_id, step, plan_steps, policy, now, record=False)
        own = decided.decision
        shown = request.claims.decision
        if own.decision != shown or decision.decision != shown or own.decision == "escalate":
            decided.decision_id = self._record_decision(plan_id, decided, who)
        if own.decision != shown or decision.decision != shown:
            reasons = "; ".join(r.message for r in own.reasons) or "no rule applies"
            raise ApprovalRefused(
                "DECISION_MISMATCH",
                f"step {step.step_id} was shown as {shown} but the executor decides "
                f"{own.decision} now ({reasons})",
                hint="decide the plan again and look at it before confirming",
            )
        if own.decision == "deny":
            reasons = "; ".join(r.message for r in own.reasons) or "no reason given"
            raise ApprovalRefused(
                "DENIED",
                f"step {step.step_id} is denied by the policy ({reasons})",
                hint="a denied step is never executed; change the plan or ask compliance",
            )
        if own.needs_approval:
            self._check_drift("decision", step, decided.market, settings)
        if own.decision == "escalate":
            if approval is None:
                return self._wait(plan_id, step, plan_steps, request, own, personal, now)
            approver = self.gatekeeper.check_approval(
                approval,
                plan_id=plan_id,
                step=step,
                policy_hash=policy.hash,
                requester=requester,
                now=now,
                settings=settings,
            )
            if approval.claims.outcome != "approve":
                raise ApprovalRefused(
                    "REJECTED", f"step {step.step_id} was rejected by {approver.name}"
                )
            self._consume_approval(approval)
            self._record_approval(plan_id, step, approval, own)
        self.gatekeeper.consume(
            request.claims.nonce,
            plan_id=plan_id,
            step_id=step.step_id,
            expires_at=request.claims.expires_at,
            now=now,
        )
        return await self._carry_out(plan_id, step, decided, who)

    def _check_drift(
        self,
        what: str,
        step: ApprovableStep,
        market: MarketData,
        settings: ApprovalSettings,
        reference: Decimal | None = None,
    ) -> None:
        if not isinstance(step, ResolvedOrder) or step.trigger is not None:
            return
        check_drift(
            what,
            step.symbol,
            reference if reference is not None else step.reference_price,
            side_price(market, step),
            settings.drift_limit_pct,
        )

    async def _carry_out(
        self, plan_id: str, step: ApprovableStep, decided: _Decided, actor: str
    ) -> StepResult:
        if isinstance(step, ResolvedCancel):
            result = await self._cancel(plan_id, step)
            return result.model_copy(update={"decision": decided.decision})
        cid = client_order_id(plan_id, step.step_id)
        request = OrderRequest.from_resolved(step, cid)
        value = decided.step.notional_reporting if isinstance(decided.step, ResolvedOrder) else 0
        self.journal.record_value(
            cid, Decimal(value), step=step.model_dump_json(), decision=decided.decision.decision
        )
        if request.schedule is not None:
            result = await self._start_schedule(plan_id, step.step_id, request, actor)
        elif request.conditional and self.holds_triggers:
            state = self._hold(plan_id, step.step_id, request, actor, decided.decision_id)
            result = StepResult(
                plan_id=plan_id, step_id=step.step_id, kind="order", orders=(state,)
            )
        else:
            state = await self._send(plan_id, step.step_id, request, actor, decided.decision_id)
            result = StepResult(
                plan_id=plan_id, step_id=step.step_id, kind="order", orders=(state,)
            )
        return result.model_copy(update={"decision": decided.decision})

    async def _already_sent(self, plan_id: str, step: ResolvedOrder) -> StepResult | None:
        cid = client_order_id(plan_id, step.step_id)
        request = OrderRequest.from_resolved(step, cid)
        scheduled = self.journal.schedule(cid)
        earlier = scheduled.request if scheduled else None
        existing = self.journal.get(cid)
        held = self.journal.held_entry(cid)
        if existing is not None:
            earlier = existing.request
        if held is not None:
            earlier = held.request  # as approved (the order sent at firing has no trigger)
        if earlier is not None and earlier != request:
            raise ExecutionError(
                f"step {step.step_id} of plan {plan_id} was already sent with other content "
                f"({earlier.side} {earlier.quantity} {earlier.symbol})",
                hint="a step is sent once; give a changed order a new step id or plan",
            )
        if held is not None and existing is None:
            return StepResult(
                plan_id=plan_id,
                step_id=step.step_id,
                kind="order",
                orders=(self._held_state(held),),
                already_sent=True,
                status="already_sent",
            )
        if scheduled is not None:
            return StepResult(
                plan_id=plan_id,
                step_id=step.step_id,
                kind="order",
                orders=tuple(self._runs(scheduled)),
                schedule=self._schedule_status(scheduled),
                already_sent=True,
                status="already_sent",
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
                status="already_sent",
            )
        return None

    # ------------------------------------------------------------------ waiting approvals
    def _wait(
        self,
        plan_id: str,
        step: ApprovableStep,
        plan_steps: tuple[ResolvedStep, ...],
        request: SignedRequest,
        decision: StepDecision,
        personal: str | None,
        now: datetime,
    ) -> StepResult:
        existing = self.journal.waiting_entry(plan_id, step.step_id)
        if existing is None:
            self.gatekeeper.consume(
                request.claims.nonce,
                plan_id=plan_id,
                step_id=step.step_id,
                expires_at=request.claims.expires_at,
                now=now,
            )
            self.journal.record_waiting(
                WaitingEntry(
                    plan_id=plan_id,
                    step_id=step.step_id,
                    venue=self.venue,
                    step=step.model_dump_json(),
                    plan_steps=_STEPS.dump_json(list(plan_steps or (step,))).decode(),
                    request=request.model_dump_json(),
                    decision=decision.model_dump_json(),
                    personal=personal,
                    status="waiting",
                    created_at=now,
                    expires_at=request.claims.expires_at,
                    updated_at=now,
                )
            )
            log.info("%s:%s waits for a second signature", plan_id, step.step_id)
        return StepResult(
            plan_id=plan_id,
            step_id=step.step_id,
            kind="order" if isinstance(step, ResolvedOrder) else "cancel",
            status="waiting",
            decision=decision,
        )

    @staticmethod
    def _view(entry: WaitingEntry) -> WaitingView:
        request = SignedRequest.model_validate_json(entry.request)
        approver = None
        if entry.approval:
            approver = SignedApproval.model_validate_json(entry.approval).claims.approver
        return WaitingView(
            plan_id=entry.plan_id,
            step_id=entry.step_id,
            step=_STEP.validate_json(entry.step),
            requester=request.claims.requester,
            decision=StepDecision.model_validate_json(entry.decision),
            status=entry.status,
            approver=approver,
            reason=entry.reason,
            created_at=entry.created_at,
            expires_at=entry.expires_at,
        )

    def waiting(self, plan_id: str | None = None, *, everything: bool = False) -> list[WaitingView]:
        """Escalated steps waiting for a second signature (``everything``: in any state)."""
        now = self.clock.now()
        views = [
            self._view(e)
            for e in self.journal.waiting_entries(
                status=None if everything else "waiting", plan_id=plan_id
            )
        ]
        if everything:
            return views
        return [v for v in views if v.expires_at > now]

    async def approve(
        self, *, plan_id: str, step_id: str, approval: SignedApproval, actor: str = "executor"
    ) -> StepResult:
        """A second person's signed approval (or rejection) of a waiting step; sends it once."""
        async with self._gate:
            try:
                return await self._approve(plan_id, step_id, approval, actor)
            except ApprovalRefused as refusal:
                self._record_refusal(plan_id, step_id, refusal, actor)
                raise

    async def _approve(
        self, plan_id: str, step_id: str, approval: SignedApproval, actor: str
    ) -> StepResult:
        now = self.clock.now()
        entry = self.journal.waiting_entry(plan_id, step_id)
        if entry is None or entry.status != "waiting":
            raise ApprovalRefused(
                "NOT_WAITING",
                f"step {step_id} of plan {plan_id} is not waiting for approval"
                + (f" (it is {entry.status})" if entry else ""),
                hint="'signoff approvals' lists the steps that wait",
            )
        step = _STEP.validate_json(entry.step)
        request = SignedRequest.model_validate_json(entry.request)
        waited = StepDecision.model_validate_json(entry.decision)
        if now >= entry.expires_at:
            self.journal.set_waiting(plan_id, step_id, "refused", at=now, reason="expired")
            raise ApprovalRefused(
                "EXPIRED",
                f"step {step_id} waited past {entry.expires_at.isoformat()}",
                hint="the requester asks again",
            )
        policy = self._effective(self.current_policy(), entry.personal, waited)
        settings = self.settings(policy)
        approver = self.gatekeeper.check_approval(
            approval,
            plan_id=plan_id,
            step=step,
            policy_hash=policy.hash,
            requester=request.claims.requester,
            now=now,
            settings=settings,
        )
        self._consume_approval(approval)
        self._record_approval(plan_id, step, approval, waited)
        who = f"{actor} for {approver.name}"
        if approval.claims.outcome == "reject":
            self.journal.set_waiting(
                plan_id,
                step_id,
                "rejected",
                at=now,
                approval=approval.model_dump_json(),
                reason=approval.claims.reason,
            )
            log.info("%s:%s rejected by %s", plan_id, step_id, approver.name)
            return StepResult(
                plan_id=plan_id,
                step_id=step_id,
                kind="order" if isinstance(step, ResolvedOrder) else "cancel",
                status="rejected",
                decision=waited,
            )
        self.journal.set_waiting(
            plan_id, step_id, "approved", at=now, approval=approval.model_dump_json()
        )
        plan_steps = tuple(_STEPS.validate_json(entry.plan_steps))
        try:
            decided = await self._decide(plan_id, step, plan_steps, policy, now, actor=who)
            own = decided.decision
            if own.decision != waited.decision:
                reasons = "; ".join(r.message for r in own.reasons) or "no rule applies"
                raise ApprovalRefused(
                    "DECISION_MISMATCH",
                    f"step {step_id} waited as {waited.decision} but the executor decides "
                    f"{own.decision} now ({reasons})",
                    hint="the requester decides the plan again",
                )
            self._check_drift("decision", step, decided.market, settings)
        except ApprovalRefused as refusal:
            self.journal.set_waiting(plan_id, step_id, "refused", at=now, reason=refusal.message)
            raise
        result = await self._carry_out(plan_id, step, decided, who)
        self.journal.set_waiting(plan_id, step_id, "sent", at=self.clock.now())
        return result

    def _consume_approval(self, approval: SignedApproval) -> None:
        claims = approval.claims
        self.gatekeeper.consume(
            claims.nonce,
            plan_id=claims.plan_id,
            step_id=claims.step_id,
            expires_at=claims.expires_at,
            now=self.clock.now(),
        )

    def _record_approval(
        self, plan_id: str, step: ApprovableStep, approval: SignedApproval, decision: StepDecision
    ) -> None:
        if self.ledger is None or not self._plan_known(plan_id):
            return
        claims = approval.claims
        try:
            self.ledger.record_approval(
                plan_id=plan_id,
                step_id=step.step_id,
                approver=claims.approver,
                role="escalate",
                content_hash=content_hash(step),
                policy_hash=decision.policy.hash,
                expires_at=claims.expires_at,
                outcome="approved" if claims.outcome == "approve" else "rejected",
                nonce=claims.nonce,
            )
        except LedgerError as error:
            log.warning("could not record an approval: %s", error.message)

    async def resume(self, plan_id: str) -> list[StepResult]:
        """Where each step of a plan that waited stands now (sent ones with their orders)."""
        results: list[StepResult] = []
        for view in self.waiting(plan_id, everything=True):
            step = view.step
            orders: tuple[OrderState, ...] = ()
            if isinstance(step, ResolvedOrder):
                found = self.journal.get(client_order_id(plan_id, step.step_id))
                if found is not None:
                    state = found.state
                    if not found.finished:
                        state = await self._refresh(found.request)
                    orders = (state,) if state else ()
            status: Literal["sent", "waiting", "rejected", "already_sent"] = (
                "sent"
                if view.status == "sent"
                else "rejected"
                if view.status in ("rejected", "refused")
                else "waiting"
            )
            results.append(
                StepResult(
                    plan_id=plan_id,
                    step_id=view.step_id,
                    kind="order" if isinstance(step, ResolvedOrder) else "cancel",
                    orders=orders,
                    status=status,
                    decision=view.decision,
                )
            )
        return results

    # ------------------------------------------------------------------ ledger
    def _ledger_intent(
        self,
        plan_id: str,
        step_id: str,
        request: OrderRequest,
        actor: str,
        decision_id: str | None,
    ) -> None:
        if self.ledger is None or not self._plan_known(plan_id):
            return
        if request.client_order_id in self._ledger_seen:
            return
        made = self.ledger.record_order_intent_if_new(
            plan_id=plan_id,
            step_id=step_id,
            client_order_id=request.client_order_id,
            venue=self.venue,
            symbol=request.symbol,
            side=request.side,
            order_type=request.order_type,
            quantity=request.quantity,
            limit_price=request.limit_price,
            actor=actor,
            decision_id=decision_id,
        )
        # None: recorded before (a restart, a retry), and left as it is
        if made is not None:
            self._ledger_seen[request.client_order_id] = ("intent", None, frozenset())
            self._ledger_plans[request.client_order_id] = plan_id

    def _ledger_state(
        self, state: OrderState, actor: str = "executor", *, durable: bool = True
    ) -> None:
        """What the venue says about an order, in the ledger (only what changed).

        ``durable=False`` (the acknowledgement of an order just sent): the commit does
        not wait for the disk; :meth:`_flush_soon` syncs it right after the reply.
        It is learned again from the journal and the venue after any crash."""
        if self.ledger is None:
            return
        try:
            cid = state.client_order_id
            seen = self._ledger_seen.get(cid)
            if seen is None:
                view = self.ledger.order(cid)
                if view is None:
                    return
                seen = (
                    view.status,
                    view.filled_quantity,
                    frozenset(f.trade_id for f in view.fills),
                )
            from ledger.service import FillRecord

            status: LedgerStatus = _LEDGER_STATUS[state.status]  # type: ignore[assignment]
            changed = seen[0] != status or (seen[1] or 0) != state.filled
            fills = [
                FillRecord(
                    trade_id=fill.trade_id,
                    quantity=fill.quantity,
                    price=fill.price,
                    fee=fill.fee,
                    fee_asset=fill.fee_asset,
                    filled_at=fill.time,
                )
                for fill in state.fills
                if fill.trade_id not in seen[2]
            ]
            # the status and its fills in one transaction: one commit, one wait for the disk
            self.ledger.record_order_update(
                client_order_id=cid,
                actor=actor,
                status=status if changed else None,
                exchange_order_id=state.order_id,
                filled_quantity=state.filled,
                average_price=state.average_price,
                detail=state.reason
                or ("the venue never received it" if state.status == "not_found" else None),
                fills=fills,
                plan_id=self._ledger_plans.get(cid),
                durable=durable,
            )
            self._ledger_seen[cid] = (
                status,
                state.filled,
                seen[2] | {f.trade_id for f in state.fills},
            )
        except LedgerError as error:
            log.warning("could not record %s in the ledger: %s", state.client_order_id, error)

    def _ledger_unknown(self, client_order_id: str, reason: str) -> None:
        if self.ledger is None:
            return
        self._ledger_seen.pop(client_order_id, None)
        try:
            if self.ledger.order(client_order_id) is not None:
                self.ledger.record_order_status(
                    client_order_id=client_order_id,
                    status="unknown",
                    actor="executor",
                    detail=reason,
                )
        except LedgerError as error:
            log.warning("could not record %s in the ledger: %s", client_order_id, error)

    def sync_ledger(self) -> int:
        """Write every journal state the ledger lacks (after a crash between the two)."""
        if self.ledger is None:
            return 0
        count = 0
        for entry in self.journal.entries():
            if entry.venue != self.venue or entry.state is None:
                continue
            view = self.ledger.order(entry.client_order_id)
            if view is not None and view.status != _LEDGER_STATUS[entry.state.status]:
                self._ledger_state(entry.state)
                count += 1
        return count

    # ------------------------------------------------------------------ schedules
    async def _start_schedule(
        self, plan_id: str, step_id: str, request: OrderRequest, actor: str = "executor"
    ) -> StepResult:
        """A recurring step: one approval covers its runs; the first runs now."""
        now = self.clock.now()
        self.journal.record_schedule(
            plan_id=plan_id, step_id=step_id, venue=self.venue, request=request, first_at=now
        )
        self._ledger_intent(plan_id, step_id, request, actor, None)
        await self._run_due()
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

    async def _cancel_at_venue(self, order: OrderState) -> OrderState | None:
        """Cancel one order (one message); an order the venue no longer has is looked up:
        filled or canceled meanwhile, its own state says which (None: the venue has none)."""
        self.journal.record_message(self.venue, self.clock.now())
        self._changed_account(done=False)
        try:
            return await self.executor.cancel(
                order.symbol, order_id=order.order_id, client_order_id=order.client_order_id
            )
        except OrderNotFound:
            return await self.executor.lookup(order.symbol, order.client_order_id)
        finally:
            self._changed_account(done=True)

    async def run_due(self) -> list[OrderState]:
        """Send every scheduled run whose time has come, each decided again as it fires.

        A run is due at ``first_at + (n - 1) × interval``. Runs missed while the
        executor was not running are recorded as expired, not sent late in a
        burst: only the latest due run is sent. Before each run is sent the policy
        decides the step again (``firing=True``: current quotes, counters and
        trading state); a run decided stricter than the step was approved as is
        recorded as rejected, with the reasons, and not sent.
        """
        async with self._gate:
            await self._apply_cancel_open()
            return await self._run_due()

    async def apply_trading_state(self) -> list[OrderState]:
        """Carry out a `signoff halt --cancel-open` seen for the first time (see below)."""
        async with self._gate:
            return await self._apply_cancel_open()

    async def _apply_cancel_open(self) -> list[OrderState]:
        """The first time the trading state is a change with ``cancel_open``: cancel this
        account's open orders at the venue and stop its schedules, each recorded in the
        journal and the ledger. Runs before every send and in the background loop.

        Kept in memory: an executor restarted while that change is still the latest
        carries it out once more (under a halt nothing new was sent in between).
        """
        from executors.trading_state import current_state

        state = current_state()
        if not state.cancel_open or state.seq in self._canceled_for:
            return []
        actor = f"compliance (trading-state change #{state.seq} by {state.by})"
        now = self.clock.now()
        done: list[OrderState] = []
        for entry in self.journal.active_schedules(self.venue):
            req = entry.request
            self.journal.end_schedule(req.client_order_id, "canceled", at=now)
            stopped = OrderState(
                client_order_id=req.client_order_id,
                symbol=req.symbol,
                side=req.side,
                order_type=req.order_type,
                status="canceled",
                quantity=req.quantity,
                limit_price=req.limit_price,
                reason=f"schedule stopped by a halt with --cancel-open: {state.reason}",
                updated_at=now,
            )
            self._ledger_state(stopped, actor)
            done.append(stopped)
        for held in self.journal.held(self.venue):
            done.append(
                self._end_held(
                    held,
                    "canceled",
                    f"canceled by a halt with --cancel-open: {state.reason}",
                    actor,
                )
            )
        failed = False
        for order in await self.executor.open_orders():
            try:
                found = await self._cancel_at_venue(order)
                if found is None:
                    continue
                canceled = found
            except ExchangeError as error:
                log.warning("halt: could not cancel %s: %s", order.client_order_id, error)
                failed = True  # tried again before the next send
                continue
            if self.journal.get(canceled.client_order_id) is not None:
                self.journal.record_state(canceled, at=self.clock.now())
            self._ledger_state(canceled, actor)
            done.append(canceled)
        if not failed:
            self._canceled_for.add(state.seq)
        log.info(
            "trading-state change #%d (%s): canceled %d open order(s) and schedule(s)",
            state.seq,
            state.state,
            len(done),
        )
        return done

    async def _fire_decision(self, entry: ScheduleEntry, run: str) -> str | None:
        """Why run ``run`` (its client order id) may not be sent now (None: it may)."""
        return await self.firing_refusal(entry.client_order_id, entry.plan_id, run=run)

    async def firing_refusal(
        self, client_order_id: str, plan_id: str, *, run: str | None = None
    ) -> str | None:
        """Why an order sent earlier (a trigger, a scheduled run) may not fire now.

        ``None``: it may. The step is decided again as it fires, with the current
        quotes, counters and trading state; a decision stricter than the one it was
        sent with refuses it, with the reasons. ``run``: ``client_order_id`` is a
        schedule's (its first run's) and ``run`` the client order id of the run about
        to be sent, a new order: every earlier run counts, and the run's value at this
        decision is kept with it (the daily budget counts it).
        """
        if self.journal.step_of(client_order_id) is None:
            return None  # a schedule started before decisions were kept with it
        account, market = await self._venue_view()
        return self.firing_verdict(client_order_id, plan_id, account, market, run=run)

    def firing_verdict(
        self,
        client_order_id: str,
        plan_id: str,
        account: AccountSnapshot,
        market: MarketData,
        *,
        run: str | None = None,
    ) -> str | None:
        """:meth:`firing_refusal` on an account and quotes already read (the paper engine
        asks this from inside a price move, where nothing can be awaited). The decision
        goes into the ledger with its reasons either way."""
        stored = self.journal.step_of(client_order_id)
        approved = self.journal.decision_of(client_order_id)
        if stored is None or approved is None:
            return None  # a schedule started before decisions were kept with it
        step = _STEP.validate_json(stored)
        now = self.clock.now()
        try:
            policy = self.current_policy()
        except ApprovalRefused as refusal:
            return refusal.message
        decided = self._decide_with(
            plan_id,
            step,
            (step,),
            policy,
            now,
            account,
            market,
            firing=True,
            actor="executor (firing)",
            record=True,
            own_order=None if run is not None else client_order_id,
        )
        own = decided.decision
        if own.decision == "deny" or SEVERITY[own.decision] > SEVERITY[approved]:
            reasons = "; ".join(r.message for r in own.reasons) or "no reason given"
            return f"decided again as it fired: {own.decision} ({reasons})"
        if run is not None:
            value = (
                decided.step.notional_reporting if isinstance(decided.step, ResolvedOrder) else 0
            )
            self.journal.record_value(run, Decimal(value or 0), step=stored, decision=approved)
        return None

    def paper_fire_check(self, engine: PaperEngine) -> Callable[[OrderState, datetime], str | None]:
        """The paper engine's ``fire_check`` for an engine this service sends to: every
        conditional order is decided again by the policy as it fires, with the engine's
        account and prices of that moment; one this executor never sent is refused."""

        def fire_check(state: OrderState, when: datetime) -> str | None:
            entry = self.journal.get(state.client_order_id)
            if entry is None:
                return "this executor has no record of sending it"
            market = MarketData(
                rules=engine.rules(),
                quotes={s: engine.quote(s) for s in engine.catalog.specs},
            )
            return self.firing_verdict(
                state.client_order_id, entry.plan_id, engine.snapshot(), market
            )

        return fire_check

    async def _run_due(self) -> list[OrderState]:
        sent: list[OrderState] = await self._fire_held()
        now = self.clock.now()
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
                elif why := await self._fire_decision(entry, request.client_order_id):
                    sent.append(self._record_missed(entry, request, due, reason=why))
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

    # ------------------------------------------------------------------ triggers held here
    @property
    def holds_triggers(self) -> bool:
        """Whether this executor holds conditional orders itself (every venue but the paper
        engine, which asks the gate as a trigger fires: see :meth:`paper_fire_check`).

        A stop or take-profit resting at an exchange would fire there without the policy
        being asked again; held here, it is decided again when its trigger crosses and
        only then sent, as a plain order.
        """
        from executors.paper.executor import PaperExecutor

        return not isinstance(self.executor, PaperExecutor)

    def _held_state(
        self,
        held: HeldTrigger,
        status: OrderStatus = "open",
        reason: str | None = None,
    ) -> OrderState:
        req = held.request
        return OrderState(
            client_order_id=req.client_order_id,
            symbol=req.symbol,
            side=req.side,
            order_type=req.order_type,
            status=status,
            quantity=req.quantity,
            limit_price=req.limit_price,
            trigger_price=req.trigger_price,
            trigger_direction=req.trigger_direction,
            reason=reason
            or f"held by the executor until {req.trigger_symbol} is "
            f"{'at or below' if req.trigger_direction == 'below' else 'at or above'} "
            f"{req.trigger_price}; decided again then",
            created_at=held.created_at,
            updated_at=self.clock.now() if status != "open" else held.updated_at,
        )

    def held_orders(self, symbol: str | None = None) -> list[OrderState]:
        """The conditional orders this executor holds, as open orders."""
        return [
            self._held_state(h)
            for h in self.journal.held(self.venue)
            if symbol is None or h.request.symbol == symbol
        ]

    def held_order(self, client_order_id: str) -> OrderState | None:
        """A conditional order held here that has not been sent (None: not one)."""
        held = self.journal.held_entry(client_order_id)
        if held is None or held.status == "fired":
            return None
        if held.status == "waiting":
            return self._held_state(held)
        status: OrderStatus = "canceled" if held.status == "canceled" else "expired"
        return self._held_state(held, status, held.reason)

    def _hold(
        self,
        plan_id: str,
        step_id: str,
        request: OrderRequest,
        actor: str,
        decision_id: str | None,
    ) -> OrderState:
        now = self.clock.now()
        self.journal.record_held(
            plan_id=plan_id, step_id=step_id, venue=self.venue, request=request, at=now
        )
        self._ledger_intent(plan_id, step_id, request, actor, decision_id)
        held = self.journal.held_entry(request.client_order_id)
        assert held is not None
        state = self._held_state(held)
        self._ledger_state(state, actor)
        log.info("%s: %s", request.client_order_id, state.reason)
        return state

    def _end_held(
        self,
        held: HeldTrigger,
        status: Literal["refused", "canceled"],
        reason: str,
        actor: str = "executor",
    ) -> OrderState:
        self.journal.end_held(held.client_order_id, status, at=self.clock.now(), reason=reason)
        state = self._held_state(held, "canceled" if status == "canceled" else "expired", reason)
        self._ledger_state(state, actor)
        return state

    async def _fire_held(self) -> list[OrderState]:
        """Send every held trigger whose level the venue's last price has crossed, each
        decided again as it fires (``firing=True``); a refused one is recorded and not sent."""
        waiting = self.journal.held(self.venue)
        if not waiting:
            return []
        symbols = sorted({h.request.trigger_symbol or h.request.symbol for h in waiting})
        quotes = await self.executor.quotes(symbols)
        done: list[OrderState] = []
        for held in waiting:
            req = held.request
            quote = quotes.get(req.trigger_symbol or req.symbol)
            level = req.trigger_price
            if quote is None or level is None:
                continue
            crossed = (
                quote.last <= level if req.trigger_direction == "below" else quote.last >= level
            )
            if not crossed:
                continue
            if self.journal.get(req.client_order_id) is not None:
                # sent before a crash that came before this record: reconciliation has it
                self.journal.end_held(req.client_order_id, "fired", at=self.clock.now())
                continue
            why = await self.firing_refusal(req.client_order_id, held.plan_id)
            if why is not None:
                reason = f"triggered at {quote.last}, but refused: {why}"
                log.info("%s: %s", req.client_order_id, reason)
                done.append(self._end_held(held, "refused", reason))
                continue
            plain = req.model_copy(
                update={"trigger_symbol": None, "trigger_price": None, "trigger_direction": None}
            )
            state: OrderState | None
            try:
                state = await self._send(held.plan_id, held.step_id, plain, "executor (trigger)")
            except ExchangeError:
                # _send recorded it (rejected, or unknown for reconciliation)
                failed = self.journal.get(req.client_order_id)
                state = failed.state if failed is not None else None
            self.journal.end_held(req.client_order_id, "fired", at=self.clock.now())
            if state is not None:
                done.append(state)
        return done

    def _record_missed(
        self,
        entry: ScheduleEntry,
        request: OrderRequest,
        due: datetime,
        reason: str | None = None,
    ) -> OrderState:
        now = self.clock.now()
        self.journal.record_intent(
            plan_id=entry.plan_id, step_id=entry.step_id, venue=self.venue, request=request, at=now
        )
        state = self._unplaced(
            request,
            "expired" if reason is None else "rejected",
            reason or f"run due at {due.isoformat()} was missed: the executor was not running",
        )
        self.journal.record_state(state, at=now)
        return state

    def _unplaced(self, request: OrderRequest, status: OrderStatus, reason: str) -> OrderState:
        """The state of ``request`` ended here (``status``) without a place at the venue."""
        now = self.clock.now()
        return OrderState(
            client_order_id=request.client_order_id,
            symbol=request.symbol,
            side=request.side,
            order_type=request.order_type,
            status=status,
            quantity=request.quantity,
            limit_price=request.limit_price,
            trigger_price=request.trigger_price,
            reason=reason,
            created_at=now,
            updated_at=now,
        )

    async def _send(
        self,
        plan_id: str,
        step_id: str,
        request: OrderRequest,
        actor: str = "executor",
        decision_id: str | None = None,
    ) -> OrderState:
        # the journal's record (what reconciliation finds after any crash) and the
        # ledger's are both on disk before the order goes out; they are two files, so
        # their waits for the disk overlap (each is written in a worker thread)
        journaled, ledgered = await asyncio.gather(
            asyncio.to_thread(
                self.journal.record_intent,
                plan_id=plan_id,
                step_id=step_id,
                venue=self.venue,
                request=request,
                at=self.clock.now(),
            ),
            asyncio.to_thread(self._ledger_intent, plan_id, step_id, request, actor, decision_id),
            return_exceptions=True,
        )
        if isinstance(journaled, BaseException):
            if not isinstance(ledgered, BaseException):
                self._ledger_not_sent(request, "not sent: the executor's journal failed")
            raise journaled
        if isinstance(ledgered, BaseException):
            raise ledgered
        self._changed_account(done=False)
        try:
            state = await self.executor.submit(request)
        except OrderStateUnknown as exc:
            self.journal.record_unknown(request.client_order_id, exc.message, at=self.clock.now())
            self._ledger_unknown(request.client_order_id, exc.message)
            raise
        except ExchangeError as exc:
            # refused by the venue: nothing was placed; the record keeps why
            rejected = self._unplaced(request, "rejected", exc.message)
            self.journal.record_state(rejected, at=self.clock.now())
            self._ledger_state(rejected)
            raise
        # acknowledged only once recorded in both (again two files, written side by side)
        done = await asyncio.gather(
            asyncio.to_thread(self.journal.record_state, state, at=self.clock.now()),
            asyncio.to_thread(self._ledger_state, state, durable=False),
            return_exceptions=True,
        )
        self._flush_soon()
        self._changed_account(done=True)
        for failed in done:
            if isinstance(failed, BaseException):
                raise failed
        return state

    def _ledger_not_sent(self, request: OrderRequest, why: str) -> None:
        """An order whose intent the ledger has but that was never sent."""
        state = self._unplaced(request, "rejected", why)
        self._ledger_state(state)

    async def _refresh(self, request: OrderRequest) -> OrderState | None:
        state = await self.executor.lookup(request.symbol, request.client_order_id)
        if state is not None:
            self.journal.record_state(state, at=self.clock.now())
            self._ledger_state(state)
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
        for held in self.journal.held(self.venue):
            req = held.request
            if (
                (step.base is None or req.symbol.split("/")[0] == step.base)
                and (step.side is None or req.side == step.side)
                and (not step.order_ids or req.client_order_id in step.order_ids)
            ):
                canceled.append(self._end_held(held, "canceled", "canceled before it fired"))
        for order in targets:
            found = await self._cancel_at_venue(order)
            if found is None:
                continue
            state = found
            self.journal.record_state(state, at=self.clock.now())
            self._ledger_state(state)
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
            self._ledger_state(state)
            if state.status != entry.status:
                self._changed_account(done=False)  # changed outside a send: read it again
                results.append(
                    ReconcileResult(
                        client_order_id=entry.client_order_id,
                        before=entry.status,
                        after=state.status,
                    )
                )
        return results
