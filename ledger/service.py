"""The ledger service: one method per stage, each committed before it returns.

Write-ahead: a caller acts on a stage only after its ``record_*`` call has
returned, so the record of a decision exists before a confirmation is asked,
an approval's before the executor is called, an order's intent (with its
client order id) before it is sent. Each call writes its rows and their audit
record in one transaction that holds the ledger's write lock (see
``ledger.store``), so several processes appending at once still form one
chain. There is no update or delete: a correction is a new record
(:meth:`Ledger.record_correction`).

Every text stored passes through the secrets guard (``foundation.secrets``):
a registered credential that shows up in a request, an exchange's message or
a payload is replaced by ``[REDACTED]`` before it is hashed and written.
"""

from __future__ import annotations

import hashlib
import os
import threading
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, Literal, TypeVar, get_args

from sqlalchemy import Connection, Engine, Table, text
from sqlalchemy import select as sa_select
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlmodel import SQLModel, select

from foundation import paths
from foundation.clock import Clock, SystemClock
from foundation.errors import ApprovalError, AuditIntegrityError, LedgerError, SignoffError
from foundation.secrets import ensure_environment_loaded, redact
from intent.canonical import canonical_bytes, content_hash
from intent.market import AccountSnapshot, MarketData, Quote
from intent.plan import Clarification, Plan, Refusal
from intent.resolved import ResolvedCancel, ResolvedOrder, ResolvedQuery, Unresolved
from ledger import chain, queries, store
from ledger.signing import (
    HeadSigner,
    HeadVerifier,
    SignedHead,
    read_signed_head,
    verify_signatures,
)
from ledger.tables import (
    ApprovalRow,
    ApprovalUseRow,
    AuditRecord,
    AuditSignatureRow,
    CorrectionRow,
    DecisionInputsRow,
    DecisionRow,
    FillRow,
    OrderEventRow,
    OrderRow,
    PaperSessionEndRow,
    PaperSessionRow,
    PlanRow,
    PlanStepRow,
    PolicyVersionRow,
    RequestRow,
    ResolutionRow,
    ResolvedStepRow,
)
from policy.decision import PolicyStamp, StepDecision

AnyResolved = ResolvedOrder | ResolvedCancel | ResolvedQuery | Unresolved
ParseResult = Plan | Clarification | Refusal

OrderStatus = Literal[
    "sent",
    "open",
    "partially_filled",
    "filled",
    "canceled",
    "rejected",
    "expired",
    "unknown",
]
ORDER_STATUSES: frozenset[str] = frozenset(get_args(OrderStatus))
FINISHED_STATUSES: frozenset[str] = frozenset({"filled", "canceled", "rejected", "expired"})
"""Statuses after which an order can change no more."""

RECORD_KINDS: tuple[str, ...] = (
    "request",
    "parse",
    "resolution",
    "policy_version",
    "decision",
    "approval",
    "approval_use",
    "order_intent",
    "order_status",
    "fill",
    "session_start",
    "session_end",
    "correction",
)
"""Every kind of audit record the ledger writes (``kind`` of :class:`AuditRecord`)."""

ApprovalRole = Literal["confirm", "escalate"]
ApprovalOutcome = Literal["approved", "rejected"]

_T = TypeVar("_T")

SIGNATURES: Table = AuditSignatureRow.__table__  # type: ignore[attr-defined]


def ledger_identity(engine: Engine) -> str:
    """The ledger's location as the signed-head file names it: a real path, or the URL."""
    url = engine.url
    if url.get_backend_name() == "sqlite" and url.database:
        return os.path.realpath(url.database)
    return url.render_as_string(hide_password=True)


def new_id(prefix: str) -> str:
    """A fresh identifier such as ``p-3f9c2a7b1d0e4f55`` (64 random bits)."""
    return f"{prefix}-{uuid.uuid4().hex[:16]}"


def _json(value: Any) -> str:
    """Canonical JSON text of ``value`` (Decimals as exact strings, no floats)."""
    return canonical_bytes(value).decode("utf-8")


@dataclass(frozen=True)
class Appended:
    """What an append produced: the audit record's number, hash and time."""

    seq: int
    hash: str
    recorded_at: datetime


@dataclass(frozen=True)
class RecordedId:
    """The id of what was recorded, and the audit record that holds it."""

    id: str
    audit: Appended


@dataclass(frozen=True)
class _Pending:
    """One audit record to append: its kind, who, about what, and its rows (or a
    function of the open connection that makes them; see :meth:`Ledger._append`)."""

    kind: str
    actor: str
    plan_id: str | None
    subject: str | None
    rows: Sequence[_Row] | Callable[[Connection], Sequence[_Row]]
    skip_empty: bool = False


@dataclass(frozen=True)
class FillRecord:
    """One execution of an order, for :meth:`Ledger.record_order_update`."""

    trade_id: str
    quantity: Decimal
    price: Decimal
    filled_at: datetime | None = None
    fee: Decimal | None = None
    fee_asset: str | None = None


@dataclass(frozen=True, slots=True)
class _Row:
    """One event row to append: its table and its values (absent columns are NULL).

    Plain values rather than SQLModel instances: building and reading those costs
    more than an append's SQL on SQLite (see ``benchmarks/bench_ledger.py``).
    """

    table: Table
    values: dict[str, Any]


def _row(table_model: type[SQLModel], /, **values: Any) -> _Row:
    return _Row(table_model.__table__, values)  # type: ignore[attr-defined]


def _redacted(values: dict[str, Any]) -> dict[str, Any]:
    for key, value in values.items():
        if type(value) is str:
            clean = redact(value)
            if clean != value:
                values[key] = clean
    return values


