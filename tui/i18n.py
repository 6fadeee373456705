"""The few words the TUI says around a request, in the request's language (EN/DE/ZH)."""

from __future__ import annotations

import re
from typing import Literal

Language = Literal["en", "de", "zh"]

_CJK = re.compile(r"[\u4e00-\u9fff]")
_GERMAN = re.compile(
    r"\b(kaufe|kauf|kaufen|verkaufe|verkaufen|verkauf|storniere|alle|meine|meinen|mein|"
    r"wenn|falls|bei|für|und|jeden|täglich|hälfte|etwas|zeige|auftr[äa]ge)\b",
    re.IGNORECASE,
)


def language_of(text: str) -> Language:
    if _CJK.search(text):
        return "zh"
    if _GERMAN.search(text):
        return "de"
    return "en"


_WORDS: dict[str, dict[Language, str]] = {
    "question": {"en": "Question", "de": "Rückfrage", "zh": "问题"},
    "answer_hint": {
        "en": "type your answer in the box and press Enter",
        "de": "Antwort ins Feld tippen und Enter drücken",
        "zh": "在输入框中输入回答并按回车",
    },
    "refused": {"en": "Not supported", "de": "Nicht unterstützt", "zh": "不支持"},
    "nothing": {
        "en": "Nothing was executed.",
        "de": "Es wurde nichts ausgeführt.",
        "zh": "未执行任何操作。",
    },
    "amount": {
        "en": "How much exactly? Give an amount (0.1 BTC, $500) or a share (25%, half).",
        "de": "Wie viel genau? Eine Menge (0,1 BTC, 500 $) oder einen Anteil (25 %, Hälfte).",
        "zh": "具体多少？请给出数量（0.1 BTC、500美元）或比例（25%、一半）。",
    },
    "asset": {
        "en": "Which asset do you mean?",
        "de": "Welches Asset meinen Sie?",
        "zh": "您指的是哪种资产？",
    },
    "side": {
        "en": "Buy or sell?",
        "de": "Kaufen oder verkaufen?",
        "zh": "买入还是卖出？",
    },
    "price": {
        "en": "At what price?",
        "de": "Zu welchem Preis?",
        "zh": "以什么价格？",
    },
}


def word(key: str, language: Language) -> str:
    return _WORDS[key][language]


def question(text: str, missing: tuple[str, ...], language: Language) -> str:
    """The parser's question, in the request's language when it is one we know."""
    if language == "en" or len(missing) != 1 or missing[0] not in _WORDS:
        return text
    return word(missing[0], language)


# words that stood for what the question asks about; the answer takes their place
_VAGUE = re.compile(
    r"(\b(some|a bit of|a little|it|them|etwas|ein bisschen|einige|es|sie)\b|一些|一点|它)",
    re.IGNORECASE,
)


def answered(request: str, answer: str) -> str:
    """The request with the person's answer to its question worked in."""
    base = _VAGUE.sub(" ", request)
    return " ".join(f"{base} {answer}".split())
