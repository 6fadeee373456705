"""Reading the ledger back: one plan's story, orders still open, exports, recent records.

Everything here only reads. Each function takes an open connection, so a
caller can run several of them in one consistent read transaction.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, and_, or_
from sqlmodel import Session, col, select

from ledger import chain
from ledger.tables import (
    ApprovalRow,
    ApprovalUseRow,
    AuditRecord,
    CorrectionRow,
    DecisionInputsRow,
    DecisionRow,
    FillRow,
    OrderEventRow,
    OrderRow,
    PlanRow,
    PlanStepRow,
    PolicyVersionRow,
    RequestRow,
    ResolutionRow,
    ResolvedStepRow,
)

FINISHED = frozenset({"filled", "canceled", "rejected", "expired"})


@dataclass(frozen=True)
class OrderView:
    """An order with everything seen of it since its intent was recorded."""

    order: OrderRow
    events: tuple[OrderEventRow, ...] = ()
    fills: tuple[FillRow, ...] = ()

    @property
    def client_order_id(self) -> str:
        return self.order.client_order_id

    @property
    def status(self) -> str:
        """The latest status seen; ``intent`` when nothing was seen since the intent."""
        return self.events[-1].status if self.events else "intent"

    @property
    def finished(self) -> bool:
        return self.status in FINISHED

    @property
    def exchange_order_id(self) -> str | None:
        for event in reversed(self.events):
            if event.exchange_order_id:
                return event.exchange_order_id
        return None

    @property
    def filled_quantity(self) -> Decimal:
        """Quantity filled: the sum of recorded fills, or the latest status's figure if larger."""
        from_fills = sum((f.quantity for f in self.fills), Decimal(0))
        reported = next(
            (e.filled_quantity for e in reversed(self.events) if e.filled_quantity is not None),
            Decimal(0),
        )
        return max(from_fills, reported)


@dataclass(frozen=True)
class ApprovalView:
    approval: ApprovalRow
    use: ApprovalUseRow | None = None

    @property
    def used(self) -> bool:
        return self.use is not None


@dataclass
class ResolutionView:
    resolution: ResolutionRow
    steps: list[ResolvedStepRow] = field(default_factory=list)


@dataclass
class DecisionsView:
    inputs: DecisionInputsRow
    decisions: list[DecisionRow] = field(default_factory=list)


@dataclass
class PlanStory:
    """Everything recorded about one request, from its text to its fills."""

    plan: PlanRow
    request: RequestRow | None
    steps: list[PlanStepRow]
    resolutions: list[ResolutionView]
    evaluations: list[DecisionsView]
    policies: list[PolicyVersionRow]
    approvals: list[ApprovalView]
    orders: list[OrderView]
    corrections: list[CorrectionRow]
    records: list[AuditRecord]

    @property
    def result(self) -> dict[str, Any]:
        value = json.loads(self.plan.result_json)
        return value if isinstance(value, dict) else {}


def plan_story(conn: Connection, plan_id: str) -> PlanStory | None:
    """The story of ``plan_id``, or None when no such plan was recorded."""
    with Session(bind=conn) as session:
        plan = session.get(PlanRow, plan_id)
        if plan is None:
            return None
        request = session.get(RequestRow, plan.request_id)
        steps = list(
            session.exec(
                select(PlanStepRow)
                .where(PlanStepRow.plan_id == plan_id)
                .order_by(col(PlanStepRow.idx))
            )
        )
        resolutions = []
        for resolution in session.exec(
            select(ResolutionRow)
            .where(ResolutionRow.plan_id == plan_id)
            .order_by(col(ResolutionRow.audit_seq))
        ):
            resolved = list(
                session.exec(
                    select(ResolvedStepRow)
                    .where(ResolvedStepRow.resolution_id == resolution.id)
                    .order_by(col(ResolvedStepRow.source_index), col(ResolvedStepRow.step_id))
                )
            )
            resolutions.append(ResolutionView(resolution, resolved))
        evaluations = []
        for inputs in session.exec(
            select(DecisionInputsRow)
            .where(DecisionInputsRow.plan_id == plan_id)
            .order_by(col(DecisionInputsRow.audit_seq))
        ):
            decided = list(
                session.exec(
                    select(DecisionRow)
                    .where(DecisionRow.inputs_id == inputs.id)
                    .order_by(col(DecisionRow.step_id))
                )
            )
            evaluations.append(DecisionsView(inputs, decided))
        hashes = {d.policy_hash for e in evaluations for d in e.decisions}
        policies = (
            list(
                session.exec(
                    select(PolicyVersionRow).where(col(PolicyVersionRow.hash).in_(sorted(hashes)))
                )
            )
            if hashes
            else []
        )
        approvals = []
        for approval in session.exec(
            select(ApprovalRow)
            .where(ApprovalRow.plan_id == plan_id)
            .order_by(col(ApprovalRow.audit_seq))
        ):
            approvals.append(ApprovalView(approval, session.get(ApprovalUseRow, approval.id)))
        orders = [
            _order_view(session, order)
            for order in session.exec(
                select(OrderRow)
                .where(OrderRow.plan_id == plan_id)
                .order_by(col(OrderRow.audit_seq))
            )
        ]
        records = list(
            session.exec(
                select(AuditRecord)
                .where(AuditRecord.plan_id == plan_id)
                .order_by(col(AuditRecord.seq))
            )
        )
        request_records = (
            list(
                session.exec(
                    select(AuditRecord).where(
                        AuditRecord.kind == "request", AuditRecord.subject == request.id
                    )
                )
            )
            if request is not None
            else []
        )
        seqs = [r.seq for r in records]
        corrections = (
            list(
                session.exec(
                    select(CorrectionRow).where(
                        col(CorrectionRow.corrects_seq).in_(seqs + [r.seq for r in request_records])
                    )
                )
            )
            if seqs
            else []
        )
        return PlanStory(
            plan=plan,
            request=request,
            steps=steps,
            resolutions=resolutions,
            evaluations=evaluations,
            policies=policies,
            approvals=approvals,
            orders=orders,
            corrections=corrections,
            records=sorted(request_records + records, key=lambda r: r.seq),
        )