class Ledger:
    """The record of every stage, and the audit chain over it.

    Open it with :meth:`Ledger.open` (URL from ``SIGNOFF_DB_URL`` or the SQLite
    file in ``SIGNOFF_HOME``) and close it when done; it is also a context
    manager. Methods are safe to call from several threads; several processes
    may use the same database at once.
    """

    def __init__(
        self,
        engine: Engine,
        *,
        clock: Clock | None = None,
        where: str = "",
        head_signer: HeadSigner | None = None,
    ) -> None:
        self._engine = engine
        self._clock: Clock = clock or SystemClock()
        self._signer = head_signer
        self.identity = ledger_identity(engine)
        # one connection for all appends of this Ledger: a pool checkout per append
        # costs about as much as the append's own SQL
        self._writer: Connection | None = None
        self._write_lock = threading.Lock()
        # the signed head of the last append committed without waiting for the disk
        # (``durable=False``), not yet synced and published: see :meth:`sync`
        self._unsynced: SignedHead | None = None
        # a kept connection for plan_exists
        self._probe: Connection | None = None
        self._probe_lock = threading.Lock()
        self.where = where or str(engine.url.database)

    # ---------------------------------------------------------------- opening

    @classmethod
    def open(
        cls,
        url: str | None = None,
        *,
        clock: Clock | None = None,
        create: bool = True,
        head_signer: HeadSigner | None = None,
    ) -> Ledger:
        """Open (and with ``create``, initialise) the ledger; check its schema version.

        With ``head_signer`` (see ``ledger.signing``) every append signs the
        chain's new head in its own transaction and then publishes it to the
        signer's signed-head file. Open a signing ledger with ``create`` (the
        default), which also upgrades a ledger written before signing existed.
        """
        ensure_environment_loaded()
        db_url = store.ledger_url(url)
        where = store.describe_url(db_url)
        sqlite_file = str(db_url.database) if db_url.get_backend_name() == "sqlite" else None
        if not create and sqlite_file is not None and not os.path.exists(sqlite_file):
            raise LedgerError(
                f"there is no ledger at {where} yet",
                hint="nothing has been recorded there; check SIGNOFF_HOME or SIGNOFF_DB_URL",
            )
        if sqlite_file is not None:
            # the request history is private: created 0600, a warning when it is not
            paths.private_file(sqlite_file)
        engine = store.create_ledger_engine(db_url)
        try:
            store.ensure_schema(engine, where=where, create=create)
        except SQLAlchemyError as exc:
            engine.dispose()
            raise store.map_db_error(exc, where) from exc
        except SignoffError:
            engine.dispose()
            raise
        return cls(engine, clock=clock, where=where, head_signer=head_signer)

    def close(self) -> None:
        self.sync()
        with self._probe_lock:
            if self._probe is not None:
                self._probe.close()
                self._probe = None
        with self._write_lock:
            if self._writer is not None:
                self._writer.close()
                self._writer = None
        self._engine.dispose()

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def engine(self) -> Engine:
        return self._engine

    @property
    def clock(self) -> Clock:
        return self._clock

    @property
    def head_signer(self) -> HeadSigner | None:
        """The signer of this ledger's appends (None: it does not sign)."""
        return self._signer

    # ---------------------------------------------------------------- the append

    def _append(
        self,
        *,
        kind: str,
        actor: str,
        plan_id: str | None,
        subject: str | None,
        rows: Sequence[_Row] | Callable[[Connection], Sequence[_Row]],
    ) -> Appended:
        """Write ``rows`` and their audit record in one locked transaction.

        ``rows`` may be a function of the open connection: it then runs under
        the write lock, so what it checks (an approval not used yet, a client
        order id not taken) cannot change before the commit.
        """
        [appended] = self._append_all(
            [_Pending(kind=kind, actor=actor, plan_id=plan_id, subject=subject, rows=rows)]
        )
        assert appended is not None
        return appended

    def _append_all(
        self, pending: Sequence[_Pending], *, durable: bool = True
    ) -> list[Appended | None]:
        """Several audit records, chained one after the other, in one locked transaction
        (one commit, one wait for the disk). A record whose rows come out empty is
        skipped (None in its place); the others are appended as :meth:`_append` would.

        ``durable=False`` (SQLite only; PostgreSQL always waits) commits without
        waiting for the disk: the records survive a crash of the process at once, and
        an operating-system crash or power loss once :meth:`sync` or the next durable
        append has run. Their signed head is published only then, so the signed-head
        file never names a record the disk may still lose (``audit verify`` would
        report a cut nobody made). Use it only for what can be learned again, such as
        an order's status and fills, which the executor reconciles from its journal
        and the venue at start.
        """
        with self._write_lock:
            lazy = not durable and store.is_sqlite(self._engine)
            appended, signed = self._append_locked(pending, durable=not lazy)
            if signed is not None and self._signer is not None:
                if lazy:
                    self._unsynced = signed
                else:
                    # this commit waited for the disk: everything before it is on it too
                    self._unsynced = None
                    self._publish(signed)
            return appended

    def sync(self) -> None:
        """Put every commit made with ``durable=False`` on the disk and publish its head.

        The executor calls it every second and on closing, so an acknowledged order's
        records wait at most about a second for the disk, together."""
        with self._write_lock:
            signed, self._unsynced = self._unsynced, None
        if signed is None or self._signer is None:
            return
        # appends go on meanwhile: the fsync covers at least the commits up to `signed`,
        # and a head is only ever published forward
        database = self._engine.url.database
        if database and database != ":memory:":
            # WAL mode: the lazy commits are frames of the -wal file (a checkpoint that
            # moved them into the database file synced both). Only the -wal file is
            # opened: closing a descriptor of the database file itself would drop this
            # process's SQLite locks on it (POSIX locks are per process and file);
            # SQLite keeps no lock on the -wal file.
            try:
                fd = os.open(f"{database}-wal", os.O_RDONLY)
            except FileNotFoundError:
                pass
            else:
                try:
                    os.fsync(fd)
                finally:
                    os.close(fd)
        self._publish(signed)

    def _publish(self, signed: SignedHead) -> None:
        assert self._signer is not None
        try:
            self._signer.publish(self.identity, signed)
        except OSError as exc:
            raise LedgerError(
                f"record #{signed.sequence} was recorded and signed, but its signed head "
                f"could not be written to {self._signer.heads_dir}: {exc.strerror}",
                hint="make the executor's directory writable by the executor",
            ) from exc

    def _append_locked(
        self, pending: Sequence[_Pending], *, durable: bool = True
    ) -> tuple[list[Appended | None], SignedHead | None]:
        signed: SignedHead | None = None
        if self._writer is None:
            try:
                self._writer = store.writer_connection(self._engine)
            except SQLAlchemyError as exc:
                raise store.map_db_error(exc, self.where) from exc
        appended: list[Appended | None] = []
        try:
            with store.commit_durably(self._writer, durable), store.locked(self._writer) as conn:
                now = self._clock.now()
                last_seq, prev_hash = chain.head(conn)
                for item in pending:
                    rows = item.rows
                    made = rows(conn) if callable(rows) else rows
                    if not made and item.skip_empty:
                        appended.append(None)
                        continue
                    actor = redact(item.actor)
                    seq = last_seq + 1
                    contents = []
                    for row in made:
                        values = _redacted(dict(row.values))
                        values["audit_seq"] = seq
                        contents.append((row.table.name, chain.row_content(row.table, values)))
                    digest = chain.event_digest(contents)
                    own_hash = chain.record_hash(
                        seq=seq,
                        recorded_at=now,
                        kind=item.kind,
                        actor=actor,
                        plan_id=item.plan_id,
                        subject=item.subject,
                        digest=digest,
                        prev_hash=prev_hash,
                    )
                    store.insert_rows(
                        conn,
                        chain.AUDIT,
                        [
                            {
                                "seq": seq,
                                "recorded_at": now,
                                "kind": item.kind,
                                "actor": actor,
                                "plan_id": item.plan_id,
                                "subject": item.subject,
                                "digest": digest,
                                "prev_hash": prev_hash,
                                "hash": own_hash,
                            }
                        ],
                    )
                    # one INSERT per run of same-table rows keeps foreign keys in order
                    batch: list[dict[str, Any]] = []
                    batch_table: Table | None = None
                    for (_name, content), row in zip(contents, made, strict=True):
                        table = row.table
                        if batch_table is not None and table is not batch_table:
                            store.insert_rows(conn, batch_table, batch)
                            batch = []
                        batch_table = table
                        batch.append(content)
                    if batch_table is not None:
                        store.insert_rows(conn, batch_table, batch)
                    if self._signer is not None:
                        signed = self._signer.sign(seq, own_hash)
                        store.insert_rows(conn, SIGNATURES, [signed.as_row()])
                    appended.append(Appended(seq=seq, hash=own_hash, recorded_at=now))
                    last_seq, prev_hash = seq, own_hash
        except SignoffError:
            raise
        except SQLAlchemyError as exc:
            # the connection may be broken (server restart, network): start afresh next time
            self._writer.close()
            self._writer = None
            raise store.map_db_error(exc, self.where) from exc
        return appended, signed

    def plan_exists(self, plan_id: str) -> bool:
        """Whether a parse result with this id is recorded (the executor asks it for
        every step it is sent: one kept connection, one indexed look-up)."""
        with self._probe_lock:
            try:
                if self._probe is None:
                    self._probe = self._engine.connect()
                conn = self._probe
                if conn.dialect.name == "sqlite":
                    # autocommit: each look-up sees the latest commit of any process
                    found = store.driver_execute(
                        conn, "SELECT 1 FROM plans WHERE id = ?", (plan_id,)
                    ).fetchone()
                else:
                    with conn.begin():
                        found = conn.execute(
                            text("SELECT 1 FROM plans WHERE id = :id"), {"id": plan_id}
                        ).first()
            except SQLAlchemyError as exc:
                if self._probe is not None:
                    self._probe.close()
                    self._probe = None
                raise store.map_db_error(exc, self.where) from exc
        return found is not None

    def _read(self, fn: Callable[[Connection], _T]) -> _T:
        try:
            with store.read_transaction(self._engine) as conn:
                return fn(conn)
        except SignoffError:
            raise
        except SQLAlchemyError as exc:
            raise store.map_db_error(exc, self.where) from exc
        except (ValueError, TypeError, ArithmeticError) as exc:
            # a column type refusing a stored value (ledger.types): the database was altered,
            # which is the audit trail failing its integrity (exit 1), not a usage error
            raise AuditIntegrityError(
                f"a value stored in the ledger at {self.where} cannot be read back: {exc}",
                hint="'signoff audit verify' names the record it belongs to",
            ) from exc

    # ---------------------------------------------------------------- stages

    def record_request(
        self,
        *,
        text: str,
        actor: str,
        parser: str,
        model: str | None = None,
        session_id: str | None = None,
        request_id: str | None = None,
    ) -> RecordedId:
        """What a person typed, and which parser (and model) will read it."""
        rid = request_id or new_id("r")
        row = _row(
            RequestRow,
            id=rid,
            audit_seq=0,
            received_at=self._clock.now(),
            actor=actor,
            text=text,
            parser=parser,
            model=model,
            session_id=session_id,
        )
        audit = self._append(kind="request", actor=actor, plan_id=None, subject=rid, rows=[row])
        return RecordedId(rid, audit)

    def record_parse(
        self,
        *,
        request_id: str,
        result: ParseResult,
        actor: str,
        plan_id: str | None = None,
        parser: Mapping[str, Any] | None = None,
    ) -> RecordedId:
        """The parse result of a request: a plan with its steps, a question or a refusal.

        Every result gets a plan id, so a clarification or a refusal has a story too.
        ``parser`` is how it was produced (mode, parser, model, token usage, latency,
        notices), as :meth:`signoff.llm.ParseReport.metadata` gives it.
        """
        pid = plan_id or new_id("p")
        now = self._clock.now()
        rows: list[_Row] = [
            _row(
                PlanRow,
                id=pid,
                audit_seq=0,
                request_id=request_id,
                status=result.status,
                parsed_at=now,
                content_hash=content_hash(result),
                result_json=_json(result),
                parser_json=None if parser is None else _json(dict(parser)),
            )
        ]
        if isinstance(result, Plan):
            for idx, step in enumerate(result.steps):
                rows.append(
                    _row(
                        PlanStepRow,
                        plan_id=pid,
                        idx=idx,
                        audit_seq=0,
                        action=step.action,
                        step_json=_json(step),
                    )
                )

        def build(conn: Connection) -> list[_Row]:
            self._require(conn, RequestRow.id, request_id, "request")
            return rows

        audit = self._append(kind="parse", actor=actor, plan_id=pid, subject=request_id, rows=build)
        return RecordedId(pid, audit)

    def record_resolution(
        self,
        *,
        plan_id: str,
        steps: Sequence[AnyResolved],
        snapshot: AccountSnapshot,
        market: MarketData,
        actor: str,
        resolution_id: str | None = None,
    ) -> RecordedId:
        """The concrete steps a plan resolved to, and the account and market they used."""
        res_id = resolution_id or new_id("res")
        rows: list[_Row] = [
            _row(
                ResolutionRow,
                id=res_id,
                audit_seq=0,
                plan_id=plan_id,
                resolved_at=self._clock.now(),
                snapshot_json=_json(snapshot),
                market_json=_json(market),
            )
        ]
        for step in steps:
            order = step if isinstance(step, ResolvedOrder) else None
            rows.append(
                _row(
                    ResolvedStepRow,
                    resolution_id=res_id,
                    step_id=step.step_id,
                    audit_seq=0,
                    plan_id=plan_id,
                    kind=step.kind,
                    source_index=step.source_index,
                    symbol=order.symbol if order else None,
                    side=order.side if order else getattr(step, "side", None),
                    quantity=order.quantity if order else None,
                    limit_price=order.limit_price if order else None,
                    notional=order.notional if order else None,
                    content_hash=content_hash(step),
                    step_json=_json(step),
                )
            )

        def build(conn: Connection) -> list[_Row]:
            self._require(conn, PlanRow.id, plan_id, "plan")
            return rows

        audit = self._append(
            kind="resolution", actor=actor, plan_id=plan_id, subject=res_id, rows=build
        )
        return RecordedId(res_id, audit)

    def record_policy_version(
        self, *, stamp: PolicyStamp, text: str, actor: str
    ) -> Appended | None:
        """The full text of a policy version; None when that exact version is already there."""

        def build(conn: Connection) -> list[_Row]:
            found = conn.execute(
                select(PolicyVersionRow.hash).where(PolicyVersionRow.hash == stamp.hash)
            ).first()
            if found is not None:
                return []
            return [
                _row(
                    PolicyVersionRow,
                    hash=stamp.hash,
                    audit_seq=0,
                    policy_id=stamp.id,
                    version=stamp.version,
                    recorded_at=self._clock.now(),
                    text_sha256=hashlib.sha256(text.encode("utf-8")).hexdigest(),
                    text=text,
                )
            ]

        return self._append_unless_empty(
            kind="policy_version",
            actor=actor,
            plan_id=None,
            subject=f"{stamp.id}@{stamp.version}",
            build=build,
        )

    def _append_unless_empty(
        self,
        *,
        kind: str,
        actor: str,
        plan_id: str | None,
        subject: str | None,
        build: Callable[[Connection], list[_Row]],
    ) -> Appended | None:
        class _Nothing(Exception):
            pass

        def guarded(conn: Connection) -> list[_Row]:
            made = build(conn)
            if not made:
                raise _Nothing
            return made

        try:
            return self._append(
                kind=kind, actor=actor, plan_id=plan_id, subject=subject, rows=guarded
            )
        except _Nothing:
            return None

    def record_decisions(
        self,
        *,
        plan_id: str,
        decisions: Sequence[StepDecision],
        snapshot: AccountSnapshot,
        quotes: Mapping[str, Quote] | MarketData,
        counters: Mapping[str, Any],
        actor: str,
        resolution_id: str | None = None,
        policy_text: str | None = None,
    ) -> list[RecordedId]:
        """The policy's decisions on a plan's steps, with everything they were made on.

        The policy versions named by the decisions must have been recorded first
        (:meth:`record_policy_version`), or their text given as ``policy_text``
        when all decisions share one policy.
        """
        if not decisions:
            raise LedgerError("record_decisions needs at least one decision")
        if policy_text is not None:
            stamps = {d.policy.hash: d.policy for d in decisions}
            if len(stamps) != 1:
                raise LedgerError("policy_text given, but the decisions name several policies")
            self.record_policy_version(
                stamp=next(iter(stamps.values())), text=policy_text, actor=actor
            )
        now = self._clock.now()
        inputs_id = new_id("in")
        quotes_value: Any = quotes
        inputs = {"snapshot": snapshot, "quotes": quotes_value, "counters": dict(counters)}
        ids = [new_id("d") for _ in decisions]
        rows: list[_Row] = [
            _row(
                DecisionInputsRow,
                id=inputs_id,
                audit_seq=0,
                plan_id=plan_id,
                resolution_id=resolution_id,
                evaluated_at=now,
                inputs_hash=content_hash(inputs),
                snapshot_json=_json(snapshot),
                quotes_json=_json(quotes_value),
                counters_json=_json(dict(counters)),
            )
        ]
        for did, decision in zip(ids, decisions, strict=True):
            rows.append(
                _row(
                    DecisionRow,
                    id=did,
                    audit_seq=0,
                    plan_id=plan_id,
                    inputs_id=inputs_id,
                    step_id=decision.step_id,
                    verdict=decision.decision,
                    policy_id=decision.policy.id,
                    policy_version=decision.policy.version,
                    policy_hash=decision.policy.hash,
                    decided_at=decision.decided_at,
                    reasons_json=_json(decision.reasons),
                )
            )

        def build(conn: Connection) -> list[_Row]:
            self._require(conn, PlanRow.id, plan_id, "plan")
            for stamp in {d.policy.hash: d.policy for d in decisions}.values():
                found = conn.execute(
                    select(PolicyVersionRow.hash).where(PolicyVersionRow.hash == stamp.hash)
                ).first()
                if found is None:
                    raise LedgerError(
                        f"policy {stamp.id} version {stamp.version} ({stamp.hash[:12]}…) "
                        "is not in the ledger",
                        hint="record the policy's text with record_policy_version first",
                    )
            return rows

        audit = self._append(
            kind="decision", actor=actor, plan_id=plan_id, subject=inputs_id, rows=build
        )
        return [RecordedId(did, audit) for did in ids]

    def record_approval(
        self,
        *,
        plan_id: str,
        step_id: str,
        approver: str,
        role: ApprovalRole,
        content_hash: str,
        policy_hash: str,
        expires_at: datetime | None,
        outcome: ApprovalOutcome = "approved",
        decision_id: str | None = None,
        nonce: str | None = None,
        approval_id: str | None = None,
    ) -> RecordedId:
        """A person's approval (or rejection) of one gated step, bound to its content."""
        if role not in get_args(ApprovalRole):
            raise LedgerError(f"unknown approval role {role!r}", hint="use confirm or escalate")
        if outcome not in get_args(ApprovalOutcome):
            raise LedgerError(f"unknown approval outcome {outcome!r}")
        aid = approval_id or new_id("a")
        row = _row(
            ApprovalRow,
            id=aid,
            audit_seq=0,
            plan_id=plan_id,
            step_id=step_id,
            decision_id=decision_id,
            approver=approver,
            role=role,
            outcome=outcome,
            approved_at=self._clock.now(),
            expires_at=expires_at,
            content_hash=content_hash,
            policy_hash=policy_hash,
            nonce=nonce,
        )

        def build(conn: Connection) -> list[_Row]:
            self._require(conn, PlanRow.id, plan_id, "plan")
            return [row]

        audit = self._append(
            kind="approval", actor=approver, plan_id=plan_id, subject=aid, rows=build
        )
        return RecordedId(aid, audit)

    def record_approval_used(
        self, *, approval_id: str, actor: str, client_order_id: str | None = None
    ) -> Appended:
        """Mark an approval used, once: a second use, a rejection or an expired one is refused."""

        def build(conn: Connection) -> list[_Row]:
            approval = (
                conn.execute(select(ApprovalRow).where(ApprovalRow.id == approval_id))
                .mappings()
                .first()
            )
            if approval is None:
                raise ApprovalError(f"approval {approval_id} is not in the ledger")
            if approval["outcome"] != "approved":
                raise ApprovalError(f"approval {approval_id} was a rejection; it cannot be used")
            now = self._clock.now()
            expires = approval["expires_at"]
            if expires is not None and now >= expires:
                raise ApprovalError(
                    f"approval {approval_id} expired at {expires.isoformat()}",
                    hint="ask for the step to be confirmed again",
                )
            used = conn.execute(
                select(ApprovalUseRow.used_at).where(ApprovalUseRow.approval_id == approval_id)
            ).first()
            if used is not None:
                raise ApprovalError(
                    f"approval {approval_id} was already used at {used[0].isoformat()}",
                    hint="an approval is good for one execution; ask for a new one",
                )
            return [
                _row(
                    ApprovalUseRow,
                    approval_id=approval_id,
                    audit_seq=0,
                    used_at=now,
                    actor=actor,
                    client_order_id=client_order_id,
                )
            ]

        plan_id = self._read(
            lambda conn: conn.execute(
                select(ApprovalRow.plan_id).where(ApprovalRow.id == approval_id)
            ).scalar_one_or_none()
        )
        try:
            return self._append(
                kind="approval_use", actor=actor, plan_id=plan_id, subject=approval_id, rows=build
            )
        except LedgerError as exc:
            if isinstance(exc.__cause__, IntegrityError):
                raise ApprovalError(f"approval {approval_id} was already used") from exc
            raise

    def record_order_intent(
        self,
        *,
        plan_id: str,
        step_id: str,
        client_order_id: str,
        venue: str,
        symbol: str,
        side: str,
        order_type: str,
        quantity: Decimal,
        actor: str,
        limit_price: Decimal | None = None,
        account_id: str | None = None,
        approval_id: str | None = None,
        decision_id: str | None = None,
    ) -> Appended:
        """The intent to send an order, before it is sent; a client order id is used once."""
        made = self.record_order_intent_if_new(
            plan_id=plan_id,
            step_id=step_id,
            client_order_id=client_order_id,
            venue=venue,
            symbol=symbol,
            side=side,
            order_type=order_type,
            quantity=quantity,
            actor=actor,
            limit_price=limit_price,
            account_id=account_id,
            approval_id=approval_id,
            decision_id=decision_id,
            if_new=False,
        )
        assert made is not None  # if_new=False: an error rather than None
        return made

    def record_order_intent_if_new(
        self,
        *,
        plan_id: str,
        step_id: str,
        client_order_id: str,
        venue: str,
        symbol: str,
        side: str,
        order_type: str,
        quantity: Decimal,
        actor: str,
        limit_price: Decimal | None = None,
        account_id: str | None = None,
        approval_id: str | None = None,
        decision_id: str | None = None,
        if_new: bool = True,
    ) -> Appended | None:
        """The intent to send an order, before it is sent, unless one is already recorded
        under this client order id (checked under the write lock): that one is left as
        it is and None returned (``if_new=False``: an error instead)."""
        row = _row(
            OrderRow,
            client_order_id=client_order_id,
            audit_seq=0,
            plan_id=plan_id,
            step_id=step_id,
            venue=venue,
            account_id=account_id,
            symbol=symbol,
            side=side,
            order_type=order_type,
            quantity=quantity,
            limit_price=limit_price,
            approval_id=approval_id,
            decision_id=decision_id,
            created_at=self._clock.now(),
        )

        def build(conn: Connection) -> list[_Row]:
            self._require(conn, PlanRow.id, plan_id, "plan")
            taken = conn.execute(
                select(OrderRow.plan_id).where(OrderRow.client_order_id == client_order_id)
            ).first()
            if taken is not None:
                if if_new:
                    return []
                raise LedgerError(
                    f"client order id {client_order_id} is already recorded (plan {taken[0]})",
                    hint="an order is sent once; reconcile the existing order instead",
                )
            return [row]

        return self._append_unless_empty(
            kind="order_intent", actor=actor, plan_id=plan_id, subject=client_order_id, build=build
        )

    def record_order_status(
        self,
        *,
        client_order_id: str,
        status: OrderStatus,
        actor: str,
        exchange_order_id: str | None = None,
        filled_quantity: Decimal | None = None,
        average_price: Decimal | None = None,
        detail: str | None = None,
    ) -> Appended:
        """A status the order was seen in; the latest one is the order's status."""
        if status not in ORDER_STATUSES:
            raise LedgerError(
                f"unknown order status {status!r}",
                hint=f"use one of: {', '.join(sorted(ORDER_STATUSES))}",
            )
        row = _row(
            OrderEventRow,
            id=new_id("e"),
            audit_seq=0,
            client_order_id=client_order_id,
            status=status,
            exchange_order_id=exchange_order_id,
            filled_quantity=filled_quantity,
            average_price=average_price,
            detail=detail,
            observed_at=self._clock.now(),
        )
        plan_id = self._order_plan(client_order_id)

        def build(conn: Connection) -> list[_Row]:
            return [row]

        return self._append(
            kind="order_status", actor=actor, plan_id=plan_id, subject=client_order_id, rows=build
        )

    def record_order_update(
        self,
        *,
        client_order_id: str,
        actor: str,
        status: OrderStatus | None = None,
        exchange_order_id: str | None = None,
        filled_quantity: Decimal | None = None,
        average_price: Decimal | None = None,
        detail: str | None = None,
        fills: Sequence[FillRecord] = (),
        plan_id: str | None = None,
        durable: bool = True,
    ) -> list[Appended]:
        """A status the order was seen in (if ``status``) and its fills, in one transaction.

        The same audit records as :meth:`record_order_status` and one
        :meth:`record_fill` per fill (a trade already recorded is skipped), written
        with one commit. ``plan_id`` saves looking the order's plan up when the
        caller knows it. ``durable=False``: see :meth:`_append_all`.
        """
        if status is not None and status not in ORDER_STATUSES:
            raise LedgerError(
                f"unknown order status {status!r}",
                hint=f"use one of: {', '.join(sorted(ORDER_STATUSES))}",
            )
        if status is None and not fills:
            return []
        plan = plan_id or self._order_plan(client_order_id)
        now = self._clock.now()
        pending: list[_Pending] = []
        if status is not None:
            row = _row(
                OrderEventRow,
                id=new_id("e"),
                audit_seq=0,
                client_order_id=client_order_id,
                status=status,
                exchange_order_id=exchange_order_id,
                filled_quantity=filled_quantity,
                average_price=average_price,
                detail=detail,
                observed_at=now,
            )
            pending.append(
                _Pending(
                    kind="order_status",
                    actor=actor,
                    plan_id=plan,
                    subject=client_order_id,
                    rows=[row],
                )
            )
        for fill in fills:
            fill_row = _row(
                FillRow,
                id=new_id("f"),
                audit_seq=0,
                client_order_id=client_order_id,
                trade_id=fill.trade_id,
                quantity=fill.quantity,
                price=fill.price,
                fee=fill.fee,
                fee_asset=fill.fee_asset,
                filled_at=fill.filled_at or now,
            )

            def build(
                conn: Connection, trade_id: str = fill.trade_id, made: _Row = fill_row
            ) -> list[_Row]:
                seen = conn.execute(
                    select(FillRow.id).where(
                        FillRow.client_order_id == client_order_id,
                        FillRow.trade_id == trade_id,
                    )
                ).first()
                return [] if seen is not None else [made]

            pending.append(
                _Pending(
                    kind="fill",
                    actor=actor,
                    plan_id=plan,
                    subject=client_order_id,
                    rows=build,
                    skip_empty=True,
                )
            )
        return [a for a in self._append_all(pending, durable=durable) if a is not None]

    def record_fill(
        self,
        *,
        client_order_id: str,
        trade_id: str,
        quantity: Decimal,
        price: Decimal,
        actor: str,
        filled_at: datetime | None = None,
        fee: Decimal | None = None,
        fee_asset: str | None = None,
    ) -> Appended | None:
        """One execution of an order; None when that trade is already recorded (replay-safe)."""
        plan_id = self._order_plan(client_order_id)
        row = _row(
            FillRow,
            id=new_id("f"),
            audit_seq=0,
            client_order_id=client_order_id,
            trade_id=trade_id,
            quantity=quantity,
            price=price,
            fee=fee,
            fee_asset=fee_asset,
            filled_at=filled_at or self._clock.now(),
        )

        def build(conn: Connection) -> list[_Row]:
            seen = conn.execute(
                select(FillRow.id).where(
                    FillRow.client_order_id == client_order_id,
                    FillRow.trade_id == trade_id,
                )
            ).first()
            return [] if seen is not None else [row]

        return self._append_unless_empty(
            kind="fill", actor=actor, plan_id=plan_id, subject=client_order_id, build=build
        )

    def record_session_start(
        self,
        *,
        actor: str,
        venue: str,
        feed: str,
        snapshot: AccountSnapshot,
        settings: Mapping[str, Any] | None = None,
        seed: int | None = None,
        session_id: str | None = None,
    ) -> RecordedId:
        """A paper session starting: its feed, seed, settings and starting account."""
        sid = session_id or new_id("s")
        row = _row(
            PaperSessionRow,
            id=sid,
            audit_seq=0,
            started_at=self._clock.now(),
            actor=actor,
            venue=venue,
            feed=feed,
            seed=seed,
            settings_json=_json(dict(settings or {})),
            snapshot_json=_json(snapshot),
        )
        audit = self._append(
            kind="session_start", actor=actor, plan_id=None, subject=sid, rows=[row]
        )
        return RecordedId(sid, audit)

    def record_session_end(
        self, *, session_id: str, actor: str, report: Mapping[str, Any]
    ) -> Appended:
        """A paper session ending, with its report (balances, P&L, counts)."""
        row = _row(
            PaperSessionEndRow,
            session_id=session_id,
            audit_seq=0,
            ended_at=self._clock.now(),
            actor=actor,
            report_json=_json(dict(report)),
        )

        def build(conn: Connection) -> list[_Row]:
            self._require(conn, PaperSessionRow.id, session_id, "paper session")
            ended = conn.execute(
                select(PaperSessionEndRow.ended_at).where(
                    PaperSessionEndRow.session_id == session_id
                )
            ).first()
            if ended is not None:
                raise LedgerError(f"paper session {session_id} already ended")
            return [row]

        return self._append(
            kind="session_end", actor=actor, plan_id=None, subject=session_id, rows=build
        )

    def record_correction(
        self,
        *,
        corrects_seq: int,
        actor: str,
        reason: str,
        payload: Mapping[str, Any] | None = None,
    ) -> RecordedId:
        """A correction of an earlier record: the earlier one stays as it was."""
        cid = new_id("c")
        row = _row(
            CorrectionRow,
            id=cid,
            audit_seq=0,
            corrects_seq=corrects_seq,
            actor=actor,
            reason=reason,
            payload_json=_json(dict(payload or {})),
        )
        target = self._read(
            lambda conn: conn.execute(
                select(AuditRecord.plan_id).where(AuditRecord.seq == corrects_seq)
            ).first()
        )
        if target is None:
            raise LedgerError(f"there is no audit record #{corrects_seq} to correct")
        plan_id = target[0]
        audit = self._append(
            kind="correction", actor=actor, plan_id=plan_id, subject=str(corrects_seq), rows=[row]
        )
        return RecordedId(cid, audit)

    # ---------------------------------------------------------------- helpers

    @staticmethod
    def _require(conn: Connection, column: Any, key: str, what: str) -> None:
        if conn.execute(select(column).where(column == key)).first() is None:
            raise LedgerError(
                f"{what} {key} is not in the ledger",
                hint=f"record the {what} before what depends on it",
            )

    def _order_plan(self, client_order_id: str) -> str:
        plan_id = self._read(
            lambda conn: conn.execute(
                select(OrderRow.plan_id).where(OrderRow.client_order_id == client_order_id)
            ).scalar_one_or_none()
        )
        if plan_id is None:
            raise LedgerError(
                f"no order with client order id {client_order_id} is in the ledger",
                hint="record the order's intent before its status or fills",
            )
        return str(plan_id)

    # ---------------------------------------------------------------- the chain

    def head(self) -> tuple[int, str]:
        """The chain's last sequence number and hash."""
        return self._read(chain.head)

    def verify(
        self,
        checkpoint: chain.Checkpoint | None = None,
        *,
        audit_key: HeadVerifier | None = None,
        heads_dir: str | None = None,
    ) -> chain.VerifyReport:
        """Recompute the whole chain (see :func:`ledger.chain.verify`).

        With ``audit_key``, also check every signed head against it, report
        records after the last signed head, and compare the chain with the
        signed head of this ledger kept in ``heads_dir`` (see ``ledger.signing``).
        """

        def run(conn: Connection) -> chain.VerifyReport:
            report = chain.verify(conn, checkpoint=checkpoint)
            if audit_key is not None:
                report.signing = verify_signatures(
                    conn, report, audit_key, ledger=self.identity, heads_dir=heads_dir
                )
            return report

        return self._read(run)

    def countersign(self) -> Appended | None:
        """Sign the current head without appending; None when it is signed already.

        Needs a ``head_signer``. Records appended through other connections
        (the client's own ledger, which does not sign) come after this
        signer's last signed head; before signing the head over them this
        checks, under the write lock, that every record since the last head
        it signed (in the database, or in its signed-head file if that is
        further on) links to it and still matches its hash and event rows. A
        chain that does not is refused (:class:`AuditIntegrityError`) and
        nothing is signed. What this cannot tell: who appended the records it
        signs over (anyone who can write the database through the ledger's
        own code).
        """
        signer = self._signer
        if signer is None:
            raise LedgerError("this ledger has no audit key to countersign with")
        with self._write_lock:
            if self._writer is None:
                try:
                    self._writer = store.writer_connection(self._engine)
                except SQLAlchemyError as exc:
                    raise store.map_db_error(exc, self.where) from exc
            try:
                with store.locked(self._writer) as conn:
                    base_seq, base_hash = _last_signed(conn, signer, self.identity)
                    head_seq, head_hash = chain.head(conn)
                    if head_seq < base_seq:
                        raise AuditIntegrityError(
                            f"the executor signed head #{base_seq} but the log ends at "
                            f"#{head_seq}: records were cut; nothing countersigned",
                            hint="run `signoff audit verify`",
                        )
                    if head_seq == base_seq:
                        return None
                    _check_links(conn, base_seq, base_hash)
                    signed = signer.sign(head_seq, head_hash)
                    store.insert_rows(conn, SIGNATURES, [signed.as_row()])
                    recorded_at = conn.execute(
                        sa_select(chain.AUDIT.c.recorded_at).where(chain.AUDIT.c.seq == head_seq)
                    ).scalar_one()
            except SignoffError:
                raise
            except SQLAlchemyError as exc:
                self._writer.close()
                self._writer = None
                raise store.map_db_error(exc, self.where) from exc
            try:
                signer.publish(self.identity, signed)
            except OSError as exc:
                raise LedgerError(
                    f"head #{head_seq} was countersigned, but its signed head could not be "
                    f"written to {signer.heads_dir}: {exc.strerror}",
                    hint="make the executor's directory writable by the executor",
                ) from exc
            return Appended(seq=head_seq, hash=head_hash, recorded_at=recorded_at)

    def checkpoint(self) -> chain.Checkpoint:
        """The current head, to be written somewhere the ledger's writers cannot reach."""
        seq, digest = self.head()
        return chain.Checkpoint(
            sequence=seq,
            hash=digest,
            written_at=self._clock.now().isoformat(),
            ledger=self.where,
        )

    # ---------------------------------------------------------------- reading

    def plan_story(self, plan_id: str) -> queries.PlanStory | None:
        """Everything recorded about one plan, from the request's text to its fills."""
        return self._read(lambda conn: queries.plan_story(conn, plan_id))

    def unfinished_orders(self) -> list[queries.OrderView]:
        """Orders not yet seen finished: what to reconcile by client order id after a crash."""
        return self._read(queries.unfinished_orders)

    def order(self, client_order_id: str) -> queries.OrderView | None:
        return self._read(lambda conn: queries.order_view(conn, client_order_id))

    def recent(
        self,
        limit: int = 20,
        *,
        plan_id: str | None = None,
        kind: str | None = None,
        actor: str | None = None,
        since: datetime | None = None,
    ) -> list[AuditRecord]:
        """The last ``limit`` audit records matching every filter given, oldest first."""
        return self._read(
            lambda conn: queries.recent_records(
                conn, limit, plan_id=plan_id, kind=kind, actor=actor, since=since
            )
        )

    def log(
        self,
        limit: int = 20,
        *,
        plan_id: str | None = None,
        kind: str | None = None,
        actor: str | None = None,
        since: datetime | None = None,
    ) -> tuple[list[AuditRecord], dict[int, list[queries.DecisionLine]]]:
        """:meth:`recent`, with the decisions those records hold (by audit record)."""

        def run(
            conn: Connection,
        ) -> tuple[list[AuditRecord], dict[int, list[queries.DecisionLine]]]:
            records = queries.recent_records(
                conn, limit, plan_id=plan_id, kind=kind, actor=actor, since=since
            )
            seqs = [r.seq for r in records if r.kind == "decision"]
            return records, queries.decisions_by_seq(conn, seqs)

        return self._read(run)

    def export(self, since: datetime) -> Iterator[dict[str, Any]]:
        """Audit records at or after ``since`` with their event rows, in sequence order.

        The export runs in one read transaction, held until the iterator is exhausted
        or closed.
        """
        try:
            with store.read_transaction(self._engine) as conn:
                yield from queries.export_records(conn, since)
        except SQLAlchemyError as exc:
            raise store.map_db_error(exc, self.where) from exc


