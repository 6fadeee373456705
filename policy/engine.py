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
``firing=True``. Each order is then valued at the market of that moment
(:func:`at_market`: a market order at the current ask or bid, a limit order at its
limit price, converted at the current quotes), so the balance (the order no longer
waits on a trigger) and every value rule (order value, daily budget, position,
concentration, plan total) are checked again at that price; the collar uses the
current quote; the planning-time checks on triggers and schedules are not repeated.
An order with no quote at that moment is refused (``NO_VALUATION``).

Counting (the message rate and the daily budget alike): within a plan, every order
step counts towards the later steps whatever its own decision (so decisions stay
monotone in the thresholds, see above); across plans, only what was sent counts:
``Counters.messages`` and ``Counters.orders`` hold the orders that were sent (the
ledger's order rows), so a refused step, never sent, never counts towards a later
plan's message rate or budget.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from intent.market import AccountSnapshot, MarketData
from intent.resolved import ResolvedCancel, ResolvedOrder, ResolvedQuery, ResolvedStep
from intent.valuation import value_in
from policy.checks import rate_reason, state_reason, venue_reasons
from policy.context import ZERO, Context, make_reason
from policy.counters import Counters
from policy.decision import SEVERITY, PolicyStamp, Reason, StepDecision, Verdict
from policy.index import RuleIndex, rule_index
from policy.model import RULE_DEFAULT, RULE_RESOLUTION, RULE_VALUATION, Policy

__all__ = ["at_market", "evaluate", "overall"]


def overall(decisions: Sequence[StepDecision]) -> Verdict:
    """The strictest decision of a plan."""
    worst: Verdict = "allow"
    for decision in decisions:
        if SEVERITY[decision.decision] > SEVERITY[worst]:
            worst = decision.decision
    return worst


def _decide_order(order: ResolvedOrder, ctx: Context, index: RuleIndex) -> list[Reason]:
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
    side, order_type = order.side, order.order_type
    for entry in index.for_symbol(order.symbol):
        if not entry.applies(side, order_type):
            continue
        found = entry.check(entry.rule, order, value, ctx)
        if found is None:
            continue
        if isinstance(found, list):
            reasons.extend(found)
        else:
            reasons.append(found)
    ctx.record(order, value)
    return reasons


def at_market(order: ResolvedOrder, market: MarketData) -> ResolvedOrder | None:
    """``order`` valued at the market of this moment (for a conditional order firing).

    A market order is valued at the current ask (buy) or bid (sell), a limit order at
    its limit price; its value in the reporting currency at the current quotes.
    ``None`` when the market has no quote for it (the firing is then refused).
    """
    quote = market.quotes.get(order.symbol)
    if quote is None:
        return None
    if order.limit_price is not None:
        price = order.limit_price
        reference = quote.ask if order.side == "buy" else quote.bid
    else:
        price = reference = quote.ask if order.side == "buy" else quote.bid
    notional = order.quantity * price
    reporting = value_in(notional, order.quote, order.reporting_currency, market)
    if reporting is None or reporting <= 0:
        return None
    return order.model_copy(
        update={
            "reference_price": reference,
            "notional": notional,
            "notional_reporting": reporting,
        }
    )


def _no_market_now(order: ResolvedOrder) -> Reason:
    return make_reason(
        RULE_VALUATION,
        "NO_VALUATION",
        "deny",
        f"NO_VALUATION: no quote for {order.symbol} now to value the order as it fires",
    )


def _decide_cancel(cancel: ResolvedCancel, ctx: Context, index: RuleIndex) -> list[Reason]:
    symbols = {o.symbol for o in ctx.account.open_orders if o.order_id in cancel.order_ids}
    messages = max(1, len(symbols))  # one cancel-all request per market
    reasons = []
    for rule in index.message_rates:
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
    index = rule_index(policy)
    unpriced: set[str] = set()
    if firing:
        # the order fires now: every value rule and the balance see the market of now
        priced: list[ResolvedStep] = []
        for step in steps:
            if isinstance(step, ResolvedOrder):
                now_priced = at_market(step, market)
                if now_priced is None:
                    unpriced.add(step.step_id)
                else:
                    step = now_priced
            priced.append(step)
        steps = priced
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
            reasons = _decide_cancel(step, ctx, index)
            decision = _strictest(reasons, "allow")
        elif isinstance(step, ResolvedOrder):
            reasons = _decide_order(step, ctx, index)
            if step.step_id in unpriced:
                reasons.append(_no_market_now(step))
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
