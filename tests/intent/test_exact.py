"""Exact must agree with Decimal on everything the parser does with numbers."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from intent.exact import Exact

decimals = st.decimals(
    allow_nan=False, allow_infinity=False, min_value=-(10**12), max_value=10**12, places=8
)
small = st.integers(min_value=-(10**9), max_value=10**9)
nonzero = small.filter(bool)


@given(decimals)
def test_reads_and_writes_finite_decimals_exactly(value: Decimal) -> None:
    exact = Exact.parse(str(value))
    assert exact is not None
    assert Decimal(str(exact)) == value


@given(small, nonzero)
def test_fractions_print_as_decimal_divides(num: int, den: int) -> None:
    assert Decimal(str(Exact(num, den))) == Decimal(num) / Decimal(den)


@given(small, nonzero, small, nonzero)
def test_arithmetic_and_order_match(a: int, b: int, c: int, d: int) -> None:
    x, y = Exact(a, b), Exact(c, d)
    fx, fy = Decimal(a) / Decimal(b), Decimal(c) / Decimal(d)
    assert (x + y) - y == x
    assert (x * y) == Exact(a * c, b * d)
    assert (x == y) == (a * d == c * b)
    assert (x < y) == (
        Exact(a * d, 1) * (1 if b * d > 0 else -1) < Exact(c * b, 1) * (1 if b * d > 0 else -1)
    )
    assert abs(Decimal(str(x)) - fx) <= abs(fx) * Decimal("1e-27") + Decimal("1e-27")
    assert abs(Decimal(str(y)) - fy) <= abs(fy) * Decimal("1e-27") + Decimal("1e-27")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("12", "12"),
        ("-0.5", "-0.5"),
        (".25", "0.25"),
        ("1e-3", "0.001"),
        ("1.5E+3", "1500"),
        ("0.00000001", "0.00000001"),
        ("2500", "2500"),
    ],
)
def test_parse(text: str, expected: str) -> None:
    assert str(Exact.parse(text)) == expected


@pytest.mark.parametrize("text", ["", "-", ".", "1e", "1e999", "abc", "1.2.3", "9" * 41, "١٢"])
def test_parse_refuses(text: str) -> None:
    assert Exact.parse(text) is None


def test_thirds_and_rounding_like_decimal() -> None:
    assert str(Exact(100, 3)) == str(Decimal(100) / Decimal(3))
    assert str(Exact(200, 3)) == str(Decimal(200) / Decimal(3))
    assert str(Exact(1, 7)) == str(Decimal(1) / Decimal(7))
    assert Exact(5, 2).places(0) == 2  # half-even
    assert Exact(7, 2).places(0) == 4
    assert int(Exact(-7, 2)) == -3
    assert Exact(6, 3).is_integer()
    assert hash(Exact(2, 4)) == hash(Exact(1, 2))
