"""The parser's numbers are Decimal: read within limits, multiplied exactly, written plainly."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from intent.numbers import canonical, parse_decimal, plain, times

decimals = st.decimals(
    allow_nan=False, allow_infinity=False, min_value=-(10**12), max_value=10**12, places=8
)


@given(decimals)
def test_reads_and_writes_finite_decimals_exactly(value: Decimal) -> None:
    read = parse_decimal(str(value))
    assert read == value
    shown = plain(value)
    assert "e" not in shown.lower()
    assert Decimal(shown) == value
    assert canonical(value) == value
    assert format(canonical(value), "f") == shown  # what the JSON writers print
    if "." in shown:
        assert not shown.endswith("0")


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
        ("2.50", "2.5"),
        ("1e-30", "0.000000000000000000000000000001"),
    ],
)
def test_parse(text: str, expected: str) -> None:
    read = parse_decimal(text)
    assert read is not None
    assert plain(read) == expected


@pytest.mark.parametrize(
    "text",
    ["", "-", ".", "1e", "1e999", "1e31", "abc", "1.2.3", "9" * 41, "١٢", "nan", "inf", "1_000"],
)
def test_parse_refuses(text: str) -> None:
    assert parse_decimal(text) is None


@given(st.integers(min_value=1, max_value=10**40 - 1), st.sampled_from([1000, 10**6, 10**9]))
def test_products_of_a_numeral_and_a_multiplier_are_exact(whole: int, factor: int) -> None:
    value = Decimal(f"{whole}e-1")  # up to 40 digits, as a numeral may have
    assert times(value, factor) == Decimal(f"{whole * factor}e-1")  # the default would round


def test_shares_are_decimals_28_digits() -> None:
    third = Decimal(100) / 3
    assert plain(third) == "33.33333333333333333333333333"
    assert plain(Decimal(200) / 3) == "66.66666666666666666666666667"


@given(
    st.decimals(allow_nan=False, allow_infinity=False, min_value=-(10**15), max_value=10**15)
    | st.decimals(allow_nan=False, allow_infinity=False, places=12, max_value=10)
)
def test_a_summary_shows_a_number_as_the_one_formatter_does(value: Decimal) -> None:
    from foundation.display import number
    from intent.describe import fmt_number

    assert fmt_number(value) == number(value)
    assert fmt_number(canonical(value)) == number(value)
