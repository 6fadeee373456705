"""Exact numbers for the parser, without importing ``decimal``.

The parser's numbers are decimals people wrote (``0.1``, ``2,500``, ``1e-3``) and exact
fractions of them (``a third`` of 100). ``decimal`` would do, but importing it pulls in
``collections`` and ``numbers``: a fifth of the whole ``signoff parse --jsonl`` run on a
short batch, which is timed from process start. :class:`Exact` is a small immutable
rational; its text is the decimal ``Decimal`` would print — digit for digit for finite
decimals, and rounded half-even to 28 significant digits (``Decimal``'s default
precision) for repeating ones — so ``Decimal(str(x))`` is the value the typed models hold.

Standard library only, and only ``math``.
"""

from __future__ import annotations

from math import gcd

PRECISION = 28
"""Significant digits of a repeating decimal, as in ``decimal``'s default context."""

MAX_DIGITS = 40
"""Longer numerals are not amounts or prices anyone means; :meth:`Exact.parse` refuses them."""

MAX_EXPONENT = 30

_DIGITS = frozenset("0123456789")


class Exact:
    """An exact rational number: ``num / den`` in lowest terms, ``den`` > 0."""

    __slots__ = ("_text", "den", "num")

    num: int
    den: int
    _text: str | None

    def __init__(self, num: int, den: int = 1) -> None:
        # immutable by convention: nothing assigns these after construction
        if den != 1:
            if den == 0:
                raise ZeroDivisionError("Exact with a zero denominator")
            if den < 0:
                num, den = -num, -den
            common = gcd(num, den)
            if common > 1:
                num //= common
                den //= common
        self.num = num
        self.den = den
        self._text = None

    # ------------------------------------------------------------------ reading
    @classmethod
    def parse(cls, text: str) -> Exact | None:
        """``"12"``, ``"-0.5"``, ``".25"``, ``"1e-3"``, ``"1.5E+3"``; None for anything else."""
        if not text:
            return None
        sign = 1
        if text[0] in "+-":
            sign = -1 if text[0] == "-" else 1
            text = text[1:]
        exponent = 0
        for marker in ("e", "E"):
            if marker in text:
                text, _, power = text.partition(marker)
                if power[:1] in ("+", "-"):
                    digits, negative = power[1:], power[0] == "-"
                else:
                    digits, negative = power, False
                if not digits or not digits.isascii() or not digits.isdigit():
                    return None
                if len(digits) > 3:
                    return None
                exponent = -int(digits) if negative else int(digits)
                break
        whole, _, fraction = text.partition(".")
        if not whole and not fraction:
            return None
        for part in (whole, fraction):
            if part and not (part.isascii() and part.isdigit()):
                return None
        if len(whole) + len(fraction) > MAX_DIGITS or abs(exponent) > MAX_EXPONENT:
            return None
        num = int(whole + fraction or "0") * sign
        exponent -= len(fraction)
        if exponent >= 0:
            return cls(num * 10**exponent)
        return cls(num, 10**-exponent)

    # ------------------------------------------------------------------ arithmetic
    def _other(self, other: object) -> Exact | None:
        if isinstance(other, Exact):
            return other
        if isinstance(other, int) and not isinstance(other, bool):
            return Exact(other)
        if type(other).__name__ == "Decimal":  # decimal.Decimal, without importing decimal
            return Exact.parse(str(other))
        return None

    def __add__(self, other: Exact | int) -> Exact:
        o = self._other(other)
        if o is None:
            return NotImplemented
        return Exact(self.num * o.den + o.num * self.den, self.den * o.den)

    __radd__ = __add__

    def __sub__(self, other: Exact | int) -> Exact:
        o = self._other(other)
        if o is None:
            return NotImplemented
        return Exact(self.num * o.den - o.num * self.den, self.den * o.den)

    def __rsub__(self, other: Exact | int) -> Exact:
        o = self._other(other)
        if o is None:
            return NotImplemented
        return o - self

    def __mul__(self, other: Exact | int) -> Exact:
        o = self._other(other)
        if o is None:
            return NotImplemented
        return Exact(self.num * o.num, self.den * o.den)

    __rmul__ = __mul__

    def __truediv__(self, other: Exact | int) -> Exact:
        o = self._other(other)
        if o is None:
            return NotImplemented
        if o.num == 0:
            raise ZeroDivisionError("division of an Exact by zero")
        return Exact(self.num * o.den, self.den * o.num)

    def __rtruediv__(self, other: Exact | int) -> Exact:
        o = self._other(other)
        if o is None:
            return NotImplemented
        return o / self

    def __neg__(self) -> Exact:
        return Exact(-self.num, self.den)

    def __abs__(self) -> Exact:
        return Exact(abs(self.num), self.den)

    # ------------------------------------------------------------------ comparing
    def _cmp(self, other: object) -> int | None:
        o = self._other(other)
        if o is None:
            return None
        left, right = self.num * o.den, o.num * self.den
        return (left > right) - (left < right)

    def __eq__(self, other: object) -> bool:
        result = self._cmp(other)
        return result == 0 if result is not None else NotImplemented

    def __lt__(self, other: Exact | int) -> bool:
        result = self._cmp(other)
        return result < 0 if result is not None else NotImplemented

    def __le__(self, other: Exact | int) -> bool:
        result = self._cmp(other)
        return result <= 0 if result is not None else NotImplemented

    def __gt__(self, other: Exact | int) -> bool:
        result = self._cmp(other)
        return result > 0 if result is not None else NotImplemented

    def __ge__(self, other: Exact | int) -> bool:
        result = self._cmp(other)
        return result >= 0 if result is not None else NotImplemented

    def __hash__(self) -> int:
        return hash((self.num, self.den))

    def __bool__(self) -> bool:
        return self.num != 0

    def is_integer(self) -> bool:
        return self.den == 1

    def __int__(self) -> int:
        # toward zero, as int() of a Decimal
        return self.num // self.den if self.num >= 0 else -((-self.num) // self.den)

    # ------------------------------------------------------------------ writing
    def __str__(self) -> str:
        text = self._text
        if text is None:
            text = self._text = self._render()
        return text

    def _render(self) -> str:
        num, den = self.num, self.den
        if den == 1:
            return str(num)
        sign = "-" if num < 0 else ""
        num = abs(num)
        twos = fives = 0
        rest = den
        while rest % 2 == 0:
            rest //= 2
            twos += 1
        while rest % 5 == 0:
            rest //= 5
            fives += 1
        if rest == 1:
            places = max(twos, fives)
            digits = str(num * 10**places // den).rjust(places + 1, "0")
            return f"{sign}{digits[:-places]}.{digits[-places:]}"
        return sign + _repeating(num, den)

    def __repr__(self) -> str:
        return f"Exact('{self}')"

    def places(self, places: int) -> Exact:
        """Rounded half-even to ``places`` digits after the point."""
        scaled = self.num * 10**places
        quotient, remainder = divmod(scaled, self.den)
        double = 2 * remainder
        if double > self.den or (double == self.den and quotient % 2 == 1):
            quotient += 1
        return Exact(quotient, 10**places)


def _repeating(num: int, den: int) -> str:
    """``num / den`` (both positive) to 28 significant digits, rounded half-even."""
    whole = num // den
    if whole:
        places = max(0, PRECISION - len(str(whole)))
    else:
        zeros, scaled = 0, num * 10
        while scaled < den:
            scaled *= 10
            zeros += 1
        places = zeros + PRECISION
    quotient, remainder = divmod(num * 10**places, den)
    double = 2 * remainder
    if double > den or (double == den and quotient % 2 == 1):
        quotient += 1
    digits = str(quotient).rjust(places + 1, "0")
    if not places:
        return digits
    return f"{digits[:-places]}.{digits[-places:]}"


ZERO = Exact(0)
ONE = Exact(1)
HUNDRED = Exact(100)
