"""What crosses the local channel between signoff and the executor process."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated

from pydantic import Field

from intent.plan import Frozen
from intent.resolved import ResolvedCancel, ResolvedOrder
from policy.decision import StepDecision

WireStep = Annotated[ResolvedOrder | ResolvedCancel, Field(discriminator="kind")]

API = "/v1"


class IssueRequest(Frozen):
    plan_id: str = Field(min_length=1, max_length=200)
    step: WireStep
    decision: StepDecision
    requester: str = Field(min_length=1, max_length=200)
    approver: str = Field(min_length=1, max_length=200)
    validity_seconds: int | None = Field(default=None, gt=0)
    drift_limit_pct: Decimal | None = Field(default=None, ge=0)


class IssueResponse(Frozen):
    token: str
    expires_at: datetime
    price_at_approval: Decimal | None = None


class ExecuteRequest(Frozen):
    plan_id: str = Field(min_length=1, max_length=200)
    step: WireStep
    decision: StepDecision
    token: str | None = Field(default=None, max_length=4000)


class QuotesRequest(Frozen):
    symbols: tuple[str, ...] = Field(max_length=200)


class ErrorBody(Frozen):
    type: str
    message: str
    hint: str | None = None
    code: str | None = None


class Health(Frozen):
    venue: str
    pid: int
    started_at: datetime
    policy_hash: str | None = Field(default=None, description="the policy it enforces")
