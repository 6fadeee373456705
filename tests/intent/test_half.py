"""'half' in the grammar: a share of a holding, half a unit, in every language and action."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from intent.deterministic import DeterministicParser
from tests.intent.conftest import check_plan, close, order, steps_of

ASSETS = [("BTC", "bitcoin"), ("ETH", "ETH"), ("SOL", "solana"), ("DOGE", "DOGE")]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("sell half my ETH", [order("sell", "ETH", "percent", 50)]),
        ("sell half of my BTC", [order("sell", "BTC", "percent", 50)]),
        ("sell one half of my SOL", [order("sell", "SOL", "percent", 50)]),
        ("buy half a BTC", [order("buy", "BTC", "base", "0.5")]),
        ("buy half an ETH", [order("buy", "ETH", "base", "0.5")]),
        ("put half my USDT into SOL", [order("buy", "SOL", "percent", 50)]),
        ("sell half my ETH at 3000", [order("sell", "ETH", "percent", 50, limit=3000)]),
        (
            "sell half my ETH and half my BTC",
            [order("sell", "ETH", "percent", 50), order("sell", "BTC", "percent", 50)],
        ),
        ("verkaufe die Hälfte meiner ETH", [order("sell", "ETH", "percent", 50)]),
        ("verkaufe die Hälfte meines Bitcoins", [order("sell", "BTC", "percent", 50)]),
        ("卖出一半的ETH", [order("sell", "ETH", "percent", 50)]),
        ("卖掉一半比特币", [order("sell", "BTC", "percent", 50)]),
    ],
)
def test_half_is_fifty_percent_of_a_holding_or_half_a_unit(
    parser: DeterministicParser, text: str, expected: list[dict[str, Any]]
) -> None:
    check_plan(parser, text, *expected)


def test_half_in_convert_and_rebalance(parser: DeterministicParser) -> None:
    (step,) = steps_of(parser.parse("convert half my ETH to BTC"))
    assert (step["from"], step["to"]) == ("ETH", "BTC")
    assert close(step["amount"], {"unit": "percent", "value": 50})
    (step,) = steps_of(parser.parse("rebalance to half BTC half ETH"))
    assert close(step["targets"], {"BTC": 50, "ETH": 50})


@pytest.mark.parametrize(
    "text", ["sell half", "buy half", "sell half of it", "verkaufe die Hälfte"]
)
def test_half_of_nothing_named_asks(parser: DeterministicParser, text: str) -> None:
    assert parser.parse(text)["status"] == "clarify"


@given(
    asset=st.sampled_from(ASSETS),
    verb=st.sampled_from(["sell", "dump", "offload", "trim"]),
    shape=st.sampled_from(["{v} half my {a}", "{v} half of my {a}", "{v} one half of my {a}"]),
)
def test_half_equals_fifty_percent(
    parser: DeterministicParser, asset: tuple[str, str], verb: str, shape: str
) -> None:
    ticker, name = asset
    half = steps_of(parser.parse(shape.format(v=verb, a=name)))
    fifty = steps_of(parser.parse(f"{verb} 50% of my {name}"))
    assert half == fifty
    assert half[0]["base"] == ticker