def _order_view(session: Session, order: OrderRow) -> OrderView:
    events = tuple(
        session.exec(
            select(OrderEventRow)
            .where(OrderEventRow.client_order_id == order.client_order_id)
            .order_by(col(OrderEventRow.audit_seq))
        )
    )
    fills = tuple(
        session.exec(
            select(FillRow)
            .where(FillRow.client_order_id == order.client_order_id)
            .order_by(col(FillRow.audit_seq))
        )
    )
    return OrderView(order, events, fills)


def unfinished_orders(conn: Connection) -> list[OrderView]:
    """Orders whose latest recorded status is not final, oldest first.

    After a crash these are the orders to look up on the venue by client order
    id: one with status ``intent`` may or may not have reached it.
    """
    with Session(bind=conn) as session:
        latest: dict[str, str] = {}
        for client_id, status in session.exec(
            select(OrderEventRow.client_order_id, OrderEventRow.status).order_by(
                col(OrderEventRow.audit_seq)
            )
        ):
            latest[client_id] = status
        result = []
        for order in session.exec(select(OrderRow).order_by(col(OrderRow.audit_seq))):
            if latest.get(order.client_order_id) in FINISHED:
                continue
            result.append(_order_view(session, order))
        return result


def order_view(conn: Connection, client_order_id: str) -> OrderView | None:
    with Session(bind=conn) as session:
        order = session.get(OrderRow, client_order_id)
        return None if order is None else _order_view(session, order)


def recent_records(
    conn: Connection,
    limit: int,
    *,
    plan_id: str | None = None,
    kind: str | None = None,
    actor: str | None = None,
    since: datetime | None = None,
) -> list[AuditRecord]:
    """The last ``limit`` audit records matching every filter given, oldest first.

    ``plan_id`` also matches the request record of that plan.
    """
    with Session(bind=conn) as session:
        query = select(AuditRecord)
        if plan_id is not None:
            request_id = session.exec(
                select(PlanRow.request_id).where(PlanRow.id == plan_id)
            ).first()
            mine = col(AuditRecord.plan_id) == plan_id
            if request_id is not None:
                mine = or_(
                    mine,
                    and_(
                        col(AuditRecord.kind) == "request", col(AuditRecord.subject) == request_id
                    ),
                )
            query = query.where(mine)
        if kind is not None:
            query = query.where(AuditRecord.kind == kind)
        if actor is not None:
            query = query.where(AuditRecord.actor == actor)
        if since is not None:
            query = query.where(col(AuditRecord.recorded_at) >= since)
        newest = list(session.exec(query.order_by(col(AuditRecord.seq).desc()).limit(limit)))
        return list(reversed(newest))


@dataclass(frozen=True)
class DecisionLine:
    """One step's decision, for a line of the log."""

    step_id: str
    verdict: str
    codes: tuple[str, ...]


def decisions_by_seq(conn: Connection, seqs: list[int]) -> dict[int, list[DecisionLine]]:
    """The decisions recorded by each of the audit records ``seqs``, by step."""
    if not seqs:
        return {}
    found: dict[int, list[DecisionLine]] = {}
    with Session(bind=conn) as session:
        rows = session.exec(
            select(DecisionRow)
            .where(col(DecisionRow.audit_seq).in_(seqs))
            .order_by(col(DecisionRow.audit_seq), col(DecisionRow.step_id))
        )
        for row in rows:
            codes: list[str] = []
            try:
                reasons = json.loads(row.reasons_json)
            except json.JSONDecodeError:
                reasons = []
            if isinstance(reasons, list):
                codes = [str(r.get("code")) for r in reasons if isinstance(r, dict)]
            found.setdefault(row.audit_seq, []).append(
                DecisionLine(row.step_id, row.verdict, tuple(dict.fromkeys(codes)))
            )
    return found


def export_records(conn: Connection, since: datetime) -> Iterator[dict[str, Any]]:
    """Audit records at or after ``since`` with their event rows, as stored.

    JSON payload columns stay as the exact text that was hashed, so anyone can
    recompute each record's digest and hash from the export alone.
    """
    for records in chain.iter_records(conn, since=since):
        low = records[0]["seq"] - 1
        high = records[-1]["seq"]
        rows = chain.rows_by_seq(conn, low, high)
        for record in records:
            yield {
                **record,
                "rows": [
                    {"table": name, "row": content}
                    for name, content in chain.sorted_rows(rows.get(record["seq"], []))
                ],
            }
