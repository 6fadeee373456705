"""A policy in plain words: what runs at once, what needs confirmation, what needs a
second approver, and what is refused. Used by ``signoff policy explain``."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal

from intent.describe import fmt_number
from policy.model import (
    AllowedAccounts,
    AllowedOrderTypes,
    AllowedSymbols,
    Balance,
    Concentration,
    DailyNotional,
    DeniedSymbols,
    Duplicate,
    ExecutionThrottle,
    FirstTrade,
    LossBreaker,
    MaxOrderQuantity,
    MaxOrderValue,
    MaxPosition,
    MessageRate,
    OpenOrders,
    PlanTotal,
    Policy,
    PriceCollar,
    Rule,
    ScheduleLimits,
    SellShare,
    TriggerBand,
)

__all__ = ["Explanation", "explain", "rule_sentence"]

_UNITS = (("week", 604800), ("day", 86400), ("hour", 3600), ("minute", 60), ("second", 1))


def words_for(duration: timedelta) -> str:
    seconds = int(duration.total_seconds())
    for unit, size in _UNITS:
        if seconds % size == 0:
            count = seconds // size
            return f"{count} {unit}{'s' if count != 1 else ''}"
    return f"{seconds} seconds"  # pragma: no cover - every duration is whole seconds


def _money(value: Decimal, currency: str) -> str:
    return f"{fmt_number(value)} {currency}"


def _pct(value: Decimal) -> str:
    return f"{fmt_number(value)}%"


def _list(items: tuple[str, ...] | list[str]) -> str:
    items = list(items)
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " or " + items[-1]


def _caps(per: dict[str, Decimal], unit: str) -> str:
    """``BTC/USDT: 2 BTC, ...``; the unit ``base`` means each symbol's base asset."""
    return ", ".join(
        f"{key}: {fmt_number(v)}{' ' + key.partition('/')[0] if unit == 'base' else unit}"
        for key, v in sorted(per.items())
    )


