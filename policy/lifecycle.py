"""A policy's life: what changed between two versions, what a new version would have
decided on recorded history, and whether it is at least as strict as the old one.

- :func:`diff`: rule by rule, in words, each change marked stricter, looser or neither;
- :func:`replay`: evaluates every recorded evaluation's inputs again under a policy and
  reports each step whose decision would change, counted by transition, rule and trader;
- :func:`loosenings`: steps (recorded or generated) that NEW decides more permissively
  than OLD; :mod:`policy.tighter` generates cases with hypothesis.

Pure: the recorded evaluations are handed in (the ledger reads them).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Literal

from intent.market import AccountSnapshot, MarketData
from intent.resolved import ResolvedOrder, ResolvedStep
from policy.counters import Counters
from policy.decision import SEVERITY, StepDecision, Verdict
from policy.engine import evaluate
from policy.model import STATE_SEVERITY, Policy, Rule, format_duration

__all__ = [
    "Change",
    "Disagreement",
    "Loosening",
    "Recorded",
    "ReplayChange",
    "ReplayReport",
    "diff",
    "loosenings",
    "replay",
    "shadow",
]

Direction = Literal["stricter", "looser", "neither"]


# --- diff ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Change:
    """One difference between two policies: where, what in words, and which way."""

    where: str
    what: str
    direction: Direction


def _show(value: object) -> str:
    if value is None:
        return "none"
    if isinstance(value, frozenset | set | tuple | list):
        return "[" + ", ".join(sorted(str(v) for v in value)) + "]" if value else "[]"
    if isinstance(value, timedelta):
        return format_duration(value)
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    return str(value)


def _rank(before: int, after: int, higher_is_stricter: bool = True) -> Direction:
    if before == after:
        return "neither"
    return "stricter" if (after > before) == higher_is_stricter else "looser"


def _threshold_changes(old: Rule, new: Rule) -> list[Change]:
    keys = old.map_keys() | new.map_keys()
    before, after = old.thresholds(keys), new.thresholds(keys)
    out = []
    for name in sorted(set(before) | set(after)):
        was, now = before.get(name), after.get(name)
        if was is None or now is None:
            continue
        if was.value == now.value:
            continue
        looser = now.looser_than(was)
        stricter = was.looser_than(now)
        direction: Direction = "looser" if looser else "stricter" if stricter else "neither"
        out.append(Change(new.id, f"{name}: {_show(was.value)} → {_show(now.value)}", direction))
    return out


def _scope_change(old: Rule, new: Rule) -> list[Change]:
    out = []
    for name in ("symbols", "sides", "order_types"):
        was = getattr(old.scope, name)
        now = getattr(new.scope, name)
        if was == now:
            continue
        # a rule that applies to more orders is stricter; None means "all"
        direction: Direction = "neither"
        if now is None:
            direction = "stricter"
        elif was is None:
            direction = "looser"
        elif set(now) > set(was) and not any("*" in s or "?" in s for s in set(was) - set(now)):
            direction = "stricter"
        elif set(now) < set(was):
            direction = "looser"
        out.append(
            Change(
                new.id,
                f"scope {name}: {_show(was) if was else 'all'} → {_show(now) if now else 'all'}",
                direction,
            )
        )
    return out


def diff(old: Policy, new: Policy) -> list[Change]:
    """What changed from ``old`` to ``new``, rule by rule, in words."""
    out: list[Change] = []
    if (old.id, old.version) != (new.id, new.version):
        out.append(Change("policy", f"{old.id} {old.version} → {new.id} {new.version}", "neither"))
    if old.currency != new.currency:
        out.append(Change("policy", f"currency: {old.currency} → {new.currency}", "neither"))
    if old.default_decision != new.default_decision:
        out.append(
            Change(
                "policy",
                f"default decision: {old.default_decision} → {new.default_decision}",
                _rank(SEVERITY[old.default_decision], SEVERITY[new.default_decision]),
            )
        )
    if old.trading_state != new.trading_state:
        out.append(
            Change(
                "policy",
                f"trading state: {old.trading_state} → {new.trading_state}",
                _rank(STATE_SEVERITY[old.trading_state], STATE_SEVERITY[new.trading_state]),
            )
        )
    a, b = old.approvals, new.approvals
    if a.valid_for != b.valid_for:
        out.append(
            Change(
                "approvals",
                f"approvals valid for: {_show(a.valid_for)} → {_show(b.valid_for)}",
                "stricter" if b.valid_for < a.valid_for else "looser",
            )
        )
    if a.max_price_drift_percent != b.max_price_drift_percent:
        out.append(
            Change(
                "approvals",
                f"max price drift: {_show(a.max_price_drift_percent)}% → "
                f"{_show(b.max_price_drift_percent)}%",
                "stricter" if b.max_price_drift_percent < a.max_price_drift_percent else "looser",
            )
        )
    if a.type_to_confirm_above != b.type_to_confirm_above:
        out.append(
            Change(
                "approvals",
                f"typed confirmation above: {_show(a.type_to_confirm_above)} → "
                f"{_show(b.type_to_confirm_above)}",
                "stricter" if b.type_to_confirm_above < a.type_to_confirm_above else "looser",
            )
        )
    if set(a.second_approvers) != set(b.second_approvers):
        added = sorted(set(b.second_approvers) - set(a.second_approvers))
        removed = sorted(set(a.second_approvers) - set(b.second_approvers))
        words = []
        if added:
            words.append(f"added {', '.join(added)}")
        if removed:
            words.append(f"removed {', '.join(removed)}")
        out.append(
            Change(
                "approvals",
                f"second approvers: {'; '.join(words)}",
                "looser" if added and not removed else "stricter" if not added else "neither",
            )
        )
    before = {r.id: r for r in old.rules}
    after = {r.id: r for r in new.rules}
    for rule_id, rule in before.items():
        if rule_id not in after:
            out.append(Change(rule_id, f"removed ({rule.kind}, {rule.effect})", "looser"))
    for rule_id, rule in after.items():
        was = before.get(rule_id)
        if was is None:
            out.append(Change(rule_id, f"added ({rule.kind}, {rule.effect})", "stricter"))
            continue
        if was.kind != rule.kind:
            out.append(
                Change(rule_id, f"kind: {was.kind} → {rule.kind} (a different rule)", "neither")
            )
            continue
        if was.effect != rule.effect:
            out.append(
                Change(
                    rule_id,
                    f"effect: {was.effect} → {rule.effect}",
                    _rank(SEVERITY[was.effect], SEVERITY[rule.effect]),
                )
            )
        out.extend(_threshold_changes(was, rule))
        out.extend(_scope_change(was, rule))
    return out


# --- replay ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Recorded:
    """One recorded evaluation: its inputs, who asked, and what was decided then."""

    inputs_id: str
    plan_id: str
    evaluated_at: datetime
    trader: str
    steps: tuple[ResolvedStep, ...]
    account: AccountSnapshot
    market: MarketData
    counters: Counters
    decisions: tuple[StepDecision, ...]

    @property
    def now(self) -> datetime:
        """When it was decided (the time the rules saw)."""
        return self.decisions[0].decided_at if self.decisions else self.evaluated_at

    def evaluate(self, policy: Policy) -> tuple[StepDecision, ...]:
        return evaluate(
            self.steps,
            policy=policy,
            account=self.account,
            market=self.market,
            counters=self.counters,
            now=self.now,
            plan_id=self.plan_id,
        )


@dataclass(frozen=True)
class ReplayChange:
    plan_id: str
    step_id: str
    trader: str
    at: datetime
    step: str
    before: Verdict
    after: Verdict
    rules_added: tuple[str, ...]
    rules_removed: tuple[str, ...]
    reasons: tuple[str, ...]

    @property
    def transition(self) -> str:
        return f"{self.before} → {self.after}"


@dataclass
class ReplayReport:
    evaluations: int = 0
    steps: int = 0
    changes: list[ReplayChange] = field(default_factory=list)

    @property
    def by_transition(self) -> Counter[str]:
        return Counter(c.transition for c in self.changes)

    @property
    def by_rule(self) -> Counter[str]:
        """Changed steps per rule that newly applies (+) or no longer applies (-)."""
        counts: Counter[str] = Counter()
        for change in self.changes:
            for rule in change.rules_added:
                counts[f"+{rule}"] += 1
            for rule in change.rules_removed:
                counts[f"-{rule}"] += 1
        return counts

    @property
    def by_trader(self) -> Counter[str]:
        return Counter(c.trader for c in self.changes)


def describe_step(step: ResolvedStep) -> str:
    if isinstance(step, ResolvedOrder):
        price = f" at {step.limit_price}" if step.limit_price is not None else ""
        return f"{step.side} {step.quantity} {step.symbol} {step.order_type}{price}"
    return step.kind


def replay(recorded: Iterable[Recorded], policy: Policy) -> ReplayReport:
    """Every recorded evaluation decided again under ``policy``, against what was decided."""
    report = ReplayReport()
    for evaluation in recorded:
        report.evaluations += 1
        steps = {s.step_id: s for s in evaluation.steps}
        was = {d.step_id: d for d in evaluation.decisions}
        for decision in evaluation.evaluate(policy):
            report.steps += 1
            before = was.get(decision.step_id)
            if before is None:
                continue
            if before.decision == decision.decision:
                continue
            old_rules = {r.rule for r in before.reasons}
            new_rules = {r.rule for r in decision.reasons}
            step = steps.get(decision.step_id)
            report.changes.append(
                ReplayChange(
                    plan_id=evaluation.plan_id,
                    step_id=decision.step_id,
                    trader=evaluation.trader,
                    at=evaluation.now,
                    step=describe_step(step) if step is not None else decision.step_id,
                    before=before.decision,
                    after=decision.decision,
                    rules_added=tuple(sorted(new_rules - old_rules)),
                    rules_removed=tuple(sorted(old_rules - new_rules)),
                    reasons=tuple(r.message for r in decision.reasons),
                )
            )
    return report


# --- tighter ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Loosening:
    """A step NEW decides more permissively than OLD: the counter-example to "tighter"."""

    source: str
    step: str
    old: Verdict
    new: Verdict
    old_reasons: tuple[str, ...]
    new_reasons: tuple[str, ...]


def compare(
    old: Policy,
    new: Policy,
    *,
    steps: Sequence[ResolvedStep],
    account: AccountSnapshot,
    market: MarketData,
    counters: Counters,
    now: datetime,
    plan_id: str | None,
    source: str,
) -> Loosening | None:
    """The first step of one situation that ``new`` lets through more easily than ``old``."""
    kwargs = {
        "account": account,
        "market": market,
        "counters": counters,
        "now": now,
        "plan_id": plan_id,
    }
    before = evaluate(steps, policy=old, **kwargs)  # type: ignore[arg-type]
    after = evaluate(steps, policy=new, **kwargs)  # type: ignore[arg-type]
    by_id = {s.step_id: s for s in steps}
    for was, now_ in zip(before, after, strict=True):
        if SEVERITY[now_.decision] < SEVERITY[was.decision]:
            step = by_id.get(was.step_id)
            return Loosening(
                source=source,
                step=describe_step(step) if step is not None else was.step_id,
                old=was.decision,
                new=now_.decision,
                old_reasons=tuple(r.message for r in was.reasons),
                new_reasons=tuple(r.message for r in now_.reasons),
            )
    return None


def loosenings(old: Policy, new: Policy, recorded: Iterable[Recorded]) -> list[Loosening]:
    """Every recorded situation where ``new`` is more permissive than ``old``."""
    out = []
    for evaluation in recorded:
        found = compare(
            old,
            new,
            steps=evaluation.steps,
            account=evaluation.account,
            market=evaluation.market,
            counters=evaluation.counters,
            now=evaluation.now,
            plan_id=evaluation.plan_id,
            source=f"recorded plan {evaluation.plan_id} ({evaluation.trader}, "
            f"{evaluation.now.isoformat()})",
        )
        if found is not None:
            out.append(found)
    return out


# --- shadow mode --------------------------------------------------------------------


@dataclass(frozen=True)
class Disagreement:
    """A step the candidate policy decides differently from the live one."""

    step_id: str
    step: str
    live: Verdict
    candidate: Verdict
    live_rules: tuple[str, ...]
    candidate_rules: tuple[str, ...]
    candidate_reasons: tuple[str, ...]


def shadow(
    steps: Sequence[ResolvedStep],
    live: Sequence[StepDecision],
    candidate: Policy,
    *,
    account: AccountSnapshot,
    market: MarketData,
    counters: Counters,
    now: datetime,
    plan_id: str | None = None,
    firing: bool = False,
) -> list[Disagreement]:
    """The candidate's decisions on the same inputs, where they differ from ``live``.

    Pure: the live decisions are only read; what the caller does with them is unchanged.
    """
    theirs = evaluate(
        steps,
        policy=candidate,
        account=account,
        market=market,
        counters=counters,
        now=now,
        plan_id=plan_id,
        firing=firing,
    )
    by_id = {s.step_id: s for s in steps}
    out = []
    for mine, other in zip(live, theirs, strict=True):
        if mine.decision == other.decision:
            continue
        step = by_id.get(mine.step_id)
        out.append(
            Disagreement(
                step_id=mine.step_id,
                step=describe_step(step) if step is not None else mine.step_id,
                live=mine.decision,
                candidate=other.decision,
                live_rules=tuple(r.rule for r in mine.reasons),
                candidate_rules=tuple(r.rule for r in other.reasons),
                candidate_reasons=tuple(r.message for r in other.reasons),
            )
        )
    return out
