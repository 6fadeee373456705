"""The ledger's tables (schema version 2).

Every table except ``schema_info`` is append-only: rows are inserted, never
updated or deleted (the database refuses it with triggers; the code has no
such path). State that changes over time is a series of rows: an approval
being used is an ``approval_uses`` row, an order's status is the latest of its
``order_events``, a paper session's end is a ``paper_session_ends`` row, a
correction is a ``corrections`` row pointing at the record it corrects.

Each event row carries ``audit_seq``, the audit record that recorded it; the
record's digest covers every row carrying its number (see ``ledger.chain``).

Values that are queried are typed columns; values that are payload (the parse
result, a resolved step, a decision's inputs) are canonical JSON text
(``intent.canonical``). Money is :class:`~ledger.types.Money` (exact decimal
text), times are :class:`~ledger.types.UTCDateTime`, enumerations are plain
strings (no native enum types to migrate on PostgreSQL).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from ledger.types import Money, UTCDateTime

SCHEMA_VERSION = 3
"""Bump on any change of tables or of how digests are computed; never alter silently.

Version 2 added ``plans.parser_json``; version 3 added ``audit_signatures``. A ledger
of the version before is upgraded in place by its next writer (the new table only:
nothing existing changes), and read as it is (``ledger.store.UPGRADABLE_FROM``).
"""

_SEQ_FK = "audit_records.seq"


class SchemaInfo(SQLModel, table=True):
    """Key/value facts about the database itself; ``schema_version`` above all."""

    __tablename__ = "schema_info"

    key: str = Field(primary_key=True, max_length=64)
    value: str = Field(max_length=200)


class AuditRecord(SQLModel, table=True):
    """One link of the hash chain: one recorded event."""

    __tablename__ = "audit_records"

    seq: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    recorded_at: datetime = Field(sa_type=UTCDateTime, index=True)
    kind: str = Field(max_length=32, index=True)
    actor: str = Field(max_length=200)
    plan_id: str | None = Field(default=None, max_length=64, index=True)
    subject: str | None = Field(default=None, max_length=128)
    digest: str = Field(max_length=64)
    prev_hash: str = Field(max_length=64)
    hash: str = Field(max_length=64, unique=True)


class AuditSignatureRow(SQLModel, table=True):
    """The executor's Ed25519 signature over the chain's head ``(seq, hash)`` (``ledger.signing``).

    Not covered by any record's digest: a signature vouches for the chain, not
    the other way round. Append-only like the rest.
    """

    __tablename__ = "audit_signatures"

    seq: int = Field(
        primary_key=True, foreign_key=_SEQ_FK, sa_column_kwargs={"autoincrement": False}
    )
    hash: str = Field(max_length=64)
    key_id: str = Field(max_length=32)
    signature: str = Field(max_length=128)


class RequestRow(SQLModel, table=True):
    """What a person typed, who, when, and which parser read it."""

    __tablename__ = "requests"

    id: str = Field(primary_key=True, max_length=64)
    audit_seq: int = Field(foreign_key=_SEQ_FK, index=True)
    received_at: datetime = Field(sa_type=UTCDateTime)
    actor: str = Field(max_length=200)
    text: str = Field(sa_type=Text)
    parser: str = Field(max_length=64)
    model: str | None = Field(default=None, max_length=200)
    session_id: str | None = Field(default=None, max_length=64, index=True)


class PlanRow(SQLModel, table=True):
    """A parse result (plan, clarification or refusal) of one request."""

    __tablename__ = "plans"

    id: str = Field(primary_key=True, max_length=64)
    audit_seq: int = Field(foreign_key=_SEQ_FK, index=True)
    request_id: str = Field(foreign_key="requests.id", index=True, max_length=64)
    status: str = Field(max_length=16)
    parsed_at: datetime = Field(sa_type=UTCDateTime)
    content_hash: str = Field(max_length=64)
    result_json: str = Field(sa_type=Text)
    parser_json: str | None = Field(default=None, sa_type=Text)
    """How the result was produced: mode, parser, model, token usage, latency, notices."""


class PlanStepRow(SQLModel, table=True):
    """One intent step of a plan, in order."""

    __tablename__ = "plan_steps"

    plan_id: str = Field(primary_key=True, foreign_key="plans.id", max_length=64)
    idx: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    audit_seq: int = Field(foreign_key=_SEQ_FK, index=True)
    action: str = Field(max_length=16)
    step_json: str = Field(sa_type=Text)


class ResolutionRow(SQLModel, table=True):
    """A plan resolved against an account snapshot and market data."""

    __tablename__ = "resolutions"

    id: str = Field(primary_key=True, max_length=64)
    audit_seq: int = Field(foreign_key=_SEQ_FK, index=True)
    plan_id: str = Field(foreign_key="plans.id", index=True, max_length=64)
    resolved_at: datetime = Field(sa_type=UTCDateTime)
    snapshot_json: str = Field(sa_type=Text)
    market_json: str = Field(sa_type=Text)


class ResolvedStepRow(SQLModel, table=True):
    """One concrete step of a resolution (order, cancel, query or unresolved)."""

    __tablename__ = "resolved_steps"

    resolution_id: str = Field(primary_key=True, foreign_key="resolutions.id", max_length=64)
    step_id: str = Field(primary_key=True, max_length=16)
    audit_seq: int = Field(foreign_key=_SEQ_FK, index=True)
    plan_id: str = Field(index=True, max_length=64)
    kind: str = Field(max_length=16)
    source_index: int
    symbol: str | None = Field(default=None, max_length=32)
    side: str | None = Field(default=None, max_length=8)
    quantity: Decimal | None = Field(default=None, sa_type=Money)
    limit_price: Decimal | None = Field(default=None, sa_type=Money)
    notional: Decimal | None = Field(default=None, sa_type=Money)
    content_hash: str = Field(max_length=64)
    step_json: str = Field(sa_type=Text)


class PolicyVersionRow(SQLModel, table=True):
    """The full text of every policy ever used, keyed by its content hash."""

    __tablename__ = "policy_versions"

    hash: str = Field(primary_key=True, max_length=64)
    audit_seq: int = Field(foreign_key=_SEQ_FK, index=True)
    policy_id: str = Field(max_length=128)
    version: str = Field(max_length=64)
    recorded_at: datetime = Field(sa_type=UTCDateTime)
    text_sha256: str = Field(max_length=64)
    text: str = Field(sa_type=Text)


class DecisionInputsRow(SQLModel, table=True):
    """What one policy evaluation saw: enough to evaluate it again later."""

    __tablename__ = "decision_inputs"

    id: str = Field(primary_key=True, max_length=64)
    audit_seq: int = Field(foreign_key=_SEQ_FK, index=True)
    plan_id: str = Field(foreign_key="plans.id", index=True, max_length=64)
    resolution_id: str | None = Field(default=None, foreign_key="resolutions.id", max_length=64)
    evaluated_at: datetime = Field(sa_type=UTCDateTime)
    inputs_hash: str = Field(max_length=64)
    snapshot_json: str = Field(sa_type=Text)
    quotes_json: str = Field(sa_type=Text)
    counters_json: str = Field(sa_type=Text)


class DecisionRow(SQLModel, table=True):
    """The policy's decision on one step, stamped with the policy that made it."""

    __tablename__ = "decisions"

    id: str = Field(primary_key=True, max_length=64)
    audit_seq: int = Field(foreign_key=_SEQ_FK, index=True)
    plan_id: str = Field(foreign_key="plans.id", index=True, max_length=64)
    inputs_id: str = Field(foreign_key="decision_inputs.id", index=True, max_length=64)
    step_id: str = Field(max_length=16)
    verdict: str = Field(max_length=16)
    policy_id: str = Field(max_length=128)
    policy_version: str = Field(max_length=64)
    policy_hash: str = Field(foreign_key="policy_versions.hash", max_length=64)
    decided_at: datetime = Field(sa_type=UTCDateTime)
    reasons_json: str = Field(sa_type=Text)