def rule_sentence(rule: Rule, currency: str) -> str:
    """One sentence saying when ``rule`` applies."""
    if isinstance(rule, PriceCollar):
        text = (
            f"a limit price (or a market order's price) more than "
            f"{_pct(rule.max_deviation_percent)} from the {rule.reference} price"
        )
        sides = [
            f"{side}s: {_pct(v)}"
            for side, v in (
                ("buy", rule.buy_max_deviation_percent),
                ("sell", rule.sell_max_deviation_percent),
            )
            if v is not None
        ]
        if sides:
            text += f" ({'; '.join(sides)})"
        if rule.per_symbol:
            text += f" ({_caps(rule.per_symbol, '%')})"
        return text + "; a triggered limit order is measured against its trigger"
    if isinstance(rule, MaxOrderValue | MaxOrderQuantity):
        is_value = isinstance(rule, MaxOrderValue)
        what = "worth more than" if is_value else "for more than"
        unit = f" {currency}" if is_value else "base"
        if rule.limit is not None:
            text = f"an order {what} {fmt_number(rule.limit)}{unit if is_value else ' units'}"
            if rule.per_symbol:
                text += f" (but {_caps(rule.per_symbol, unit)})"
            return text
        return (
            f"an order {what} its market's cap ({_caps(rule.per_symbol, unit)}); "
            "an order on a market without a cap is refused (fails closed)"
        )
    if isinstance(rule, DailyNotional):
        limits = []
        if rule.limit is not None:
            limits.append(_money(rule.limit, currency))
        if rule.max_percent_of_portfolio is not None:
            limits.append(f"{_pct(rule.max_percent_of_portfolio)} of the portfolio")
        return f"orders once today's trading (UTC, this plan included) goes over {_list(limits)}"
    if isinstance(rule, MaxPosition):
        cap = _money(rule.limit, currency) if rule.limit is not None else "its cap"
        text = f"a buy that takes a position (holding + open buys + this plan) over {cap}"
        if rule.per_asset:
            text += f" ({_caps(rule.per_asset, ' ' + currency)})"
        if rule.limit is None:
            text += "; a buy of an asset without a cap is refused (fails closed)"
        return text
    if isinstance(rule, Concentration):
        left_out = [currency, *rule.exclude_assets]
        return (
            f"a buy that makes one asset more than {_pct(rule.max_percent)} of the portfolio "
            f"({_list(left_out)} not counted)"
        )
    if isinstance(rule, AllowedSymbols):
        return f"an order on any market other than {_list(rule.symbols)}"
    if isinstance(rule, DeniedSymbols):
        listed = [*rule.symbols, *(f"any {a} market" for a in rule.assets)]
        return f"an order on {_list(listed)} (restricted list)"
    if isinstance(rule, AllowedOrderTypes):
        parts = [f"an order type other than {_list(rule.order_types)}"]
        if not rule.conditional:
            parts.append("any conditional (triggered) order")
        if not rule.scheduled:
            parts.append("any scheduled order")
        return "; ".join(parts)
    if isinstance(rule, AllowedAccounts):
        return f"trading from any account other than {_list(rule.accounts)}"
    if isinstance(rule, MessageRate):
        return (
            f"more than {rule.max_messages} submits and cancels in {words_for(rule.window)} "
            "(cancels included)"
        )
    if isinstance(rule, OpenOrders):
        counts = []
        if rule.max_per_symbol is not None:
            counts.append(f"{rule.max_per_symbol} on one market")
        if rule.max_total is not None:
            counts.append(f"{rule.max_total} in all")
        if rule.max_conditional is not None:
            counts.append(f"{rule.max_conditional} conditional")
        return f"a resting order that would make more than {_list(counts)} open orders"
    if isinstance(rule, Duplicate):
        return (
            f"an order with the same {', '.join(rule.match)} as one sent in the last "
            f"{words_for(rule.window)}, or as an earlier step of the same plan"
        )
    if isinstance(rule, FirstTrade):
        return "the first trade in an asset the account has never traded and does not hold"
    if isinstance(rule, SellShare):
        return f"selling more than {_pct(rule.max_percent)} of a holding (the plan's sells added)"
    if isinstance(rule, PlanTotal):
        return f"every order of a plan worth more than {_money(rule.limit, currency)} in all"
    if isinstance(rule, TriggerBand):
        return f"a trigger level more than {_pct(rule.max_distance_percent)} from the current price"
    if isinstance(rule, ScheduleLimits):
        limits = []
        if rule.max_count is not None:
            limits.append(f"runs more than {rule.max_count} times")
        if rule.max_horizon is not None:
            limits.append(f"runs longer than {words_for(rule.max_horizon)}")
        if rule.max_total_value is not None:
            limits.append(f"is worth more than {_money(rule.max_total_value, currency)} in all")
        return f"a schedule that {_list(limits)} (or runs until stopped)"
    if isinstance(rule, ExecutionThrottle):
        return (
            f"a plan or schedule executing more than {rule.max_executions} times in "
            f"{words_for(rule.window)}; once tripped it stays tripped until a named person "
            "resets it"
        )
    if isinstance(rule, Balance):
        return "an order that needs more than the free balance (triggered orders: when they fire)"
    assert isinstance(rule, LossBreaker)
    trips = []
    if rule.max_daily_loss is not None:
        trips.append(f"a realised loss today over {_money(rule.max_daily_loss, currency)}")
    if rule.max_drawdown_percent is not None:
        trips.append(f"a drawdown over {_pct(rule.max_drawdown_percent)}")
    blocked = "every order" if rule.trips_to == "HALTED" else "every order that grows a position"
    return f"after {_list(trips)}, trading goes {rule.trips_to}: {blocked}"


