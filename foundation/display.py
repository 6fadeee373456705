"""The one formatter for every number a person reads.

A number is shown exactly, or rounded honestly:

- plain digits, never E-notation (``0.00000029``, not ``2.9E-7``);
- thousands grouped (``1,520.4``) unless ``group=False`` (``key=value`` reason texts);
- trailing zeros dropped (``100``, not ``100.00``; never ``1`` for ``100.00``);
- exact when the value has at most ``places`` digits after the point (default
  :data:`MAX_PLACES`), else rounded half-even to ``places`` digits — keeping at least
  :data:`SIGNIFICANT` significant digits of a small value — and marked with ``~``
  (``~33.33333333``): a rounded number never looks exact;
- given a ``limit``, the rounding keeps the shown value on the same side of the limit
  as the exact one (and off it when the exact value is not at it): ``2.00001`` against
  a limit of ``2`` shows as ``2.00001``, never ``2`` or ``2.01``.

:func:`read_back` parses a shown number again, with the rounding it states; the
property tests use it to check every promise above.

Works on anything whose ``str`` is a decimal numeral (``Decimal``, ``int``, numeric
strings) and imports nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from decimal import Decimal

MAX_PLACES = 8
"""Digits after the point shown by default; crypto amounts rarely need more."""

SIGNIFICANT = 6
"""Significant digits a small value keeps when it is rounded (``0.000000001234567``)."""

MAX_SHOWN_PLACES = 40
"""No shown number has more digits after the point than this, whatever it is asked."""

MISSING = "—"


def _split(value: object) -> tuple[int, int] | None:
    """``value`` as ``(n, s)`` with value == n / 10**s; None when not a finite numeral."""
    text = str(value).strip()
    if not text:
        return None
    sign = 1
    if text[0] in "+-":
        sign = -1 if text[0] == "-" else 1
        text = text[1:]
    exponent = 0
    lowered = text.lower()
    if "e" in lowered:
        text, _, power = lowered.partition("e")
        try:
            exponent = int(power)
        except ValueError:
            return None
        if abs(exponent) > 10_000:
            return None
    whole, _, fraction = text.partition(".")
    if not (whole or fraction):
        return None
    for part in (whole, fraction):
        if part and not (part.isascii() and part.isdigit()):
            return None
    n = sign * int((whole + fraction) or "0")
    scale = len(fraction) - exponent
    if scale < 0:
        return n * 10**-scale, 0
    return n, scale


def _pow10(k: int) -> int:
    """10**k for k >= 0, typed as the int it is."""
    return int(10**k)


def _rounded(n: int, scale: int, places: int) -> int:
    """``n / 10**scale`` rounded half-even to ``places`` digits, as an integer over 10**places."""
    if scale <= places:
        return n * _pow10(places - scale)
    divisor = _pow10(scale - places)
    quotient, remainder = divmod(abs(n), divisor)
    double = 2 * remainder
    if double > divisor or (double == divisor and quotient % 2 == 1):
        quotient += 1
    return quotient if n >= 0 else -quotient


def _cmp(a: int, a_scale: int, b: int, b_scale: int) -> int:
    scale = max(a_scale, b_scale)
    left, right = a * _pow10(scale - a_scale), b * _pow10(scale - b_scale)
    return (left > right) - (left < right)


def _text(n: int, places: int, group: bool) -> str:
    digits = str(abs(n)).rjust(places + 1, "0")
    whole, fraction = (digits[:-places], digits[-places:]) if places else (digits, "")
    fraction = fraction.rstrip("0")
    whole = f"{int(whole):,}" if group else str(int(whole))
    sign = "-" if n < 0 else ""
    return f"{sign}{whole}.{fraction}" if fraction else f"{sign}{whole}"


def number(
    value: Decimal | int | str | object | None,
    *,
    places: int | None = None,
    limit: Decimal | int | str | object | None = None,
    group: bool = True,
    mark: str = "~",
) -> str:
    """``value`` for a person: exact, or rounded and marked (see the module's rules)."""
    if value is None:
        return MISSING
    split = _split(value)
    if split is None:
        return str(value)
    n, scale = split
    wanted = MAX_PLACES if places is None else max(0, places)
    if n and scale > wanted and abs(n) < 10**scale:
        # a small value keeps its significant digits: 0.000000001234 is not "0"
        zeros = scale - len(str(abs(n)))
        wanted = max(wanted, zeros + SIGNIFICANT)
    wanted = min(wanted, MAX_SHOWN_PLACES)
    bound = _split(limit) if limit is not None else None
    shown = _rounded(n, scale, wanted)
    if bound is not None:
        side = _cmp(n, scale, *bound)
        while wanted < scale and _cmp(shown, wanted, *bound) != side:
            wanted += 1
            shown = _rounded(n, scale, wanted)
    exact = scale <= wanted or shown * 10 ** (scale - wanted) == n
    text = _text(shown, wanted, group)
    return text if exact else f"{mark}{text}"


def approx(value: Decimal | int | str | object | None, *, places: int | None = None) -> str:
    """An estimate (a value at today's price): ``≈99.99936``; the ``≈`` says it all."""
    if value is None:
        return MISSING
    return "≈" + number(value, places=places, mark="")


def percent(value: Decimal | int | str | object | None, *, limit: object | None = None) -> str:
    """``12.5%``; rounded to two places (and marked) only when it must be."""
    if value is None:
        return MISSING
    return number(value, places=2, limit=limit) + "%"


def amount(value: Decimal | int | str | object | None, unit: str | None) -> str:
    """``0.00000029 BTC``: a quantity with its asset, exact or marked."""
    text = number(value)
    return f"{text} {unit}" if unit else text


def read_back(text: str) -> tuple[str, int, bool]:
    """A shown number parsed again: (plain decimal text, places shown, shown exactly).

    ``"~1,520.4"`` → ``("1520.4", 1, False)``. A number shown exactly is the value; a
    marked one lies within half a unit of the rounding asked for (trailing zeros are
    dropped, so the places shown may be fewer than the places rounded to).
    """
    body = text.strip()
    exact = True
    for prefix in ("~", "≈"):
        if body.startswith(prefix):
            body = body[len(prefix) :]
            exact = exact and prefix != "~"
    body = body.replace(",", "")
    _, _, fraction = body.partition(".")
    return body, len(fraction), exact
