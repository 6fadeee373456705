"""Helpers for the gate's tests: people with keys, a small firm policy, an honest client."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Literal

from executors.approvals import (
    ApprovableStep,
    SignedApproval,
    SignedRequest,
    sign_approval,
    sign_request,
)
from executors.service import ExecutionService, StepResult
from foundation.identity import SigningKey
from intent.resolved import ResolvedStep
from ledger.service import Ledger
from policy.decision import StepDecision, Verdict

_TEMPLATE = """\
[policy]
id = "gate-test"
version = "1"
owner = "compliance@test"
currency = "USDT"
default_decision = "allow"
trading_state = "ACTIVE"

[approvals]
valid_for = "10m"
max_price_drift_percent = "1"
second_approvers = ["risk-desk", "ann"]

[[rule]]
id = "value-confirm"
kind = "max_order_value"
effect = "confirm"
limit = "1000"

[[rule]]
id = "value-escalate"
kind = "max_order_value"
effect = "escalate"
limit = "10000"

[[rule]]
id = "value-deny"
kind = "max_order_value"
effect = "deny"
limit = "50000"

[[rule]]
id = "daily-budget"
kind = "daily_notional"
effect = "deny"
limit = "{budget}"
"""


def gate_policy(budget: str = "100000", **changes: str) -> str:
    text = _TEMPLATE.replace("{budget}", budget)
    for key, value in changes.items():
        old = next(line for line in text.splitlines() if line.startswith(f"{key} = "))
        text = text.replace(old, f"{key} = {value}", 1)
    return text


GATE_POLICY = gate_policy()
ROLES = {
    "alice": ["trader"],
    "bob": ["trader"],
    "risk-desk": ["approver"],
    "carol": ["approver"],
    "ann": ["trader", "approver"],
}


class People(dict[str, SigningKey]):
    """Each person's own signing key, by name."""


def identities_text(people: People) -> str:
    return "\n".join(people[name].identity_line(roles) for name, roles in ROLES.items())


def new_plan(ledger: Ledger, text: str = "buy 0.01 BTC", actor: str = "alice") -> str:
    """A plan recorded in ``ledger`` the way a session records one (request, parse)."""
    from signoff.intents import parse_request

    request = ledger.record_request(text=text, actor=actor, parser="deterministic")
    return ledger.record_parse(request_id=request.id, result=parse_request(text), actor=actor).id


async def honest(
    gate: ExecutionService,
    plan_id: str,
    step: ApprovableStep,
    plan_steps: tuple[ResolvedStep, ...] = (),
) -> StepDecision:
    """The decision an honest client shows: the executor's own, asked beforehand."""
    steps = plan_steps or (step,)
    decisions = await gate.preview(plan_id, steps)
    return next(d for d in decisions if d.step_id == step.step_id)


def signed(
    key: SigningKey,
    gate: ExecutionService,
    plan_id: str,
    step: ApprovableStep,
    decision: StepDecision,
    *,
    now: datetime | None = None,
    validity: timedelta = timedelta(minutes=5),
) -> SignedRequest:
    return sign_request(
        key,
        plan_id=plan_id,
        step=step,
        decision=decision,
        now=now or gate.clock.now(),
        validity=validity,
    )


def approval(
    key: SigningKey,
    gate: ExecutionService,
    plan_id: str,
    step: ApprovableStep,
    *,
    requester: str = "alice",
    outcome: Literal["approve", "reject"] = "approve",
    now: datetime | None = None,
    validity: timedelta = timedelta(minutes=5),
    policy_hash: str | None = None,
) -> SignedApproval:
    return sign_approval(
        key,
        plan_id=plan_id,
        step=step,
        policy_hash=policy_hash or gate.current_policy().hash,
        requester=requester,
        now=now or gate.clock.now(),
        validity=validity,
        outcome=outcome,
        reason="no" if outcome == "reject" else None,
    )


async def send(
    gate: ExecutionService,
    key: SigningKey,
    plan_id: str,
    step: ApprovableStep,
    *,
    plan_steps: tuple[ResolvedStep, ...] = (),
    claim: Verdict | None = None,
    second: SignedApproval | None = None,
) -> StepResult:
    """Decide honestly (or claim ``claim``), sign as ``key`` and ask the gate to execute."""
    decision = await honest(gate, plan_id, step, plan_steps)
    if claim is not None:
        decision = decision.model_copy(update={"decision": claim})
    return await gate.execute(
        plan_id=plan_id,
        step=step,
        decision=decision,
        request=signed(key, gate, plan_id, step, decision),
        plan_steps=plan_steps,
        approval=second,
    )
