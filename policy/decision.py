"""What the policy says about a step, and why.

Deny beats escalate beats confirm beats allow. Every decision carries the
policy's id, version and content hash, and every reason names the rule, a code,
the limit and the value observed:
``MAX_ORDER_VALUE: limit=1000 USDT, notional=1520.40 USDT``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field

from intent.plan import Frozen

Verdict = Literal["allow", "confirm", "escalate", "deny"]

SEVERITY: dict[str, int] = {"allow": 0, "confirm": 1, "escalate": 2, "deny": 3}


def strictest(verdicts: list[Verdict] | tuple[Verdict, ...]) -> Verdict:
    """Deny beats escalate beats confirm beats allow."""
    result: Verdict = "allow"
    for verdict in verdicts:
        if SEVERITY[verdict] > SEVERITY[result]:
            result = verdict
    return result


class PolicyStamp(Frozen):
    """Which policy decided: its id, version and the hash of its exact content."""

    id: str
    version: str
    hash: str = Field(pattern=r"^[0-9a-f]{64}$")
    personal_hash: str | None = Field(
        default=None,
        pattern=r"^[0-9a-f]{64}$",
        description="hash of the trader's personal file applied on top, if any",
    )


class Reason(Frozen):
    """One rule that applied to a step."""

    rule: str = Field(description="the rule's id in the policy file")
    code: str = Field(description="what the rule checks, e.g. MAX_ORDER_VALUE")
    effect: Verdict
    limit: str | None = None
    observed: str | None = None
    message: str = Field(description="the reason in one line, for people")


class StepDecision(Frozen):
    """The policy's decision on one resolved step."""

    step_id: str
    decision: Verdict
    reasons: tuple[Reason, ...] = ()
    policy: PolicyStamp
    decided_at: datetime

    @property
    def needs_approval(self) -> bool:
        return self.decision in ("confirm", "escalate")
