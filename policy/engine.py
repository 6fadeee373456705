"""Evaluation: resolved steps + account + market data + counters + time + policy → decisions.

:func:`evaluate` is a pure function: one :class:`~policy.decision.StepDecision` per
resolved step, in order, each with every reason that applied and the policy's
stamp. Deny beats escalate beats confirm beats allow.

How steps are decided:

- a query is always allowed;
- a cancel passes every rule but the message rate (a person must always be able
  to pull orders, also when trading is HALTED);
- an unresolved step is denied (rule ``builtin.resolution``, its resolution code);
- an order goes through the built-in checks (trading state, the venue's rules,
  valuation in the policy currency) and every rule in scope. Its decision is the
  strictest effect among the reasons, and never more permissive than the
  policy's ``default_decision`` (which is also the decision when no rule applies).

A plan's steps are decided in order, and each one counts the plan's earlier
orders (daily budget, message rate, duplicates, positions, sells, balances,
open-order caps) whatever their own decision was. Counting only the steps that
passed would let a stricter threshold, by refusing an early step, make a later
one pass: the decisions would not be monotone in the thresholds.

Missing data fails closed: a rule that cannot compute its value (no quote, no
cap for a symbol) gives a ``deny`` reason saying what is missing.

When a conditional order fires, the executor calls :func:`evaluate` again with
``firing=True``: the collar then uses the current quote, and the planning-time
checks on triggers and schedules are not repeated.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from intent.market import AccountSnapshot, MarketData
from intent.resolved import ResolvedCancel, ResolvedOrder, ResolvedQuery, ResolvedStep
from policy.checks import CHECKS, Check, rate_reason, state_reason, venue_reasons
from policy.context import ZERO, Context, make_reason
from policy.counters import Counters
from policy.decision import SEVERITY, PolicyStamp, Reason, StepDecision, Verdict
from policy.model import (
    RULE_DEFAULT,
    RULE_RESOLUTION,
    RULE_VALUATION,
    MessageRate,
    Policy,
    Rule,
    Scope,
)

__all__ = ["evaluate", "overall"]

Scoped = tuple[Rule, Check, Scope | None]


def overall(decisions: Sequence[StepDecision]) -> Verdict:
    """The strictest decision of a plan."""
    worst: Verdict = "allow"
    for decision in decisions:
        if SEVERITY[decision.decision] > SEVERITY[worst]:
            worst = decision.decision
    return worst


def _decide_order(order: ResolvedOrder, ctx: Context, checks: list[Scoped]) -> list[Reason]:
    reasons: list[Reason] = []
    state = state_reason(order, ctx)
    if state is not None:
        reasons.append(state)
    reasons.extend(venue_reasons(order, ctx))
    value = ctx.value(order)
    if value is None:
        reasons.append(
            make_reason(
                RULE_VALUATION,
                "NO_VALUATION",
                "deny",
                f"NO_VALUATION: cannot value {order.quote} in the policy currency {ctx.currency}",
            )
        )
    symbol, side, order_type = order.symbol, order.side, order.order_type
    for rule, check, scope in checks:
        if scope is not None and not scope.matches(symbol, side, order_type):
            continue
        found = check(rule, order, value, ctx)
        if found is None:
            continue
        if isinstance(found, list):
            reasons.extend(found)
        else:
            reasons.append(found)
    ctx.record(order, value)
    return reasons


def _decide_cancel(cancel: ResolvedCancel, ctx: Context) -> list[Reason]:
    symbols = {o.symbol for o in ctx.account.open_orders if o.order_id in cancel.order_ids}
    messages = max(1, len(symbols))  # one cancel-all request per market
    reasons = []
    for rule in ctx.policy.rules:
        if isinstance(rule, MessageRate):
            found = rate_reason(rule, messages, ctx)
            if found is not None:
                reasons.append(found)
    ctx.plan.messages += messages
    return reasons


def evaluate(
    steps: Sequence[ResolvedStep],
    *,
    policy: Policy,
    account: AccountSnapshot,
    market: MarketData,
    counters: Counters,
    now: datetime,
    plan_id: str | None = None,
    firing: bool = False,
) -> tuple[StepDecision, ...]:
    """Decide every step of one plan, in order.

    ``counters`` carries the history before this plan; ``plan_id`` (when the plan
    is recorded) lets the execution throttle count earlier executions of the same
    plan or schedule; ``firing`` is for re-checking a conditional order when its
    trigger fires.
    """
    ctx = Context(policy, account, market, counters, now, plan_id, firing)
    # each rule with its check, and its scope unless it covers everything
    checks: list[Scoped] = [
        (rule, CHECKS[type(rule)], None if rule.scope.everything else rule.scope)
        for rule in policy.rules
    ]
    for step in steps:
        if isinstance(step, ResolvedOrder):
            value = ctx.value(step)
            ctx.plan_total += value or ZERO
    stamp: PolicyStamp = policy.stamp
    default = policy.default_decision
    default_rank = SEVERITY[default]
    decisions = []
    for step in steps:
        if isinstance(step, ResolvedQuery):
            reasons: list[Reason] = []
            decision: Verdict = "allow"
        elif isinstance(step, ResolvedCancel):
            reasons = _decide_cancel(step, ctx)
            decision = _strictest(reasons, "allow")
        elif isinstance(step, ResolvedOrder):
            reasons = _decide_order(step, ctx, checks)
            decision = _strictest(reasons, "allow")
            if SEVERITY[decision] < default_rank:
                why = "no rule applies" if not reasons else "rules that apply ask for less"
                reasons.append(
                    make_reason(
                        RULE_DEFAULT,
                        "DEFAULT_DECISION",
                        default,
                        f"DEFAULT_DECISION: {why}; the policy's default is {default}",
                        default,
                        decision,
                    )
                )
                decision = default
        else:
            reasons = [
                make_reason(RULE_RESOLUTION, step.code, "deny", f"{step.code}: {step.reason}")
            ]
            decision = "deny"
        decisions.append(
            StepDecision(
                step_id=step.step_id,
                decision=decision,
                reasons=tuple(reasons),
                policy=stamp,
                decided_at=now,
            )
        )
    return tuple(decisions)


def _strictest(reasons: list[Reason], start: Verdict) -> Verdict:
    worst = start
    for reason in reasons:
        if SEVERITY[reason.effect] > SEVERITY[worst]:
            worst = reason.effect
    return worst
