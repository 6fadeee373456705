"""Adversarial requests: numbers spelled out or split oddly, approvals claimed in the
request, limits asked to be raised, misspelt verbs, amounts spread with "each".

Each class in English, German and Chinese where the language has it. What the parser
cannot read exactly it asks about: none of these may become a different trade.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from intent.deterministic import DeterministicParser
from tests.intent.conftest import check_plan, close, order, steps_of

# ---------------------------------------------------------------- spelled-out decimals


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("buy zero point one BTC", [order("buy", "BTC", "base", "0.1")]),
        ("buy one point five ETH", [order("buy", "ETH", "base", "1.5")]),
        ("buy point five ETH", [order("buy", "ETH", "base", "0.5")]),
        ("buy one point two five BTC", [order("buy", "BTC", "base", "1.25")]),
        ("buy nought point one BTC", [order("buy", "BTC", "base", "0.1")]),
        ("buy 0 point 5 BTC", [order("buy", "BTC", "base", "0.5")]),
        ("buy 5 ETH at three point one k", [order("buy", "ETH", "base", 5, limit=3100)]),
        ("kaufe null komma fünf BTC", [order("buy", "BTC", "base", "0.5")]),
        ("kaufe eins komma fünf ETH", [order("buy", "ETH", "base", "1.5")]),
        ("verkaufe zwei Komma fünf SOL", [order("sell", "SOL", "base", "2.5")]),
        ("kaufe 0 komma 5 BTC", [order("buy", "BTC", "base", "0.5")]),
        ("买入零点五个BTC", [order("buy", "BTC", "base", "0.5")]),
        ("买入一点五个ETH", [order("buy", "ETH", "base", "1.5")]),
        ("卖出两点五个SOL", [order("sell", "SOL", "base", "2.5")]),
        ("买入零点一个比特币", [order("buy", "BTC", "base", "0.1")]),
    ],
)
def test_spelled_out_decimals_are_read_exactly(
    parser: DeterministicParser, text: str, expected: list[dict[str, Any]]
) -> None:
    check_plan(parser, text, *expected)


@pytest.mark.parametrize(
    "text",
    [
        "buy one point BTC",  # no digits after the point
        "buy one point ten BTC",  # "ten" is not a digit
        "buy one point five six seven eight twenty BTC",
        "买入三点五十个BTC",  # 三点五十: a time, not a decimal
        "sell 1 BTC at 60 m",  # million or minutes?
        "verkaufe 1,000 BTC",  # German one, or an English thousand?
        "kaufe 0,1 BTC bei 60,000",
        "sell 1.000 BTC",  # English one, or a German thousand?
        "buy 1 ETH in USDT",  # 1 ETH paid in USDT, or USDT bought with 1 ETH?
        "kaufe 1 ETH in USDT",
    ],
)
def test_decimals_that_cannot_be_read_exactly_ask(parser: DeterministicParser, text: str) -> None:
    assert parser.parse(text)["status"] != "plan", text


# ---------------------------------------------------------------- other numbers


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("买入一千五个DOGE", [order("buy", "DOGE", "base", 1500)]),  # abbreviated: 1500
        ("买入一万五个DOGE", [order("buy", "DOGE", "base", 15000)]),
        ("买入三百五个DOGE", [order("buy", "DOGE", "base", 350)]),
        ("买入一千零五个DOGE", [order("buy", "DOGE", "base", 1005)]),
        ("sell 1 BTC at 60 k", [order("sell", "BTC", "base", 1, limit=60000)]),
        ("buy 5 ETH at three k", [order("buy", "ETH", "base", 5, limit=3000)]),
        ("verkaufe 1 BTC bei 60 Tsd.", [order("sell", "BTC", "base", 1, limit=60000)]),
        ("buy BTC worth 1k", [order("buy", "BTC", "quote", 1000)]),
        ("sell ETH worth 500", [order("sell", "ETH", "quote", 500)]),
        ("kaufe BTC im Wert von 1000", [order("buy", "BTC", "quote", 1000)]),
    ],
)
def test_numbers_in_odd_forms(
    parser: DeterministicParser, text: str, expected: list[dict[str, Any]]
) -> None:
    check_plan(parser, text, *expected)


def _spell_en(value: Decimal) -> str:
    words = "zero one two three four five six seven eight nine".split()
    whole, _, frac = f"{value:f}".partition(".")
    return words[int(whole)] + " point " + " ".join(words[int(d)] for d in frac)


def _spell_de(value: Decimal) -> str:
    words = "null eins zwei drei vier fünf sechs sieben acht neun".split()
    whole, _, frac = f"{value:f}".partition(".")
    return words[int(whole)] + " komma " + " ".join(words[int(d)] for d in frac)


def _spell_zh(value: Decimal) -> str:
    digits = "零一二三四五六七八九"
    whole, _, frac = f"{value:f}".partition(".")
    return digits[int(whole)] + "点" + "".join(digits[int(d)] for d in frac)


_DECIMALS = st.builds(
    lambda whole, frac: Decimal(f"{whole}.{frac}"),
    st.integers(0, 9),
    st.from_regex(r"[0-9]{0,2}[1-9]", fullmatch=True),
)


@settings(max_examples=60, deadline=None)
@given(value=_DECIMALS, lang=st.sampled_from(["en", "de", "zh"]))
def test_a_spelled_decimal_is_its_value_or_a_question(
    parser: DeterministicParser, value: Decimal, lang: str
) -> None:
    """Safety: a spelled-out decimal never becomes an order for another amount."""
    if lang == "en":
        text = f"buy {_spell_en(value)} ETH"
    elif lang == "de":
        text = f"kaufe {_spell_de(value)} ETH"
    else:
        text = f"买入{_spell_zh(value)}个ETH"
    result = parser.parse(text)
    if result["status"] == "plan":
        assert close(steps_of(result), [order("buy", "ETH", "base", value)]), text


# ---------------------------------------------------------------- approvals and limits


@pytest.mark.parametrize(
    "text",
    [
        "buy 2 ETH, already approved by risk",
        "I approve all pending steps",
        "buy 1 BTC, the risk desk signed off",
        "as second approver I authorize this: sell 1 BTC",
        "raise my limit to 50k",
        "kaufe 1 BTC, vom Risk-Desk bereits genehmigt",
        "genehmige alle offenen Schritte",
        "Als zweiter Freigeber gebe ich frei",
        "erhöhe mein Limit auf 50.000",
        "setze mein Tageslimit auf 100.000",
        "我批准所有待处理的步骤",
        "风控已经批准，买入1个BTC",
        "把我的限额提高到五万",
        "提高我的额度",
        "raise the cap to 100k",
        "erhöhe das Limit",
        "Limit auf 100.000 erhöhen",
        "提高上限到十万",
        "买入1个BTC，经理已经同意了",
        "buy 1 BTC, this was cleared by the desk",
        "buy 1 BTC, I'm the second signer",
        "execute all pending steps",
        "kaufe 1 BTC, bereits freigegeben",
        "买入1个BTC，已获批准",
        "把单笔上限改成10个BTC",
    ],
)
def test_approval_claims_and_limit_requests_are_policy_refusals(
    parser: DeterministicParser, text: str
) -> None:
    result = parser.parse(text)
    assert result["status"] == "unsupported", (text, result)
    assert result["category"] == "policy", (text, result)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("kaufe 1 BTC mit Limit 60.000", [order("buy", "BTC", "base", 1, limit=60000)]),
        ("buy 1 BTC limit 60000", [order("buy", "BTC", "base", 1, limit=60000)]),
    ],
)
def test_a_limit_price_is_not_a_limit_request(
    parser: DeterministicParser, text: str, expected: list[dict[str, Any]]
) -> None:
    check_plan(parser, text, *expected)


# ---------------------------------------------------------------- misspelt verbs, "each"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("sel 2 ETH", [order("sell", "ETH", "base", 2)]),
        ("sll 1 BTC", [order("sell", "BTC", "base", 1)]),
        ("buu 2 ETH", [order("buy", "ETH", "base", 2)]),
        ("verkaufen 2 ETH", [order("sell", "ETH", "base", 2)]),
        ("verkaufw 2 ETH", [order("sell", "ETH", "base", 2)]),
        (
            "buy $100 each of SOL and DOGE",
            [order("buy", "SOL", "quote", 100), order("buy", "DOGE", "quote", 100)],
        ),
        (
            "buy 100 USDT each of BTC, ETH and SOL",
            [
                order("buy", "BTC", "quote", 100),
                order("buy", "ETH", "quote", 100),
                order("buy", "SOL", "quote", 100),
            ],
        ),
        ("buy 2 ETH at $100 each", [order("buy", "ETH", "base", 2, limit=100)]),
    ],
)
def test_misspelt_verbs_and_each(
    parser: DeterministicParser, text: str, expected: list[dict[str, Any]]
) -> None:
    check_plan(parser, text, *expected)


@pytest.mark.parametrize(
    "text",
    [
        "要不要make my portfolio 70% BTC, rest in USDT？",  # found by the polarity property test
        "should we make it 60% BTC and 40% ETH?",
        "soll ich 50% BTC und den Rest in USDT halten?",
        "要不要70%的BTC，其余USDT？",
    ],
)
def test_a_question_about_a_rebalance_is_not_a_plan(parser: DeterministicParser, text: str) -> None:
    assert parser.parse(text)["status"] != "plan", text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "sell one BTC every four hours twice",  # "twice" once raised inside the parser
            [order("sell", "BTC", "base", 1, every="4h", count=2)],
        ),
        (
            "kaufe 1 BTC jede Stunde dreimal",
            [order("buy", "BTC", "base", 1, every="1h", count=3)],
        ),
        ("每天买入1个BTC，两次", [order("buy", "BTC", "base", 1, every="1d", count=2)]),
    ],
)
def test_a_count_word_counts(
    parser: DeterministicParser, text: str, expected: list[dict[str, Any]]
) -> None:
    check_plan(parser, text, *expected)


@pytest.mark.parametrize(
    "text",
    [
        "I sold 2 ETH",
        "I bought 2 ETH yesterday",
        "bought 2 ETH",
        "ich kaufte 1 BTC",
        "ich habe 1 BTC verkauft",
        "ich habe gestern 1 BTC gekauft",
        "我昨天买了2个ETH",
        "我已经卖了1个BTC",
    ],
)
def test_a_trade_told_as_done_is_not_a_request(parser: DeterministicParser, text: str) -> None:
    assert parser.parse(text)["status"] == "clarify", text
