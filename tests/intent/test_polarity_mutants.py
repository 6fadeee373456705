"""Polarity in detail: where a bare "no" takes back what came before it, which clauses stand
after a negation and how they are put back together, what a retraction denies, and the
question asked (in the request's language) when nothing may be placed.

Written against the mutants of intent/polarity.py that the broader tests in
``test_polarity.py`` left alive (see docs/mutation.md); each test states the behaviour.
"""

from __future__ import annotations

import pytest

from intent.deterministic import DeterministicParser
from intent.polarity import _TEXTS, Ask, Reading, analyse, concerns
from intent.tokens import Tok
from tests.intent.conftest import check_plan, order


def _read(parser: DeterministicParser, text: str) -> Reading:
    tokens, lang = parser.tagger.tag(text)
    return analyse(tokens, lang)


def _asks(parser: DeterministicParser, text: str) -> str:
    """The key of the question polarity asks about ``text`` (it must ask one)."""
    tokens, lang = parser.tagger.tag(text)
    with pytest.raises(Ask) as caught:
        analyse(tokens, lang)
    return caught.value.key


def _words(tokens: list[Tok]) -> list[tuple[str, str]]:
    return [(t.tag, t.text) for t in tokens]


# ------------------------------------------------------------------ a bare "no"
@pytest.mark.parametrize(
    "text",
    [
        "buy 1 ETH, no, sell 2 SOL",  # between commas
        "buy 1 ETH - no, sell 2 SOL",  # after a dash
        "buy 1 ETH, no - sell 2 SOL",  # before a dash
    ],
)
def test_a_bare_no_between_separators_takes_back_what_came_before(
    parser: DeterministicParser, text: str
) -> None:
    check_plan(parser, text, order("sell", "SOL", "base", 2))
    denied = _read(parser, text).denied
    assert [(t.tag, t.text) for t in denied[0] if t.tag != "P"][:3] == [
        ("BUY", "buy"),
        ("NUM", "1"),
        ("ASSET", "eth"),
    ]


def test_a_no_at_the_very_end_takes_back_the_whole_request(parser: DeterministicParser) -> None:
    assert _asks(parser, "buy 1 ETH, no") == "retracted"
    result = parser.parse("buy 1 ETH, no")
    assert result["status"] == "clarify"
    assert result["question"] == _TEXTS["retracted"]["en"]


def test_a_no_before_an_asset_denies_that_asset_only(parser: DeterministicParser) -> None:
    # "no SOL" is "not SOL", not a retraction of the order before it
    check_plan(parser, "buy 1 ETH, no SOL", order("buy", "ETH", "base", 1))
    reading = _read(parser, "buy 1 ETH, no SOL")
    assert [_words(d) for d in reading.denied] == [[("ASSET", "sol")]]


def test_a_no_after_a_word_is_a_negation_not_a_retraction(parser: DeterministicParser) -> None:
    # "ETH no" negates ETH; the order after it, without a contrast, leaves the scope unclear
    assert _asks(parser, "ETH no, buy 1 SOL") == "scope"
    assert parser.parse("ETH no, buy 1 SOL")["status"] == "clarify"


# ------------------------------------------------------------------ retraction
def test_a_retraction_denies_the_order_before_it(parser: DeterministicParser) -> None:
    reading = _read(parser, "buy 1 ETH, no wait, sell 2 SOL")
    assert _words(reading.kept) == [("SELL", "sell"), ("NUM", "2"), ("ASSET", "sol")]
    assert [_words(d) for d in reading.denied] == [
        [("BUY", "buy"), ("NUM", "1"), ("ASSET", "eth"), ("COMMA", ",")]
    ]
    assert reading.marked


def test_a_correction_without_a_verb_asks_for_the_whole_order(
    parser: DeterministicParser,
) -> None:
    assert _asks(parser, "buy 1 ETH, no wait, 2 ETH") == "correction"
    result = parser.parse("buy 1 ETH, no wait, 2 ETH")
    assert result["question"] == _TEXTS["correction"]["en"]
    assert parser.parse("kaufe 1 ETH, nein warte, 2 ETH")["question"] == _TEXTS["correction"]["de"]


