"""Resolve a plan and decide its steps in one call: what ``signoff check``, the session
service and the policy scenario tests all do before anything is executed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from intent.market import AccountSnapshot, MarketData
from intent.plan import Plan
from intent.resolve import resolve
from intent.resolved import ResolvedStep
from policy.counters import Counters
from policy.decision import StepDecision, Verdict
from policy.engine import evaluate, overall
from policy.model import Policy

__all__ = ["GatedPlan", "gate"]


@dataclass(frozen=True)
class GatedPlan:
    """The resolved steps and the policy's decision on each, in the same order."""

    steps: tuple[ResolvedStep, ...]
    decisions: tuple[StepDecision, ...]

    @property
    def overall(self) -> Verdict:
        return overall(self.decisions)

    def pairs(self) -> tuple[tuple[ResolvedStep, StepDecision], ...]:
        return tuple(zip(self.steps, self.decisions, strict=True))


def gate(
    plan: Plan,
    *,
    policy: Policy,
    account: AccountSnapshot,
    market: MarketData,
    counters: Counters,
    now: datetime,
    plan_id: str | None = None,
) -> GatedPlan:
    steps = resolve(plan, account, market)
    decisions = evaluate(
        steps,
        policy=policy,
        account=account,
        market=market,
        counters=counters,
        now=now,
        plan_id=plan_id,
    )
    return GatedPlan(steps=steps, decisions=decisions)
