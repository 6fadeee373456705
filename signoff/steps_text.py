"""One line per resolved step, for people (the CLI and the TUI)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from foundation.display import approx, number
from intent.resolved import ResolvedCancel, ResolvedOrder, ResolvedQuery, ResolvedStep

if TYPE_CHECKING:
    from executors.base import OrderState
    from executors.service import ScheduleStatus


def describe_resolved(step: ResolvedStep) -> str:
    if isinstance(step, ResolvedOrder):
        if step.quote_amount is not None:
            # a recurring quote amount: each run spends it at its own price
            text = (
                f"{step.side} {number(step.quote_amount)} {step.quote} of {step.base} on "
                f"{step.symbol} each run (now {number(step.quantity)} {step.base})"
            )
        else:
            text = f"{step.side} {number(step.quantity)} {step.base} on {step.symbol}"
        if step.limit_price is not None:
            text += f", limit {number(step.limit_price)} {step.quote}"
        else:
            text += " at market"
        text += f" ({approx(step.notional_reporting)} {step.reporting_currency})"
        if step.trigger is not None:
            text += (
                f", once {step.trigger.base} goes {step.trigger.direction} "
                f"{number(step.trigger.level)}"
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


_STATUS_WORDS = {
    "open": "open",
    "partially_filled": "partly filled",
    "filled": "filled",
    "canceled": "canceled",
    "rejected": "rejected",
    "expired": "expired",
    "not_found": "not found at the venue",
}


def describe_open_order(order: OrderState) -> str:
    """An open order: ``buy 10 SOL/USDT @ 150``, ``sell 1 ETH/USDT when below 3,300``."""
    text = f"{order.side} {number(order.remaining)} {order.symbol}"
    if order.limit_price is not None:
        text += f" @ {number(order.limit_price)}"
    if order.trigger_price is not None:
        if order.trigger_direction is not None:
            text += f" when {order.trigger_direction} {number(order.trigger_price)}"
        else:
            # a venue that does not say which way the trigger fires: the level only
            text += f" triggered at {number(order.trigger_price)}"
    return text


def describe_order_state(order: OrderState) -> str:
    """What happened to one sent order: ``buy 0.01 BTC/USDT: filled 0.01 at 60,000``."""
    status = _STATUS_WORDS.get(order.status, order.status.replace("_", " "))
    text = f"{order.side} {number(order.quantity)} {order.symbol}: {status}"
    if order.filled:
        text += f", filled {number(order.filled)}"
        if order.average_price:
            text += f" at {number(order.average_price)}"
    elif order.status == "open":
        if order.trigger_price is not None:
            text += " (waiting for its trigger)"
        elif order.limit_price is not None:
            text += f" (resting at {number(order.limit_price)})"
    if order.reason:
        text += f" ({order.reason})"
    return text


def outcome_word(status: str, orders: Sequence[OrderState]) -> str:
    """How a step's outcome reads: a step whose orders all still wait was *placed*, not
    *executed*; one with some fills but some still open is *partly filled*."""
    if status != "executed" or not orders:
        return status
    if all(o.status == "open" and not o.filled for o in orders):
        return "placed"
    if any(o.status in ("open", "partially_filled") for o in orders):
        return "partly filled"
    return status


def describe_schedule(step: ResolvedOrder, status: ScheduleStatus) -> str:
    """An active recurring step: ``buy 20 USDT of BTC/USDT every 1d at market, 2 of 7
    runs done, next 2026-12-03 09:30 UTC``."""
    if step.quote_amount is not None:
        what = f"{step.side} {number(step.quote_amount)} {step.quote} of {step.symbol}"
    else:
        what = f"{step.side} {number(step.quantity)} {step.symbol}"
    if step.limit_price is not None:
        what += f" @ {number(step.limit_price)}"
    total = f"of {status.count} " if status.count is not None else ""
    text = f"{what} every {status.every}, {status.runs} {total}runs done"
    if status.next_at is not None:
        text += f", next {status.next_at:%Y-%m-%d %H:%M} UTC"
    return text
