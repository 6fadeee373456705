"""What crosses the local channel between signoff and the executor process."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import Field

from executors.approvals import SignedApproval, SignedRequest
from intent.plan import Frozen
from intent.resolved import ResolvedCancel, ResolvedOrder, ResolvedStep
from policy.decision import StepDecision

WireStep = Annotated[ResolvedOrder | ResolvedCancel, Field(discriminator="kind")]

API = "/v1"


class ExecuteRequest(Frozen):
    plan_id: str = Field(min_length=1, max_length=200)
    step: WireStep
    decision: StepDecision = Field(description="the decision the client showed")
    request: SignedRequest | None = Field(default=None, description="the requester's signature")
    plan_steps: tuple[ResolvedStep, ...] = Field(default=(), max_length=200)
    personal: str | None = Field(default=None, max_length=65536)
    approval: SignedApproval | None = None


class ApproveRequest(Frozen):
    plan_id: str = Field(min_length=1, max_length=200)
    step_id: str = Field(min_length=1, max_length=16)
    approval: SignedApproval


class ResumeRequest(Frozen):
    plan_id: str = Field(min_length=1, max_length=200)


class QuotesRequest(Frozen):
    symbols: tuple[str, ...] = Field(max_length=200)


class ErrorBody(Frozen):
    type: str
    message: str
    hint: str | None = None
    code: str | None = None


class PolicyInfo(Frozen):
    """The firm policy the executor enforces, with its exact text."""

    id: str
    version: str
    hash: str
    source: str | None = None
    text: str


class Countersigned(Frozen):
    """The head the executor countersigned (``sequence`` None: it was signed already)."""

    sequence: int | None = None
    hash: str | None = None


class Health(Frozen):
    venue: str
    pid: int
    started_at: datetime
    policy_hash: str | None = Field(default=None, description="the policy it enforces")
    ledger: str | None = Field(default=None, description="where it records what it does")
    identities: str | None = Field(default=None, description="the identities file it pinned")