class ApprovalRow(SQLModel, table=True):
    """A person's answer to a gated step, bound to the exact content approved."""

    __tablename__ = "approvals"

    id: str = Field(primary_key=True, max_length=64)
    audit_seq: int = Field(foreign_key=_SEQ_FK, index=True)
    plan_id: str = Field(foreign_key="plans.id", index=True, max_length=64)
    step_id: str = Field(max_length=16)
    decision_id: str | None = Field(default=None, foreign_key="decisions.id", max_length=64)
    approver: str = Field(max_length=200)
    role: str = Field(max_length=16)
    outcome: str = Field(max_length=16)
    approved_at: datetime = Field(sa_type=UTCDateTime)
    expires_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    content_hash: str = Field(max_length=64)
    policy_hash: str = Field(max_length=64)
    nonce: str | None = Field(default=None, max_length=128)


class ApprovalUseRow(SQLModel, table=True):
    """An approval being used; the primary key makes a second use impossible."""

    __tablename__ = "approval_uses"

    approval_id: str = Field(primary_key=True, foreign_key="approvals.id", max_length=64)
    audit_seq: int = Field(foreign_key=_SEQ_FK, index=True)
    used_at: datetime = Field(sa_type=UTCDateTime)
    actor: str = Field(max_length=200)
    client_order_id: str | None = Field(default=None, max_length=64)