def test_a_leading_retraction_takes_back_only_its_verbless_stretch(
    parser: DeterministicParser,
) -> None:
    text = "never mind ETH, buy 3 SOL and sell 1 BTC"
    check_plan(parser, text, order("buy", "SOL", "base", 3), order("sell", "BTC", "base", 1))
    reading = _read(parser, text)
    assert [_words(d) for d in reading.denied] == [[("ASSET", "eth")]]
    assert reading.marked


def test_a_leading_retraction_of_everything_places_nothing(parser: DeterministicParser) -> None:
    reading = _read(parser, "never mind ETH")
    assert reading.kept == []
    assert [_words(d) for d in reading.denied] == [[("ASSET", "eth")]]
    assert parser.parse("never mind ETH")["status"] == "clarify"


def test_what_follows_a_leading_marker_stands_from_its_first_word(
    parser: DeterministicParser,
) -> None:
    reading = _read(parser, "actually, buy 1 ETH and sell 2 SOL")
    assert _words(reading.kept) == [
        ("BUY", "buy"),
        ("NUM", "1"),
        ("ASSET", "eth"),
        ("AND", "and"),
        ("SELL", "sell"),
        ("NUM", "2"),
        ("ASSET", "sol"),
    ]
    assert reading.marked


# ------------------------------------------------------------------ clauses put back together
@pytest.mark.parametrize(
    ("text", "separator"),
    [
        ("buy 1 ETH and sell 2 SOL, not BTC", ("AND", "and")),
        ("buy 1 ETH; sell 2 SOL, not BTC", ("SEMI", ";")),
        ("buy 1 ETH then sell 2 SOL, not BTC", ("THEN", "then")),
        ("buy 1 ETH. sell 2 SOL. not BTC", ("END", ".")),
        # "but" joins the clauses as a comma: the contrast has done its work
        ("buy 1 ETH, not BTC, but sell 2 SOL", ("COMMA", ",")),
    ],
)
def test_the_clauses_that_stand_keep_their_separator(
    parser: DeterministicParser, text: str, separator: tuple[str, str]
) -> None:
    check_plan(parser, text, order("buy", "ETH", "base", 1), order("sell", "SOL", "base", 2))
    reading = _read(parser, text)
    assert _words(reading.kept) == [
        ("BUY", "buy"),
        ("NUM", "1"),
        ("ASSET", "eth"),
        separator,
        ("SELL", "sell"),
        ("NUM", "2"),
        ("ASSET", "sol"),
    ]
    # what stands keeps the order of the request: the separator sits where its clause starts
    starts = [t.start for t in reading.kept]
    assert starts == sorted(starts)
    assert reading.kept[3].start == reading.kept[4].start == text.index("sell")
    assert reading.kept[3].orig == separator[1]
    assert [_words(d) for d in reading.denied] == [[("ASSET", "btc")]]
    assert reading.marked


# ------------------------------------------------------------------ questions
def test_a_chinese_request_ending_in_ma_is_a_question(parser: DeterministicParser) -> None:
    # no "?" at all: only the particle 吗 makes it a question
    assert _asks(parser, "买1个BTC吗") == "question"
    result = parser.parse("买1个BTC吗")
    assert result["status"] == "clarify"
    assert result["question"] == _TEXTS["question"]["zh"]


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("can I have 70% BTC and the rest in USDT", "en"),
        ("soll ich 70% BTC und den Rest in USDT halten", "de"),
    ],
)
def test_asking_about_a_rebalance_without_a_verb_is_a_question(
    parser: DeterministicParser, text: str, lang: str
) -> None:
    assert _asks(parser, text) == "question"
    assert parser.parse(text)["question"] == _TEXTS["question"][lang]


@pytest.mark.parametrize(
    ("text", "lang"),
    [("never mind ETH, buy 3 SOL?", "en"), ("vergiss ETH, kaufe 3 SOL?", "de")],
)
def test_a_question_after_a_retraction_places_nothing(
    parser: DeterministicParser, text: str, lang: str
) -> None:
    assert _asks(parser, text) == "question"
    result = parser.parse(text)
    assert result["status"] == "clarify"
    assert result["question"] == _TEXTS["question"][lang]


