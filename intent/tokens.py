"""From text to tagged tokens: normalise, scan, segment Chinese, match phrases, read numbers.

Each token carries a *tag* from :mod:`intent.lexicon` (``BUY``, ``NUM``, ``ASSET`` ...)
and a value where the tag has one (the number, the ticker, the fraction). The grammar
in :mod:`intent.grammar` works on these tags only.

Standard library only (``signoff parse --jsonl`` path).
"""

from __future__ import annotations

import re
import unicodedata
from decimal import Decimal
from typing import Any

from intent.assets import AssetRegistry
from intent.lexicon import ENTRIES, GERMAN_READINGS, PUNCTUATION
from intent.numbers import AMBIGUOUS, SUFFIX_MULTIPLIERS, is_cjk_numeral_char, read_cjk_numeral, read_number

_SCAN = re.compile(
    r"""
    (?P<addr>(?:bc1|tb1)[ac-hj-np-z02-9]{8,87}\b
        |0x[0-9a-fA-F]{40}\b
        |(?=\S*[A-Za-z])[13][a-km-zA-HJ-NP-Z1-9]{25,34}\b
        |T[1-9A-HJ-NP-Za-km-z]{33}\b)
    |(?P<num>\d+(?:[.,']\d+)*(?:[eE][-+]?\d+)?|[.,]\d+(?:[eE][-+]?\d+)?)
    |(?P<word>[a-zA-Zà-öø-ÿÀ-ÖØ-ßœŒ]+(?:['\-][a-zA-Zà-öø-ÿÀ-ÖØ-ß]+)*)
    |(?P<cjk>[\u3400-\u4dbf\u4e00-\u9fff]+)
    |(?P<other>[^\W\d_]+)
    |(?P<punct>\S)
    """,
    re.VERBOSE,
)

_TRANSLATE = str.maketrans(
    {"’": "'", "‘": "'", "´": "'", "`": "'", "–": "-", "—": "-", "−": "-", "⁄": "/", "∕": "/",
     "、": ",", "。": ".", "～": "~", "“": '"', "”": '"', "«": '"', "»": '"', "＄": "$"}
)

# letters glued to a number that modify it ("1.5k", "15m", "10x", "500u")
NUMBER_SUFFIXES = frozenset(
    ["k", "m", "mm", "mn", "mio", "b", "bn", "h", "hr", "hrs", "d", "w", "wk", "x", "u",
     "min", "mins", "s", "sec", "secs", "t"]
)

# German words frequent enough in trading requests to tell the language
_GERMAN_HINTS = frozenset(
    """kaufe kaufen kauf verkaufe verkaufen verkauf für bei und meine meiner meines mein meinen
    alle alles hälfte ich möchte bitte wenn sobald storniere stornieren zeige zeig wie ist
    mir tausche tausch wechsle unter über täglich jeden jede woche wochen tage stück
    kontostand guthaben aufträge drittel viertel halbe halben einen eine einem habe lang""".split()
)


class Tok:
    """One tagged token (or phrase)."""

    __slots__ = ("tag", "val", "text", "orig", "start", "end", "suffix", "neg")

    def __init__(
        self, tag: str, val: Any, text: str, orig: str, start: int, end: int
    ) -> None:
        self.tag = tag
        self.val = val
        self.text = text
        self.orig = orig
        self.start = start
        self.end = end
        self.suffix = ""
        self.neg = False

    def __repr__(self) -> str:  # pragma: no cover - debugging aid
        extra = f"{self.val!r}" if self.val is not None else ""
        return f"{self.tag}({self.text}{':' + extra if extra else ''}{self.suffix})"


def _fraction(text: str) -> Decimal:
    top, _, bottom = text.partition("/")
    return Decimal(top) / Decimal(bottom)


def _build_lexicon() -> tuple[dict[str, tuple[str, Any]], dict[str, list[tuple[tuple[str, ...], str, Any]]]]:
    words: dict[str, tuple[str, Any]] = {}
    for tag, block in ENTRIES.items():
        for item in block.split(","):
            entry = " ".join(item.split()).lower()
            if not entry:
                continue
            value: Any = None
            if "=" in entry and entry != "=":
                entry, _, raw = entry.partition("=")
                entry = entry.strip()
                if tag == "FRAC":
                    value = _fraction(raw)
                elif tag in ("NUMW", "MULT"):
                    value = Decimal(raw)
                elif tag == "CUR":
                    value = raw.upper()
                else:
                    value = raw
            words.setdefault(entry, (tag, value))
    return words, {}


LEXICON, _ = _build_lexicon()


