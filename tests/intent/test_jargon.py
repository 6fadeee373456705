"""Trader jargon and paraphrase classes read as a trader means them, or asked about."""

from __future__ import annotations

from typing import Any

import pytest

from intent.deterministic import DeterministicParser
from tests.intent.conftest import check_plan, order, steps_of


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("bid 0.5 BTC at 58k", [order("buy", "BTC", "base", "0.5", limit=58000)]),
        ("ask 3 ETH at 3,400", [order("sell", "ETH", "base", 3, limit=3400)]),
        ("put in a bid for 0.5 BTC at 58k", [order("buy", "BTC", "base", "0.5", limit=58000)]),
        ("take 2 ETH off the table", [order("sell", "ETH", "base", 2)]),
        ("take 25% of my BTC off the table", [order("sell", "BTC", "percent", 25)]),
        ("allocate 1k to SOL", [order("buy", "SOL", "quote", 1000)]),
        ("buy 1 BTC for 60k", [order("buy", "BTC", "base", 1, limit=60000)]),
        ("sell 0.5 btc for 35k", [order("sell", "BTC", "base", "0.5", limit=35000)]),
        ("buy 0.2 BTC if it breaks 70k", [order("buy", "BTC", "base", "0.2", above=70000)]),
        ("sell 1 ETH when it crosses 4000", [order("sell", "ETH", "base", 1, above=4000)]),
        (
            "sell 25% each of BTC and ETH",
            [order("sell", "BTC", "percent", 25), order("sell", "ETH", "percent", 25)],
        ),
        ("buy 5k worth of BTC", [order("buy", "BTC", "quote", 5000)]),
        ("buy 5 grand worth of BTC", [order("buy", "BTC", "quote", 5000)]),
        ("buy 500 worth of ETH", [order("buy", "ETH", "quote", 500)]),
        ("selll 2 ETH", [order("sell", "ETH", "base", 2)]),
        ("purchse 3 SOL", [order("buy", "SOL", "base", 3)]),
        ("slel 1 BTC", [order("sell", "BTC", "base", 1)]),
        ("spend 500 of my USDT on BTC", [order("buy", "BTC", "quote", 500)]),
    ],
)
def test_jargon_becomes_the_plan_a_trader_means(
    parser: DeterministicParser, text: str, expected: list[dict[str, Any]]
) -> None:
    check_plan(parser, text, *expected)


@pytest.mark.parametrize(
    ("text", "steps"),
    [
        ("rebalance to 50% BTC, 30% ETH, rest in stablecoins", {"BTC": 50, "ETH": 30}),
        ("allocate 60% to BTC and 40% to ETH", {"BTC": 60, "ETH": 40}),
        ("rebalance 50/50 BTC ETH", {"BTC": 50, "ETH": 50}),
    ],
)
def test_allocation_jargon_is_a_rebalance(
    parser: DeterministicParser, text: str, steps: dict[str, int]
) -> None:
    (step,) = steps_of(parser.parse(text))
    assert step["action"] == "rebalance"
    assert {k: int(v) for k, v in step["targets"].items()} == steps


@pytest.mark.parametrize(
    "text",
    [
        "buy 10 of BTC",  # ten BTC, or ten USDT's worth?
        "buy 5k of BTC",
        "sell 0.5 of my BTC",
        "if BTC crosses 70k buy 0.1",  # a breakout or a dip?
        "sell 1 SOL if it breaks 100",  # a break up or down?
        "allocate 25% to ETH",  # of the portfolio, or of the cash?
        "sell 1 eht",
        "sel 2 ETH",  # too short to guess a verb from
        "self 2 ETH",  # an ordinary word, not a misspelt verb
    ],
)
def test_what_could_mean_two_things_asks(parser: DeterministicParser, text: str) -> None:
    assert parser.parse(text)["status"] in ("clarify", "unsupported"), text
