"""Bounds on every number signoff reads from a person: magnitude and precision.

A file or a request may say ``1e999999999`` or ``1e400``; ``Decimal`` holds them, and
the first sum or product then raises ``decimal.Overflow``. Every reader refuses them
first, naming the key (:mod:`foundation.files` for documents, the policy's number
type for every amount, price and limit).

Standard library only.
"""

from __future__ import annotations

MAX_WHOLE_DIGITS = 18
"""No amount, price or limit anyone means is 10**18 or more."""

MAX_FRACTION_DIGITS = 30
"""Nor has more digits after the point than this."""

_NUMERAL = frozenset("0123456789+-.eE_")


def number_problem(value: object) -> str | None:
    """Why ``value`` (a number, or a string written as one) is out of range; None if not.

    ``1e999999999``, ``1e400`` and ``1e-400`` are; ``"BTC"``, ``"30s"`` and ``0.5`` are not.
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        digits = len(str(abs(value))) if abs(value) < 10**40 else 41
        return None if digits <= MAX_WHOLE_DIGITS else f"the number {_short(value)} is too large"
    if isinstance(value, str):
        text = value.strip()
        if not text or len(text) > 200 or not set(text) <= _NUMERAL:
            return None
        if not any(ch.isdigit() for ch in text):
            return None
    elif type(value).__name__ != "Decimal" and not isinstance(value, float):
        return None
    from decimal import Decimal, InvalidOperation

    try:
        number = Decimal(str(value).strip().replace("_", ""))
    except InvalidOperation:
        return None
    if not number.is_finite():
        return f"{_short(value)} is not a finite number"
    if not number:
        return None
    if number.adjusted() >= MAX_WHOLE_DIGITS:
        return f"the number {_short(value)} is too large"
    exponent = number.normalize().as_tuple().exponent
    assert isinstance(exponent, int)
    if -exponent > MAX_FRACTION_DIGITS:
        return f"the number {_short(value)} has too many digits after the point"
    return None


def _short(value: object) -> str:
    text = str(value)
    return repr(text if len(text) <= 40 else text[:37] + "...")
