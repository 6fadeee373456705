"""Compliance's own tests of a policy: given this situation, expect these decisions.

A :class:`Scenario` is already parsed (the files are read and parsed in
``signoff``); :func:`run_scenario` resolves its steps, evaluates them and compares
each expected step's decision and rule ids, like ``opa test``. It is pure: the
request parser is handed in.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from pydantic import Field

from intent.market import AccountSnapshot, MarketData
from intent.plan import Clarification, Frozen, Plan, Refusal
from intent.resolve import resolve
from intent.resolved import ResolvedStep
from policy.counters import Counters
from policy.decision import StepDecision, Verdict
from policy.engine import evaluate
from policy.model import Policy

__all__ = ["Expectation", "Scenario", "ScenarioResult", "run_scenario"]

Parser = Callable[[str], Plan | Clarification | Refusal]


class Expectation(Frozen):
    """What one step should get.

    ``rules``: the exact set of rule ids among the step's reasons (``[]``: none);
    left out, the rule ids are not compared. ``codes``: codes that must appear.
    """

    step: str
    decision: Verdict
    rules: tuple[str, ...] | None = None
    codes: tuple[str, ...] = ()


class Scenario(Frozen):
    name: str
    source: str
    now: datetime
    account: AccountSnapshot
    market: MarketData
    counters: Counters = Field(default_factory=Counters)
    plan_id: str | None = None
    firing: bool = False
    request: str | None = None
    plan: Plan | None = None
    orders: tuple[ResolvedStep, ...] | None = None
    expect: tuple[Expectation, ...] = Field(min_length=1)


@dataclass
class ScenarioResult:
    name: str
    source: str
    failures: list[str] = field(default_factory=list)
    decisions: tuple[StepDecision, ...] = ()

    @property
    def passed(self) -> bool:
        return not self.failures


def _steps(scenario: Scenario, parse: Parser | None) -> tuple[ResolvedStep, ...] | str:
    if scenario.orders is not None:
        return scenario.orders
    plan = scenario.plan
    if plan is None:
        if scenario.request is None:
            return "the scenario has no request, steps or orders"
        if parse is None:
            return "no request parser was given; give [[steps]] instead of 'request'"
        parsed = parse(scenario.request)
        if not isinstance(parsed, Plan):
            return f"the request did not parse into a plan: {parsed.describe()}"
        plan = parsed
    return resolve(plan, scenario.account, scenario.market)


def _reasons(decision: StepDecision) -> str:
    if not decision.reasons:
        return "no reasons"
    return "; ".join(f"[{r.rule}] {r.message}" for r in decision.reasons)


def run_scenario(scenario: Scenario, policy: Policy, parse: Parser | None = None) -> ScenarioResult:
    result = ScenarioResult(name=scenario.name, source=scenario.source)
    steps = _steps(scenario, parse)
    if isinstance(steps, str):
        result.failures.append(steps)
        return result
    decisions = evaluate(
        steps,
        policy=policy,
        account=scenario.account,
        market=scenario.market,
        counters=scenario.counters,
        now=scenario.now,
        plan_id=scenario.plan_id,
        firing=scenario.firing,
    )
    result.decisions = decisions
    by_id = {d.step_id: d for d in decisions}
    for want in scenario.expect:
        got = by_id.get(want.step)
        if got is None:
            result.failures.append(
                f"{want.step}: no such step (steps: {', '.join(by_id) or 'none'})"
            )
            continue
        if got.decision != want.decision:
            result.failures.append(
                f"{want.step}: expected {want.decision}, got {got.decision} ({_reasons(got)})"
            )
        rules = {r.rule for r in got.reasons}
        if want.rules is not None and rules != set(want.rules):
            missing = sorted(set(want.rules) - rules)
            extra = sorted(rules - set(want.rules))
            parts = []
            if missing:
                parts.append(f"missing {', '.join(missing)}")
            if extra:
                parts.append(f"unexpected {', '.join(extra)}")
            result.failures.append(
                f"{want.step}: rules differ: {'; '.join(parts)} ({_reasons(got)})"
            )
        codes = {r.code for r in got.reasons}
        absent = [c for c in want.codes if c not in codes]
        if absent:
            result.failures.append(
                f"{want.step}: codes {', '.join(absent)} not among the reasons ({_reasons(got)})"
            )
    return result