def _last_signed(conn: Connection, signer: HeadSigner, ledger: str) -> tuple[int, str]:
    """The furthest head ``signer`` signed for this chain that still matches its record.

    Looks at the signatures in the database (a forged or foreign one is
    skipped) and at the signer's signed-head file, which also remembers a
    head whose record or signature row was cut since.
    """
    best = (0, chain.GENESIS)
    rows = conn.execute(text("SELECT seq, hash, signature FROM audit_signatures ORDER BY seq DESC"))
    for seq, signed_hash, signature in rows:
        if signer.verifier.valid(int(seq), str(signed_hash), str(signature)):
            best = (int(seq), str(signed_hash))
            break
    if signer.heads_dir is not None:
        kept = read_signed_head(signer.heads_dir, ledger, signer.verifier)
        if kept is not None and kept.sequence > best[0]:
            best = (kept.sequence, kept.hash)
    seq, signed_hash = best
    if seq:
        stored = conn.execute(
            sa_select(chain.AUDIT.c.hash).where(chain.AUDIT.c.seq == seq)
        ).scalar_one_or_none()
        if stored is not None and stored != signed_hash:
            raise AuditIntegrityError(
                f"record #{seq} is not the one whose hash the executor signed: the chain was "
                "rewritten; nothing countersigned",
                hint="run `signoff audit verify`",
            )
    return best