class Tagger:
    """Turns text into tagged tokens, for one asset registry."""

    def __init__(self, registry: AssetRegistry) -> None:
        self.registry = registry
        phrases: dict[str, list[tuple[tuple[str, ...], str, Any]]] = {}
        cjk: dict[str, tuple[str, Any]] = {}
        for entry, (tag, value) in LEXICON.items():
            if _is_cjk(entry):
                cjk[entry] = (tag, value)
            elif " " in entry:
                parts = tuple(entry.split(" "))
                phrases.setdefault(parts[0], []).append((parts, tag, value))
        for name, ticker in registry.names.items():
            if _is_cjk(name):
                cjk.setdefault(name, ("ASSET", ticker))
            elif " " in name:
                parts = tuple(name.split(" "))
                phrases.setdefault(parts[0], []).append((parts, "ASSET", ticker))
        for first in phrases:
            phrases[first].sort(key=lambda item: -len(item[0]))
        self.phrases = phrases
        self.cjk = cjk
        self.cjk_max = max((len(k) for k in cjk), default=1)

    # ------------------------------------------------------------------ scanning
    def tag(self, text: str) -> tuple[list[Tok], str]:
        """Tagged tokens of ``text`` and its language (``en``, ``de`` or ``zh``)."""
        text = unicodedata.normalize("NFKC", text).translate(_TRANSLATE)
        raw: list[tuple[str, str, int, int]] = []
        for match in _SCAN.finditer(text):
            kind = match.lastgroup or "punct"
            raw.append((kind, match.group(), match.start(), match.end()))
        has_lower = any(c.islower() for c in text)
        lang = "en"
        if any(kind == "cjk" for kind, *_ in raw):
            lang = "zh"
        elif any(kind == "word" and value.lower() in _GERMAN_HINTS for kind, value, *_ in raw):
            lang = "de"

        units: list[Tok] = []
        for kind, value, start, end in raw:
            if kind == "cjk":
                units.extend(self._segment(value, start))
            elif kind == "num":
                units.append(Tok("NUMRAW", value, value, value, start, end))
            elif kind == "addr":
                units.append(Tok("ADDR", value, value.lower(), value, start, end))
            else:
                units.append(Tok("W", None, value.lower(), value, start, end))
        tokens = self._words(units, has_lower, lang)
        return self._numbers(tokens, lang), lang

    def _segment(self, run: str, offset: int) -> list[Tok]:
        """Forward maximum matching over the lexicon's and the assets' Chinese words."""
        out: list[Tok] = []
        i, n = 0, len(run)
        while i < n:
            for size in range(min(self.cjk_max, n - i), 0, -1):
                piece = run[i : i + size]
                found = self.cjk.get(piece)
                if found is not None:
                    out.append(Tok(found[0], found[1], piece, piece, offset + i, offset + i + size))
                    i += size
                    break
            else:
                j = i
                while j < n and is_cjk_numeral_char(run[j]):
                    j += 1
                if j > i:
                    piece = run[i:j]
                    if run.startswith("分之", j):
                        k = j + 2
                        while k < n and is_cjk_numeral_char(run[k]):
                            k += 1
                        bottom, top = read_cjk_numeral(piece), read_cjk_numeral(run[j + 2 : k])
                        if bottom and top and top < bottom and piece != "百":
                            out.append(Tok("FRAC", top / bottom, run[i:k], run[i:k], offset + i, offset + k))
                            i = k
                            continue
                        if piece == "百" and top:
                            out.append(Tok("PCTNUM", top, run[i:k], run[i:k], offset + i, offset + k))
                            i = k
                            continue
                        if piece == "百":
                            out.append(Tok("PCTPRE", None, run[i:j + 2], run[i:j + 2], offset + i, offset + j + 2))
                            i = j + 2
                            continue
                    number = read_cjk_numeral(piece)
                    if number is not None:
                        tok = Tok("NUM", number, piece, piece, offset + i, offset + j)
                        out.append(tok)
                        i = j
                        continue
                out.append(Tok("UNK", None, run[i], run[i], offset + i, offset + i + 1))
                i += 1
        return out

    def _lookup(self, word: str, orig: str, has_lower: bool, lang: str) -> tuple[str, Any]:
        if lang == "de" and word in GERMAN_READINGS:
            return GERMAN_READINGS[word], None
        punct = PUNCTUATION.get(word)
        if punct is not None:
            return punct, None
        found = LEXICON.get(word)
        if found is not None:
            return found
        registry = self.registry
        ticker = registry.ticker_for(word)
        if ticker is not None:
            if registry.needs_capitals(ticker) and not (orig.isupper() and has_lower):
                return "WASSET", ticker
            return "ASSET", ticker
        unit = registry.units.get(word)
        if unit is not None:
            return "UNITASSET", unit
        if "-" in word:
            return "HYPHEN", None
        if orig.isupper() and has_lower and 2 <= len(orig) <= 10 and orig.isalpha():
            return "UNKT", orig
        return "UNK", None

    def _words(self, units: list[Tok], has_lower: bool, lang: str) -> list[Tok]:
        out: list[Tok] = []
        i, n = 0, len(units)
        phrases = self.phrases
        while i < n:
            tok = units[i]
            if tok.tag != "W":
                out.append(tok)
                i += 1
                continue
            candidates = phrases.get(tok.text)
            if candidates:
                matched = False
                for parts, tag, value in candidates:
                    size = len(parts)
                    if i + size <= n and all(
                        units[i + k].tag == "W" and units[i + k].text == parts[k]
                        for k in range(1, size)
                    ):
                        last = units[i + size - 1]
                        out.append(Tok(tag, value, " ".join(parts), " ".join(
                            u.orig for u in units[i : i + size]), tok.start, last.end))
                        i += size
                        matched = True
                        break
                if matched:
                    continue
            tag, value = self._lookup(tok.text, tok.orig, has_lower, lang)
            if tag == "HYPHEN":
                out.extend(self._hyphenated(tok, has_lower, lang))
            else:
                tok.tag, tok.val = tag, value
                out.append(tok)
            i += 1
        return out

    def _hyphenated(self, tok: Tok, has_lower: bool, lang: str) -> list[Tok]:
        parts = tok.text.split("-")
        origs = tok.orig.split("-")
        if len(parts) == 2:
            base = self.registry.ticker_for(parts[0])
            quote = self.registry.ticker_for(parts[1])
            if base and quote and base != quote:
                return [Tok("PAIR", (base, quote), tok.text, tok.orig, tok.start, tok.end)]
        out: list[Tok] = []
        position = tok.start
        for part, orig in zip(parts, origs, strict=True):
            tag, value = self._lookup(part, orig, has_lower, lang)
            if tag.startswith("R_"):
                # "short-term", "long-lived": a compound, not a request to short
                return [Tok("UNK", None, tok.text, tok.orig, tok.start, tok.end)]
            if tag == "HYPHEN":  # pragma: no cover - parts have no hyphen
                tag = "UNK"
            out.append(Tok(tag, value, part, orig, position, position + len(part)))
            position += len(part) + 1
        return out

    # ------------------------------------------------------------------ numbers
    def _numbers(self, tokens: list[Tok], lang: str) -> list[Tok]:
        out: list[Tok] = []
        i, n = 0, len(tokens)
        while i < n:
            tok = tokens[i]
            if tok.tag != "NUMRAW":
                out.append(tok)
                i += 1
                continue
            value = read_number(tok.text, lang)
            # "3/4", "1/3": a fraction, not a list like 60/40 or 50/30/20
            if (
                i + 2 < n
                and tokens[i + 1].text == "/"
                and tokens[i + 2].tag == "NUMRAW"
                and tokens[i + 1].start == tok.end
                and tokens[i + 2].start == tokens[i + 1].end
                and not (i + 3 < n and tokens[i + 3].text == "/" and tokens[i + 3].start == tokens[i + 2].end)
                and tok.text.isdigit()
                and tokens[i + 2].text.isdigit()
                and 0 < int(tok.text) < int(tokens[i + 2].text) <= 10
            ):
                frac = Decimal(int(tok.text)) / Decimal(int(tokens[i + 2].text))
                out.append(Tok("FRAC", frac, tok.text + "/" + tokens[i + 2].text, tok.text,
                               tok.start, tokens[i + 2].end))
                i += 3
                continue
            if value is None:
                tok.tag, tok.val = "BADNUM", None
            elif value == AMBIGUOUS:
                tok.tag, tok.val = "AMBNUM", None
            else:
                tok.tag, tok.val = "NUM", value
            previous = out[-1] if out else None
            if (
                previous is not None
                and previous.text == "-"
                and previous.end == tok.start
                and not (len(out) > 1 and out[-2].end == previous.start)
            ):
                tok.neg = True
            if i + 1 < n:
                nxt = tokens[i + 1]
                if nxt.start == tok.end and nxt.text in NUMBER_SUFFIXES and tok.tag == "NUM":
                    tok.suffix = nxt.text
                    i += 1
            out.append(tok)
            i += 1
        return out


def _is_cjk(text: str) -> bool:
    return any("\u3400" <= c <= "\u9fff" for c in text)


def multiplier(suffix: str) -> Decimal | None:
    return SUFFIX_MULTIPLIERS.get(suffix)
