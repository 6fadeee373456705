"""Read-only queries for compliance: policy versions, recorded evaluations, approvals.

Nothing here writes. What the policy lifecycle (history, replay, tighter) and the
compliance report need from what the ledger recorded:

- :func:`policy_versions`: every policy version ever recorded, whole, with how many
  decisions it made and when it was first and last used;
- :func:`find_policy_version`: one version by hash (or a prefix), ``ID@VERSION`` or
  ``VERSION``;
- :func:`check_policy_version`: refuses a policy whose id and version are known with
  a different content hash, naming both;
- :func:`recorded_evaluations`: every recorded evaluation with its inputs (resolved
  steps, account snapshot, market, counters), who asked, and the decisions made;
- :func:`approvals_since`: approvals and rejections with their approvers.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import cast

from pydantic import TypeAdapter
from sqlalchemy import func
from sqlmodel import Session, col, select

from foundation.errors import PolicyError
from intent.market import AccountSnapshot, MarketData
from intent.resolved import ResolvedStep
from ledger.service import Ledger
from ledger.tables import (
    ApprovalRow,
    DecisionInputsRow,
    DecisionRow,
    PlanRow,
    PolicyVersionRow,
    RequestRow,
    ResolutionRow,
    ResolvedStepRow,
)
from policy.counters import Counters
from policy.decision import PolicyStamp, Reason, StepDecision, Verdict
from policy.lifecycle import Recorded

__all__ = [
    "PolicyVersion",
    "RecordedApproval",
    "RecordedDecision",
    "RecordedEvaluation",
    "approvals_since",
    "check_policy_version",
    "decisions_since",
    "find_policy_version",
    "policy_versions",
    "recorded_evaluations",
]

_STEP = TypeAdapter(ResolvedStep)
_REASONS = TypeAdapter(tuple[Reason, ...])


@dataclass(frozen=True)
class PolicyVersion:
    hash: str
    policy_id: str
    version: str
    recorded_at: datetime
    text: str
    decisions: int
    first_used: datetime | None
    last_used: datetime | None

    @property
    def label(self) -> str:
        return f"{self.policy_id}@{self.version}"


def policy_versions(ledger: Ledger) -> list[PolicyVersion]:
    """Every policy version the ledger holds, oldest first."""
    with Session(ledger.engine) as db:
        usage = {
            row[0]: (row[1], row[2], row[3])
            for row in db.exec(
                select(
                    DecisionRow.policy_hash,
                    func.count(col(DecisionRow.id)),
                    func.min(DecisionRow.decided_at),
                    func.max(DecisionRow.decided_at),
                ).group_by(DecisionRow.policy_hash)
            ).all()
        }
        rows = db.exec(select(PolicyVersionRow).order_by(col(PolicyVersionRow.audit_seq))).all()
        out = []
        for row in rows:
            count, first, last = usage.get(row.hash, (0, None, None))
            out.append(
                PolicyVersion(
                    hash=row.hash,
                    policy_id=row.policy_id,
                    version=row.version,
                    recorded_at=row.recorded_at,
                    text=row.text,
                    decisions=int(count),
                    first_used=first,
                    last_used=last,
                )
            )
        return out


def find_policy_version(ledger: Ledger, ref: str) -> PolicyVersion | None:
    """A version by content hash (or a prefix of 6+ characters), ``ID@VERSION`` or ``VERSION``.

    A reference that names several versions is refused, listing them.
    """
    versions = policy_versions(ledger)
    if "@" in ref:
        policy_id, _, version = ref.partition("@")
        found = [v for v in versions if v.policy_id == policy_id and v.version == version]
    else:
        found = [v for v in versions if len(ref) >= 6 and v.hash.startswith(ref.lower())]
        if not found:
            found = [v for v in versions if v.version == ref]
    if len(found) > 1:
        listed = ", ".join(f"{v.label} ({v.hash[:12]})" for v in found)
        raise PolicyError(
            f"{ref!r} names several recorded policy versions: {listed}",
            hint="give the content hash (or a longer prefix of it)",
        )
    return found[0] if found else None


def check_policy_version(ledger: Ledger, stamp: PolicyStamp) -> None:
    """Refuse a policy whose id and version are recorded with a different content hash.

    A policy whose content changed must change its version: otherwise two different
    rule sets would carry the same name on decisions.
    """
    for known in policy_versions(ledger):
        if (
            known.policy_id == stamp.id
            and known.version == stamp.version
            and known.hash != stamp.hash
        ):
            raise PolicyError(
                f"policy {stamp.id} version {stamp.version} is already recorded with other "
                f"content: recorded sha256 {known.hash}, this file sha256 {stamp.hash}",
                hint="a changed policy needs a new version: change 'version' in [policy]",
            )


RecordedEvaluation = Recorded


def recorded_evaluations(
    ledger: Ledger, *, since: datetime | None = None
) -> Iterator[RecordedEvaluation]:
    """Every recorded evaluation (oldest first) whose steps were recorded with it."""
    with Session(ledger.engine) as db:
        query = select(DecisionInputsRow).order_by(col(DecisionInputsRow.audit_seq))
        for inputs in db.exec(query).all():
            if inputs.resolution_id is None:
                continue
            resolution = db.get(ResolutionRow, inputs.resolution_id)
            if resolution is None:
                continue
            step_rows = db.exec(
                select(ResolvedStepRow).where(ResolvedStepRow.resolution_id == resolution.id)
            ).all()
            steps = sorted(
                (_STEP.validate_json(r.step_json) for r in step_rows),
                key=lambda s: (s.source_index, _step_order(s.step_id)),
            )
            plan = db.get(PlanRow, inputs.plan_id)
            request = db.get(RequestRow, plan.request_id) if plan is not None else None
            decision_rows = db.exec(
                select(DecisionRow).where(DecisionRow.inputs_id == inputs.id)
            ).all()
            decisions = tuple(
                StepDecision(
                    step_id=d.step_id,
                    decision=cast(Verdict, d.verdict),
                    reasons=_REASONS.validate_json(d.reasons_json),
                    policy=PolicyStamp(
                        id=d.policy_id, version=d.policy_version, hash=d.policy_hash
                    ),
                    decided_at=d.decided_at,
                )
                for d in decision_rows
            )
            if since is not None and decisions and decisions[0].decided_at < since:
                continue  # the time the rules saw, not when the row was written
            yield RecordedEvaluation(
                inputs_id=inputs.id,
                plan_id=inputs.plan_id,
                evaluated_at=inputs.evaluated_at,
                trader=request.actor if request is not None else "?",
                steps=tuple(steps),
                account=AccountSnapshot.model_validate_json(inputs.snapshot_json),
                market=MarketData.model_validate_json(resolution.market_json),
                counters=Counters.model_validate_json(inputs.counters_json),
                decisions=decisions,
            )


def _step_order(step_id: str) -> tuple[tuple[int, str], ...]:
    """Natural order: s2 before s10, s2.1 after s2."""
    parts = re.split(r"(\d+)", step_id)
    return tuple((int(p), "") if p.isdigit() else (-1, p) for p in parts if p)


@dataclass(frozen=True)
class RecordedApproval:
    plan_id: str
    step_id: str
    approver: str
    role: str
    outcome: str
    approved_at: datetime
    policy_hash: str


def approvals_since(ledger: Ledger, since: datetime | None = None) -> list[RecordedApproval]:
    with Session(ledger.engine) as db:
        query = select(ApprovalRow).order_by(col(ApprovalRow.audit_seq))
        if since is not None:
            query = query.where(ApprovalRow.approved_at >= since)
        return [
            RecordedApproval(
                plan_id=r.plan_id,
                step_id=r.step_id,
                approver=r.approver,
                role=r.role,
                outcome=r.outcome,
                approved_at=r.approved_at,
                policy_hash=r.policy_hash,
            )
            for r in db.exec(query).all()
        ]


@dataclass(frozen=True)
class RecordedDecision:
    decided_at: datetime
    plan_id: str
    step_id: str
    verdict: str
    rules: tuple[str, ...]
    codes: tuple[str, ...]
    trader: str
    policy: str


def decisions_since(ledger: Ledger, since: datetime | None = None) -> list[RecordedDecision]:
    """Every recorded decision (oldest first) with who asked and the rules that applied."""
    with Session(ledger.engine) as db:
        query = (
            select(DecisionRow, RequestRow.actor)
            .join(PlanRow, col(PlanRow.id) == col(DecisionRow.plan_id))
            .join(RequestRow, col(RequestRow.id) == col(PlanRow.request_id))
            .order_by(col(DecisionRow.audit_seq), col(DecisionRow.step_id))
        )
        if since is not None:
            query = query.where(col(DecisionRow.decided_at) >= since)
        out = []
        for row, actor in db.exec(query).all():
            reasons = _REASONS.validate_json(row.reasons_json)
            out.append(
                RecordedDecision(
                    decided_at=row.decided_at,
                    plan_id=row.plan_id,
                    step_id=row.step_id,
                    verdict=row.verdict,
                    rules=tuple(r.rule for r in reasons),
                    codes=tuple(r.code for r in reasons),
                    trader=actor,
                    policy=f"{row.policy_id}@{row.policy_version}",
                )
            )
        return out