def _check_links(conn: Connection, base_seq: int, base_hash: str) -> None:
    """Every record after ``base_seq`` follows on from it, hash and rows intact."""
    expected, prev_hash = base_seq + 1, base_hash
    while True:
        records = [
            dict(r)
            for r in conn.execute(
                sa_select(chain.AUDIT)
                .where(chain.AUDIT.c.seq >= expected)
                .order_by(chain.AUDIT.c.seq)
                .limit(chain.BATCH)
            ).mappings()
        ]
        if not records:
            return
        rows = chain.rows_by_seq(conn, expected - 1, records[-1]["seq"])
        for record in records:
            seq = record["seq"]
            problem = None
            if seq != expected:
                problem = f"record #{expected} is missing"
            elif record["prev_hash"] != prev_hash:
                problem = f"record #{seq} does not link to the record before it"
            elif chain.stored_record_hash(record) != record["hash"]:
                problem = f"record #{seq} was edited (its hash does not match its fields)"
            elif chain.event_digest(rows.get(seq, [])) != record["digest"]:
                problem = f"the event rows of record #{seq} do not match its digest"
            if problem is not None:
                raise AuditIntegrityError(
                    f"{problem}; nothing countersigned",
                    hint="run `signoff audit verify`",
                )
            expected, prev_hash = seq + 1, record["hash"]
