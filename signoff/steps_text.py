"""One line per resolved step, for people (the CLI and the TUI)."""

from __future__ import annotations

from intent.describe import fmt_number
from intent.resolved import ResolvedCancel, ResolvedOrder, ResolvedQuery, ResolvedStep


def describe_resolved(step: ResolvedStep) -> str:
    if isinstance(step, ResolvedOrder):
        text = f"{step.side} {fmt_number(step.quantity)} {step.base} on {step.symbol}"
        if step.limit_price is not None:
            text += f", limit {fmt_number(step.limit_price)} {step.quote}"
        else:
            text += " at market"
        text += f" (≈{fmt_number(step.notional_reporting)} {step.reporting_currency})"
        if step.trigger is not None:
            text += (
                f", once {step.trigger.base} goes {step.trigger.direction} "
                f"{fmt_number(step.trigger.level)}"
            )
        if step.schedule is not None:
            count = step.schedule.count
            text += f", every {step.schedule.every}, " + (
                f"{count} times" if count else "until stopped"
            )
        if step.note:
            text += f" [{step.note}]"
        return text
    if isinstance(step, ResolvedCancel):
        what = f"{step.side} orders" if step.side else "orders"
        where = f" on {step.base}" if step.base else ""
        count = len(step.order_ids)
        return f"cancel open {what}{where} ({count} open order{'s' if count != 1 else ''})"
    if isinstance(step, ResolvedQuery):
        return f"show {step.what}" + (f" of {step.base}" if step.base else "")
    return f"cannot be resolved: {step.reason}"