class OrderRow(SQLModel, table=True):
    """An order's intent to send, written before it is sent."""

    __tablename__ = "orders"

    client_order_id: str = Field(primary_key=True, max_length=64)
    audit_seq: int = Field(foreign_key=_SEQ_FK, index=True)
    plan_id: str = Field(foreign_key="plans.id", index=True, max_length=64)
    step_id: str = Field(max_length=16)
    venue: str = Field(max_length=64)
    account_id: str | None = Field(default=None, max_length=128)
    symbol: str = Field(max_length=32)
    side: str = Field(max_length=8)
    order_type: str = Field(max_length=16)
    quantity: Decimal = Field(sa_type=Money)
    limit_price: Decimal | None = Field(default=None, sa_type=Money)
    approval_id: str | None = Field(default=None, foreign_key="approvals.id", max_length=64)
    decision_id: str | None = Field(default=None, foreign_key="decisions.id", max_length=64)
    created_at: datetime = Field(sa_type=UTCDateTime)


class OrderEventRow(SQLModel, table=True):
    """A status an order was seen in (sent, open, partially filled, filled, ...)."""

    __tablename__ = "order_events"

    id: str = Field(primary_key=True, max_length=64)
    audit_seq: int = Field(foreign_key=_SEQ_FK, index=True)
    client_order_id: str = Field(foreign_key="orders.client_order_id", index=True, max_length=64)
    status: str = Field(max_length=24)
    exchange_order_id: str | None = Field(default=None, max_length=128)
    filled_quantity: Decimal | None = Field(default=None, sa_type=Money)
    average_price: Decimal | None = Field(default=None, sa_type=Money)
    detail: str | None = Field(default=None, sa_type=Text)
    observed_at: datetime = Field(sa_type=UTCDateTime)


class FillRow(SQLModel, table=True):
    """One execution (trade) of an order."""

    __tablename__ = "fills"
    __table_args__ = (UniqueConstraint("client_order_id", "trade_id"),)

    id: str = Field(primary_key=True, max_length=64)
    audit_seq: int = Field(foreign_key=_SEQ_FK, index=True)
    client_order_id: str = Field(foreign_key="orders.client_order_id", index=True, max_length=64)
    trade_id: str = Field(max_length=128)
    quantity: Decimal = Field(sa_type=Money)
    price: Decimal = Field(sa_type=Money)
    fee: Decimal | None = Field(default=None, sa_type=Money)
    fee_asset: str | None = Field(default=None, max_length=20)
    filled_at: datetime = Field(sa_type=UTCDateTime)


class PaperSessionRow(SQLModel, table=True):
    """A paper-trading session starting: feed, seed, settings and starting account."""

    __tablename__ = "paper_sessions"

    id: str = Field(primary_key=True, max_length=64)
    audit_seq: int = Field(foreign_key=_SEQ_FK, index=True)
    started_at: datetime = Field(sa_type=UTCDateTime)
    actor: str = Field(max_length=200)
    venue: str = Field(max_length=64)
    feed: str = Field(max_length=200)
    seed: int | None = None
    settings_json: str = Field(sa_type=Text)
    snapshot_json: str = Field(sa_type=Text)


class PaperSessionEndRow(SQLModel, table=True):
    """A paper-trading session ending, with its report."""

    __tablename__ = "paper_session_ends"

    session_id: str = Field(primary_key=True, foreign_key="paper_sessions.id", max_length=64)
    audit_seq: int = Field(foreign_key=_SEQ_FK, index=True)
    ended_at: datetime = Field(sa_type=UTCDateTime)
    actor: str = Field(max_length=200)
    report_json: str = Field(sa_type=Text)


class CorrectionRow(SQLModel, table=True):
    """A correction of an earlier record: records are never edited, they are corrected."""

    __tablename__ = "corrections"

    id: str = Field(primary_key=True, max_length=64)
    audit_seq: int = Field(foreign_key=_SEQ_FK, index=True)
    corrects_seq: int = Field(foreign_key=_SEQ_FK)
    actor: str = Field(max_length=200)
    reason: str = Field(sa_type=Text)
    payload_json: str = Field(sa_type=Text)


EVENT_TABLES: tuple[type[SQLModel], ...] = (
    RequestRow,
    PlanRow,
    PlanStepRow,
    ResolutionRow,
    ResolvedStepRow,
    PolicyVersionRow,
    DecisionInputsRow,
    DecisionRow,
    ApprovalRow,
    ApprovalUseRow,
    OrderRow,
    OrderEventRow,
    FillRow,
    PaperSessionRow,
    PaperSessionEndRow,
    CorrectionRow,
)
"""Tables whose rows are covered by an audit record's digest (all carry ``audit_seq``)."""

APPEND_ONLY_TABLES: tuple[str, ...] = (
    "audit_records",
    "audit_signatures",
    *(str(t.__tablename__) for t in EVENT_TABLES),
)
