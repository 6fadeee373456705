"""A request that says no never becomes an order: negation, retraction, questions and
hypotheticals in English, German and Chinese (intent/polarity.py), the safety screen every
parser mode runs first (intent/screen.py), and credentials typed into a request.

The safety property, stated once: for every request in the corpora that yields a plan,
its negated, retracted, hypothetical and question forms, generated in each language, never
yield a plan containing any of that plan's steps.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from intent.credentials import REDACTED, has_credential, mask_credentials
from intent.deterministic import DeterministicParser
from intent.screen import safety_screen
from tests.conftest import REPO
from tests.intent.conftest import check_plan, order

CORPORA = [
    REPO / "tests" / "data" / "intent-dev.jsonl",
    REPO / "tests" / "data" / "intent-gen-dev.jsonl",
    REPO / "tests" / "data" / "intent-gen-heldout.jsonl",
]


def _texts() -> list[str]:
    out: list[str] = []
    for path in CORPORA:
        for line in path.read_text("utf-8").splitlines():
            if line:
                out.append(json.loads(line)["text"])
    return out


ALL_TEXTS = _texts()


def _strip(text: str) -> str:
    return text.rstrip(" ?.!。？！")


# the negated, retracted, hypothetical and question forms of a request T, per language
DENIALS: dict[str, list[str]] = {
    "en": [
        "don't {t}",
        "never {t}",
        "do not {t}",
        "I don't want to {t}",
        "please don't {t}",
        "I do not want you to {t}",
        "{t}, no, scratch that",
        "{t}? no wait, never mind",
        "{t}. actually, forget it",
        "{t} - no. forget that",
        "what if I {t}",
        "should I {t}?",
        "suppose I {t}",
        "can I {t}?",
    ],
    "de": [
        "nicht {t}",
        "bitte nicht {t}",
        "niemals {t}",
        "ich will nicht {t}",
        "{t}, nein, vergiss das",
        "{t}. nein warte, doch nicht",
        "{t}? vergiss es",
        "was wäre, wenn ich {t}",
        "soll ich {t}?",
        "kann ich {t}?",
    ],
    "zh": [
        "不要{t}",
        "别{t}",
        "我不想{t}",
        "千万别{t}",
        "{t}，不对，算了",
        "{t}。算了",
        "{t}，等等，不要了",
        "如果我{t}会怎样",
        "我应该{t}吗？",
        "要不要{t}？",
    ],
}
ALL_DENIALS = [(lang, shape) for lang, shapes in DENIALS.items() for shape in shapes]


def _planned() -> list[tuple[str, list[dict[str, Any]]]]:
    from signoff.intents import load_parser

    parser = load_parser()
    out = []
    for text in ALL_TEXTS:
        result = parser.parse(text)
        # requests that negate or retract something themselves are the property's output,
        # not its input: "don't" before "X, no, Y" denies X, and Y stands
        if result["status"] != "plan" or safety_screen(text, parser) is not None:
            continue
        # what must never be placed: the trading steps (a question may still be answered)
        trades = [step for step in result["steps"] if step["action"] != "query"]
        if trades:
            out.append((text, trades))
    return out


PLANNED = _planned()


def test_the_corpora_hold_many_plan_producing_requests() -> None:
    assert len(PLANNED) > 500


@settings(max_examples=600, deadline=None)
@given(request=st.sampled_from(PLANNED), denial=st.sampled_from(ALL_DENIALS))
def test_a_denied_request_never_yields_a_step_it_denies(
    parser: DeterministicParser,
    request: tuple[str, list[dict[str, Any]]],
    denial: tuple[str, str],
) -> None:
    text, steps = request
    lang, shape = denial
    denied = shape.format(t=_strip(text))
    result = parser.parse(denied)
    if result["status"] == "plan":
        kept = [step for step in result["steps"] if step in steps]
        assert kept == [], (lang, denied, kept)
    # the screen every parser mode runs first answers for it, so no LLM reads it
    assert safety_screen(denied, parser) is not None, denied


@settings(max_examples=200, deadline=None)
@given(
    first=st.sampled_from(PLANNED),
    second=st.sampled_from(PLANNED),
    marker=st.sampled_from(["no wait,", "actually,", "scratch that,", "nein warte,", "不对，"]),
)
def test_after_a_retraction_only_the_new_request_stands(
    parser: DeterministicParser,
    first: tuple[str, list[dict[str, Any]]],
    second: tuple[str, list[dict[str, Any]]],
    marker: str,
) -> None:
    (first_text, first_steps), (second_text, second_steps) = first, second
    assume(not any(step in second_steps for step in first_steps))
    result = parser.parse(f"{_strip(first_text)}, {marker} {second_text}")
    if result["status"] == "plan":
        assert all(step not in result["steps"] for step in first_steps), result


NEGATED = [
    "never sell 3 SOL",
    "I don't want to sell 3 SOL",
    "do not buy 2 ETH",
    "not buying any BTC today",
    "I won't sell my ETH",
    "verkaufe nicht 3 SOL",
    "kaufe kein BTC",
    "ich will keine 2 ETH kaufen",
    "ich möchte meine 3 SOL nicht verkaufen",
    "不要卖出3个SOL",
    "别买比特币",
    "我不想卖ETH",
    "buy 1 ETH, no, scratch that",
    "sell 2 BTC. never mind",
    "kaufe 1 ETH, nein, vergiss das",
    "买入1个ETH，算了",
    "what if I sold 3 SOL",
    "what if I bought 1 BTC?",
    "should I sell 3 SOL?",
    "sell 3 SOL?",
    "can I buy 2 ETH?",
    "soll ich 1 BTC kaufen?",
    "was wäre, wenn ich 3 SOL verkaufe",
    "我应该卖出3个SOL吗？",
    "如果我卖出3个SOL会怎样",
    "don't sell SOL, buy ETH",  # the scope of the negation is unclear: ask
    "don't buy BTC and ETH",
]


@pytest.mark.parametrize("text", NEGATED)
def test_negated_retracted_and_asked_requests_ask(parser: DeterministicParser, text: str) -> None:
    result = parser.parse(text)
    assert result["status"] in ("clarify", "unsupported"), (text, result)
    assert safety_screen(text, parser) == result


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("buy 1 ETH? no wait, sell 2 SOL", order("sell", "SOL", "base", 2)),
        ("sell 1 BTC, no wait, sell 0.5 BTC", order("sell", "BTC", "base", "0.5")),
        ("don't sell SOL, buy 2 ETH instead", order("buy", "ETH", "base", 2)),
        ("buy 1 ETH, not BTC", order("buy", "ETH", "base", 1)),
        ("buy 1 ETH instead of BTC", order("buy", "ETH", "base", 1)),
        ("verkaufe nicht SOL, sondern kaufe 2 ETH", order("buy", "ETH", "base", 2)),
        ("ich will 3 SOL verkaufen, nicht kaufen", order("sell", "SOL", "base", 3)),
        ("不要卖SOL，而是买入2个ETH", order("buy", "ETH", "base", 2)),
        ("买入1个ETH，不对，卖出2个SOL", order("sell", "SOL", "base", 2)),
        ("never mind ETH, buy 3 SOL", order("buy", "SOL", "base", 3)),
        ("can you buy 1 BTC?", order("buy", "BTC", "base", 1)),
        ("kannst du 1 BTC kaufen?", order("buy", "BTC", "base", 1)),
        ("帮我买1个BTC好吗？", order("buy", "BTC", "base", 1)),
    ],
)
def test_what_the_request_wants_instead_is_the_plan(
    parser: DeterministicParser, text: str, expected: dict[str, Any]
) -> None:
    check_plan(parser, text, expected)


def test_questions_and_refusals_come_back_in_the_request_language(
    parser: DeterministicParser,
) -> None:
    assert "nicht" in parser.parse("verkaufe nicht 3 SOL")["question"]
    assert "不要" in parser.parse("不要卖出3个SOL")["question"]
    assert "not" in parser.parse("never sell 3 SOL")["question"]


def test_the_screen_lets_plain_requests_through(parser: DeterministicParser) -> None:
    for text in ("buy 0.1 BTC", "sell half my ETH at 3000", "kaufe 0,1 BTC", "卖出一半的ETH"):
        assert safety_screen(text, parser) is None, text
    refusal = safety_screen("withdraw 1 BTC", parser)
    assert refusal is not None
    assert refusal["status"] == "unsupported"


# ------------------------------------------------------------------ credentials
CREDENTIALS = [
    "buy 0.01 ETH my key is sk_live_51HxyzABCdefGHIjkl",
    "buy 0.01 ETH api_secret=2222222222",
    "sell 1 BTC password: hunter22",
    "buy 1 BTC token=ghp_abcdefghijklmnop1234",
    "buy 1 BTC with key AKIAIOSFODNN7EXAMPLE",
    "buy 1 BTC 9f8A7b6C5d4E3f2A1b0C9d8E7f6A",
    "kaufe 1 BTC, mein Passwort ist geheim123",
    "买入1个BTC，我的密码是abc12345",
    f"buy 1 BTC {REDACTED}",
]


@pytest.mark.parametrize("text", CREDENTIALS)
def test_a_credential_in_a_request_is_refused_and_masked(
    parser: DeterministicParser, text: str
) -> None:
    result = parser.parse(text)
    assert result == {
        "status": "unsupported",
        "category": "credentials",
        "reason": result["reason"],
    }
    assert safety_screen(text, parser) == result
    masked = mask_credentials(text)
    assert REDACTED in masked
    assert has_credential(masked)
    # the masked request is still refused, and nothing of the secret is left in it
    assert parser.parse(masked)["category"] == "credentials"
    for secret in ("51HxyzABCdefGHIjkl", "2222222222", "hunter22", "geheim123", "abc12345"):
        assert secret not in masked
        assert secret not in json.dumps(result, ensure_ascii=False)


@pytest.mark.parametrize(
    "text",
    [
        "buy 0.1 BTC at 60000",
        "send 1 ETH to 0x52908400098527886E0F7030069857D2E4169EE7",
        "buy 100000000000000000000 BTC",
        "sell 1 ETH, stop loss: 2800",
        "rebalance to 60/40 BTC/ETH",
    ],
)
def test_ordinary_text_is_not_a_credential(text: str) -> None:
    assert not has_credential(text)
    assert mask_credentials(text) == text


ALNUM = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"


@given(st.lists(st.sampled_from(ALNUM), min_size=20, max_size=40, unique=True).map("".join))
def test_a_random_token_is_masked_whole(token: str) -> None:
    # a key is random: no character repeats here, and letters mix with digits
    assume(any(c.isdigit() for c in token) and any(c.isalpha() for c in token))
    # "1abc...", "3abc...", "Tabc..." in base58 read as coin addresses: refused as transfers
    assume(token[0] not in "13T")
    masked = mask_credentials(f"buy 1 BTC {token}")
    assert token not in masked
    assert masked == f"buy 1 BTC {REDACTED}"


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("kaufe etwas BTC", "Wie viel genau?"),
        ("verkaufe 1 eht", "Meintest du ETH?"),
        ("hebe 1 BTC ab", "abheben"),
        ("kaufe 1 BTC, mein Passwort ist geheim123", "Schlüssel, Passwörter"),
        ("买比特币", "具体多少"),
        ("卖出1个eht", "您是指ETH吗"),
        ("做空BTC", "不支持做空"),
        ("sell 1 eht", "Did you mean ETH?"),
        ("sell 1 xqzw", "I don't know the asset"),
    ],
)
def test_questions_and_refusals_speak_the_request_language(
    parser: DeterministicParser, text: str, needle: str
) -> None:
    result = parser.parse(text)
    assert result["status"] in ("clarify", "unsupported")
    assert needle in result.get("question", result.get("reason", "")), result