def test_a_polite_question_is_a_request_and_stays_marked(parser: DeterministicParser) -> None:
    reading = _read(parser, "can you buy 1 BTC?")
    assert reading.marked
    assert [t.tag for t in reading.kept if t.tag in ("BUY", "ASSET")] == ["BUY", "ASSET"]


# ------------------------------------------------------------------ a negation of nothing placeable
@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("buy 1 ETH, not now", "en"),
        ("kaufe 1 ETH, nicht jetzt", "de"),
        ("买1个ETH，不要现在", "zh"),
    ],
)
def test_a_negation_of_nothing_placeable_asks_what_it_refers_to(
    parser: DeterministicParser, text: str, lang: str
) -> None:
    assert _asks(parser, text) == "unclear"
    assert parser.parse(text)["question"] == _TEXTS["unclear"][lang]


def test_an_ask_carries_its_question_in_the_request_language() -> None:
    for key, texts in _TEXTS.items():
        for lang in ("en", "de", "zh"):
            ask = Ask(key, lang)
            assert ask.key == key
            assert ask.question == texts[lang]
            assert str(ask) == texts[lang]
        # a language without texts falls back to English
        assert str(Ask(key, "fr")) == Ask(key, "fr").question == texts["en"]


def test_a_plain_request_is_left_as_it_is_and_not_marked(parser: DeterministicParser) -> None:
    for text in ("buy 1 ETH and sell 2 SOL", "买1个BTC", "kaufe 1 BTC"):
        tokens, lang = parser.tagger.tag(text)
        reading = analyse(tokens, lang)
        assert reading.kept == tokens
        assert reading.denied == []
        assert reading.marked is False


def test_a_clause_after_a_polite_question_joins_as_a_comma(parser: DeterministicParser) -> None:
    text = "can you buy 1 ETH? sell 2 SOL, not BTC"
    check_plan(parser, text, order("buy", "ETH", "base", 1), order("sell", "SOL", "base", 2))
    reading = _read(parser, text)
    assert _words(reading.kept)[4:8] == [
        ("QMARK", "?"),
        ("COMMA", ","),
        ("SELL", "sell"),
        ("NUM", "2"),
    ]


def test_a_negation_runs_on_into_verbless_clauses_until_a_contrast(
    parser: DeterministicParser,
) -> None:
    text = "don't buy BTC and ETH, but sell 2 SOL"
    check_plan(parser, text, order("sell", "SOL", "base", 2))
    reading = _read(parser, text)
    assert [_words(d) for d in reading.denied] == [
        [("BUY", "buy"), ("ASSET", "btc")],
        [("ASSET", "eth")],
    ]


def test_a_leading_retraction_takes_back_a_stretch_of_several_words(
    parser: DeterministicParser,
) -> None:
    text = "never mind 1 ETH, buy 3 SOL"
    check_plan(parser, text, order("buy", "SOL", "base", 3))
    assert [_words(d) for d in _read(parser, text).denied] == [[("NUM", "1"), ("ASSET", "eth")]]


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("verkaufe nicht SOL, kaufe 2 ETH", "scope"),
        ("kaufe 1 ETH und verkaufe 2 SOL, nein warte, kaufe 3 BTC", "many"),
        ("kaufe 1 ETH, nein", "retracted"),
    ],
)
def test_questions_about_scope_and_retraction_are_asked_in_german(
    parser: DeterministicParser, text: str, key: str
) -> None:
    assert _asks(parser, text) == key
    assert parser.parse(text)["question"] == _TEXTS[key]["de"]


def test_a_polite_question_does_not_concern_polarity(parser: DeterministicParser) -> None:
    def concerned(text: str) -> bool:
        return concerns(parser.tagger.tag(text)[0])

    assert not concerned("can you buy 1 BTC?")
    assert concerned("buy 1 BTC?")
    assert not concerned("buy 1 BTC")
    assert concerned("don't buy 1 BTC")
