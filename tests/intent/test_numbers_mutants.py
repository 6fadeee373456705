"""The number reader, case by case: every way of writing a number the parser accepts, and
the near misses it must refuse or ask about (the cases its mutation run found unpinned)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from intent.numbers import (
    AMBIGUOUS,
    is_cjk_numeral_char,
    is_whole,
    parse_decimal,
    plain,
    read_cjk_numeral,
    read_number,
)

READ = [
    # exponents, with a comma as the decimal mark too
    ("1e3", "en", Decimal(1000)),
    ("1E3", "en", Decimal(1000)),
    ("2,5e3", "en", Decimal(2500)),
    ("2,5E3", "de", Decimal(2500)),
    ("2,5E3", "en", Decimal(2500)),
    # Swiss thousands, with the typographic apostrophe as well
    ("1'000'000", "en", Decimal(1000000)),
    ("12'345'678", "en", Decimal(12345678)),
    ("1'234'567'890", "en", Decimal(1234567890)),
    ("1\u2019000", "en", Decimal(1000)),
    ("1'000.5", "en", Decimal("1000.5")),
    ("1'000,25", "de", Decimal("1000.25")),
    ("1.2'000", "en", None),
    ("1,2'000", "en", None),
    ("1'00'000", "en", None),
    ("1'0000", "en", None),
    ("1'00a", "en", None),
    # both marks: the last one is the decimal mark
    ("1,234.56", "en", Decimal("1234.56")),
    ("1.234,56", "de", Decimal("1234.56")),
    ("100,000,000", "en", Decimal(100000000)),
    ("1000,000,000", "en", None),
    # one mark
    (".25", "en", Decimal("0.25")),
    ("0,5", "de", Decimal("0.5")),
    ("1,25", "en", Decimal("1.25")),
    ("0.500", "en", Decimal("0.5")),
    ("60,500", "en", Decimal(60500)),
    ("60.500", "en", Decimal("60.5")),
    ("60.000", "en", AMBIGUOUS),
    ("60,500", "de", Decimal("60.5")),
    ("60.500", "de", Decimal(60500)),
    ("60,000", "de", AMBIGUOUS),
]


@pytest.mark.parametrize(("raw", "lang", "value"), READ, ids=[f"case{n}" for n in range(len(READ))])
def test_read_number(raw: str, lang: str, value: Decimal | str | None) -> None:
    assert read_number(raw, lang) == value


def test_parse_decimal_limits() -> None:
    assert parse_decimal("1e030") == Decimal("1e30")
    assert parse_decimal("1e0010") is None  # four exponent digits
    assert parse_decimal("1e31") is None
    assert parse_decimal("0." + "1" * 39) == Decimal("0." + "1" * 39)
    assert parse_decimal("0." + "1" * 40) is None  # 41 digits in all
    assert parse_decimal("1" * 40) == Decimal("1" * 40)
    assert parse_decimal("1" * 41) is None


def test_plain_and_whole() -> None:
    assert plain(Decimal("-0")) == "0"
    assert plain(Decimal("-0.00")) == "0"
    assert plain(Decimal("50.0")) == "50"
    assert plain(Decimal("1E-7")) == "0.0000001"
    assert is_whole(Decimal(2))
    assert is_whole(Decimal("2.000"))
    assert not is_whole(Decimal("2.5"))


CJK = [
    ("五万", 50000),
    ("三千五百", 3500),
    ("十二", 12),
    ("两", 2),
    ("一千五", 1500),
    ("一万五", 15000),
    ("三百五", 350),
    ("一千零五", 1005),
    ("一百零五", 105),
    ("二十五万", 250000),
    ("三千万", 30000000),
    ("三千五百万", 35000000),
    ("一亿二千万", 120000000),
    ("万", 10000),
    ("亿", 100000000),
]


@pytest.mark.parametrize(("text", "value"), CJK, ids=[f"cjk{n}" for n in range(len(CJK))])
def test_read_cjk_numeral(text: str, value: int) -> None:
    assert read_cjk_numeral(text) == Decimal(value)


@pytest.mark.parametrize("text", ["", "一二", "五a", "a"], ids=["empty", "two", "latin", "a"])
def test_not_a_cjk_numeral(text: str) -> None:
    assert read_cjk_numeral(text) is None


def test_cjk_numeral_chars() -> None:
    assert is_cjk_numeral_char("五")
    assert is_cjk_numeral_char("十")
    assert is_cjk_numeral_char("万")
    assert not is_cjk_numeral_char("a")
    assert not is_cjk_numeral_char("买")