def _scope(rule: Rule) -> str:
    scope = rule.scope
    if scope.everything:
        return ""
    parts = []
    if scope.sides is not None:
        parts.append(f"{'/'.join(scope.sides)} orders")
    if scope.order_types is not None:
        parts.append(f"{'/'.join(scope.order_types)} orders")
    if scope.symbols is not None:
        parts.append(f"on {', '.join(scope.symbols)}")
    return " [only " + ", ".join(parts) + "]"


@dataclass
class Explanation:
    """The policy in plain words, grouped by what happens."""

    title: str
    at_once: list[str] = field(default_factory=list)
    confirm: list[str] = field(default_factory=list)
    escalate: list[str] = field(default_factory=list)
    deny: list[str] = field(default_factory=list)
    approvals: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def sections(self) -> list[tuple[str, list[str]]]:
        return [
            ("Runs at once", self.at_once),
            ("Needs the trader's confirmation", self.confirm),
            ("Needs a second approver", self.escalate),
            ("Refused", self.deny),
            ("Approvals", self.approvals),
            ("Notes", self.notes),
        ]

    def text(self) -> str:
        lines = [self.title]
        for heading, items in self.sections():
            if items:
                lines.append("")
                lines.append(f"{heading}:")
                lines.extend(f"  - {item}" for item in items)
        return "\n".join(lines)


def explain(policy: Policy) -> Explanation:
    currency = policy.currency
    out = Explanation(
        title=(
            f"Policy {policy.id} version {policy.version}, owned by {policy.owner} "
            f"(sha256 {policy.hash[:12]}...)"
        )
    )
    if policy.description:
        out.notes.append(policy.description)
    out.at_once.append("queries (balances, prices, open orders): always")
    out.at_once.append("cancels, unless over the message rate (also while trading is HALTED)")
    default = policy.default_decision
    if default == "allow":
        out.at_once.append("every order that none of the rules below catches")
    else:
        word = {"confirm": "confirmation", "escalate": "a second approver", "deny": "refused"}
        out.notes.append(
            f"the default decision is {default}: every order needs at least "
            f"{word[default]}, even when no rule applies"
        )
    target = {"confirm": out.confirm, "escalate": out.escalate, "deny": out.deny}
    if default != "allow":
        target[default].append("every order (the policy's default decision)")
    for rule in policy.rules:
        sentence = rule_sentence(rule, currency) + _scope(rule)
        note = f" — {rule.description}" if rule.description else ""
        target[rule.effect].append(f"{sentence} (rule {rule.id}){note}")
    state = policy.trading_state
    if state == "HALTED":
        out.deny.insert(0, "every order: trading is HALTED (only cancels go through)")
    elif state == "REDUCING":
        out.deny.insert(0, "every order that grows a position: trading is REDUCING")
    out.deny.append(
        "always: orders the venue would refuse (off its step or tick, under its minimum, "
        "over its maximum, a trigger kind it lacks or a trigger on another market), "
        f"orders that cannot be valued in {currency}, steps that could "
        "not be resolved, and any order while trading is HALTED (or growing a position "
        "while REDUCING)"
    )
    approvals = policy.approvals
    out.approvals.append(
        f"an approval is bound to the exact step and this policy version, is used once, "
        f"and expires after {words_for(approvals.valid_for)}"
    )
    out.approvals.append(
        f"if the price moves more than {_pct(approvals.max_price_drift_percent)} before "
        "execution, the step must be approved again"
    )
    out.approvals.append(
        f"a step worth more than {_money(approvals.type_to_confirm_above, currency)} is "
        "confirmed by typing its amount or its market, not by a key press"
    )
    if approvals.second_approvers:
        out.approvals.append(
            f"second approvers: {', '.join(approvals.second_approvers)}; "
            "a requester never approves their own escalation"
        )
    else:
        out.approvals.append("no second approvers are named: nothing may escalate")
    out.notes.append(f"value limits are in {currency}; a limit is the largest value allowed")
    if policy.personal is not None:
        out.notes.append(
            f"with the personal file of {policy.personal.owner} applied "
            f"(sha256 {policy.personal.hash[:12]}...): it can only make rules stricter"
        )
    return out
