"""Human-readable summaries of parse results, from their plain dict form.

Works on the dicts the deterministic parser emits and on ``model_dump()`` of the plan
models alike, so the fast ``--jsonl`` path and the rich output say the same thing.
Standard library only: it sits on the ``signoff parse --jsonl`` path.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

from foundation.display import MAX_PLACES, number, percent
from intent.numbers import parse_decimal

if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Any

_INTERVAL_WORDS = {"m": "minute", "h": "hour", "d": "day", "w": "week"}


def _exact(value: Any) -> Decimal | None:
    return value if isinstance(value, Decimal) else parse_decimal(str(value))


def fmt_number(value: Any) -> str:
    """A number as people read it: the one formatter, :func:`foundation.display.number`.

    A parser's number (a positive ``Decimal`` with at most ``MAX_PLACES`` places and no
    trailing zeros) is shown exactly with its thousands grouped, which is what
    ``number`` gives it; formatted here directly (a summary is written for every step of
    every ``--jsonl`` line)."""
    if type(value) is Decimal:
        sign, digits, exponent = value.as_tuple()
        if (
            not sign
            and isinstance(exponent, int)
            and -MAX_PLACES <= exponent <= 0
            and (exponent == 0 or digits[-1] != 0)
        ):
            return format(value, ",f")
    return number(value)


def _amount(amount: Mapping[str, Any], base: str, quote: str, side: str | None) -> str:
    unit, value = amount.get("unit"), amount.get("value")
    if unit == "base":
        return f"{fmt_number(value)} {base}"
    if unit == "quote":
        return f"{fmt_number(value)} {quote} worth of {base}"
    holding = quote if side == "buy" else base
    if value is not None and _exact(value) == 100:
        return f"all of your {holding}" if side == "buy" else f"all your {base}"
    share = f"{percent(value)} of your {holding}"
    return f"{share} in {base}" if side == "buy" else share


def _every(every: str) -> str:
    number, unit = every[:-1], _INTERVAL_WORDS.get(every[-1:], every[-1:])
    return f"every {unit}" if number == "1" else f"every {number} {unit}s"


def describe_step(step: Mapping[str, Any]) -> str:
    """One line saying what the step will do."""
    action = step.get("action")
    if action == "order":
        side, base, quote = step.get("side"), step.get("base"), step.get("quote") or "USDT"
        text = f"{side} {_amount(step['amount'], str(base), str(quote), str(side))}"
        if quote != "USDT" and step["amount"].get("unit") != "quote":
            text += f" for {quote}" if side == "sell" else f" with {quote}"
        if step.get("order_type") == "limit":
            text += f", limit {fmt_number(step.get('limit_price'))} {quote}"
        else:
            text += " at market"
        trigger = step.get("trigger")
        if trigger:
            direction = "below" if trigger.get("below") is not None else "above"
            level = trigger.get(direction)
            text += (
                f", once {trigger.get('base') or base} goes {direction} {fmt_number(level)} {quote}"
            )
        schedule = step.get("schedule")
        if schedule:
            text += f", {_every(str(schedule.get('every')))}"
            count = schedule.get("count")
            text += f", {count} times" if count else ", until stopped"
        return text
    if action == "cancel":
        side = {"buy": "buy ", "sell": "sell "}.get(str(step.get("side")), "")
        where = f" on {step['base']}" if step.get("base") else ""
        return f"cancel all open {side}orders{where}"
    if action == "rebalance":
        targets = step.get("targets") or {}
        parts = ", ".join(f"{percent(v)} {k}" for k, v in targets.items())
        return f"rebalance the portfolio to {parts} (the rest in the quote currency)"
    if action == "convert":
        source = str(step.get("from"))
        amount = step.get("amount") or {}
        if amount.get("unit") == "percent":
            what = _amount(amount, source, source, "sell")
        else:
            what = f"{fmt_number(amount.get('value'))} {source}"
        return f"convert {what} into {step.get('to')}"
    if action == "query":
        asked, asset = step.get("what"), step.get("base")
        base = str(asset) if asset else None
        if asked == "price":
            return f"show the price of {base or 'the watched assets'}"
        if asked == "orders":
            return f"show open orders{f' on {base}' if base else ''}"
        return f"show the balance{f' of {base}' if base else 's'}"
    return str(action)


def describe_result(result: Mapping[str, Any]) -> str:
    """The whole result in a few lines."""
    status = result.get("status")
    if status == "plan":
        steps = result.get("steps") or []
        return "\n".join(f"{i}. {describe_step(step)}" for i, step in enumerate(steps, 1))
    if status == "clarify":
        return f"Question: {result.get('question')}"
    return f"Not supported: {result.get('reason')}"
