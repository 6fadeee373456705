"""Numbers as people write them, and the asset list a user can extend."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from foundation.errors import ConfigError
from intent.assets import AssetRegistry
from intent.numbers import AMBIGUOUS, read_cjk_numeral, read_number
from signoff.intents import load_parser


@pytest.mark.parametrize(
    ("raw", "lang", "value"),
    [
        ("2,500", "en", "2500"),
        ("2,500", "de", "2.5"),
        ("60.000", "de", "60000"),
        ("0,5", "en", "0.5"),
        ("0,5", "de", "0.5"),
        ("1.25", "en", "1.25"),
        (".25", "en", "0.25"),
        ("1e-3", "en", "0.001"),
        ("1,234.56", "en", "1234.56"),
        ("1.234,56", "de", "1234.56"),
        ("1,000,000", "en", "1000000"),
        ("1.000.000", "de", "1000000"),
        ("1'000", "en", "1000"),
        ("0.125", "de", "0.125"),
        ("72,50", "en", "72.50"),
    ],
)
def test_read_number(raw: str, lang: str, value: str) -> None:
    assert read_number(raw, lang) == Decimal(value)


def test_numbers_that_cannot_be_read_without_guessing() -> None:
    assert read_number("60.000", "en") == AMBIGUOUS
    assert read_number("1,2,3", "en") is None
    assert read_number("1.000,5.5", "en") is None


@pytest.mark.parametrize(
    ("text", "value"),
    [("五万", 50000), ("三千五百", 3500), ("十二", 12), ("二十", 20), ("两", 2), ("一百零五", 105)],
)
def test_chinese_numerals(text: str, value: int) -> None:
    assert read_cjk_numeral(text) == value


def test_asset_list_reads_names_aliases_and_sub_units() -> None:
    registry = AssetRegistry.from_texts(
        (
            "a.txt",
            "# comment\nBTC: bitcoin, 比特币, sat=0.00000001\nFOO: foo coin\ndefault-quote: USDC\n",
        )
    )
    assert registry.ticker_for("bitcoin") == "BTC"
    assert registry.ticker_for("btc") == "BTC"
    ticker, factor = registry.units["sat"]
    assert ticker == "BTC"
    assert factor == Decimal("0.00000001")
    assert registry.phrases() == {"foo coin": "FOO"}
    assert registry.default_quote == "USDC"


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("bitcoin", "TICKER: alias"),
        ("btc-x: bitcoin", "not a ticker"),
        ("BTC: sat=zero", "sub-unit"),
        ("BTC: coin\nETH: coin", "already used for BTC"),
        ("default-quote: u s d", "default-quote"),
    ],
)
def test_bad_asset_list_names_the_line(text: str, needle: str) -> None:
    with pytest.raises(ConfigError) as info:
        AssetRegistry.from_texts(("mine.txt", text))
    assert "mine.txt" in str(info.value)
    assert "line" in str(info.value)
    assert needle in str(info.value)


def test_a_user_extends_the_asset_list_in_signoff_home(signoff_home: Path) -> None:
    assert load_parser().parse("buy 10 WOOF")["status"] == "clarify"
    signoff_home.mkdir(parents=True, exist_ok=True)
    (signoff_home / "assets.txt").write_text("WOOF: woofcoin, 汪汪币\n", encoding="utf-8")
    parser = load_parser()
    for text in ("buy 10 WOOF", "buy 10 woofcoin", "买入10个汪汪币"):
        step = parser.parse(text)["steps"][0]
        assert (step["base"], step["amount"]["value"]) == ("WOOF", Decimal(10)), text
