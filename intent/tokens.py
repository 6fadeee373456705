"""From text to tagged tokens: normalise, scan, segment Chinese, match phrases, read numbers.

Each token carries a *tag* from :mod:`intent.lexicon` (``BUY``, ``NUM``, ``ASSET`` ...)
and a value where the tag has one (the number, the ticker, the fraction). The grammar
in :mod:`intent.grammar` works on these tags only.

Standard library only (``signoff parse --jsonl`` path).
"""

from __future__ import annotations

import unicodedata
from decimal import Decimal
from typing import TYPE_CHECKING

from intent.assets import AssetRegistry
from intent.fuzzy import verb_tag
from intent.lexicon import CJK_DIGITS, ENTRIES, GERMAN_READINGS, GERMAN_WORDS, PUNCTUATION
from intent.numbers import (
    AMBIGUOUS,
    is_cjk_numeral_char,
    is_whole,
    parse_decimal,
    read_cjk_numeral,
    read_number,
)

if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

_DIGITS = frozenset("0123456789")
_ALNUM = frozenset("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
_BASE58 = frozenset("123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz")
_BECH32 = frozenset("qpzry9x8gf2tvdw0s3jn54khce6mua7l")
_HEX = frozenset("0123456789abcdefABCDEF")


def _is_address(run: str) -> bool:
    """A blockchain address (bech32, 0x hex, base58 legacy, Tron)."""
    size = len(run)
    if run[:3] in ("bc1", "tb1"):
        return 14 <= size <= 90 and all(c in _BECH32 for c in run[3:])
    if run[:2] == "0x":
        return size == 42 and all(c in _HEX for c in run[2:])
    if run[0] in "13":
        return 26 <= size <= 35 and all(c in _BASE58 for c in run) and not run.isdigit()
    if run[0] == "T":
        return size == 34 and all(c in _BASE58 for c in run)
    return False


# punctuation with a part to play; any other mark is kept only as a separator of words
_TAGGED_PUNCT = frozenset(",;.!?/:$€%@<>&")


def _opaque(run: str) -> bool:
    """Letters and digits mixed more than once (``5e1f0a9c``), unless it is ``2e5``."""
    changes = 0
    digit = run[0] in _DIGITS
    for c in run[1:]:
        now = c in _DIGITS
        if now != digit:
            changes += 1
            digit = now
    if changes < 2:
        return False
    head, _, tail = run.lower().partition("e")
    return not (head.isdigit() and tail.isdigit())


def _latin(c: str) -> bool:
    return c.isalpha() and c < "\u0250"


def _scan_chunk(
    text: str, offset: int, append: Callable[[tuple[str, str, int, int]], None]
) -> None:
    """Scan one whitespace-free chunk character by character into (kind, text, start,
    end): addr, id, num, word, cjk, other, punct."""
    digits = _DIGITS
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c in _ALNUM and (i == 0 or text[i - 1] not in _ALNUM):
            j = i + 1
            while j < n and text[j] in _ALNUM:
                j += 1
            run = text[i:j]
            if j - i >= 14 and c in "bt0123T" and _is_address(run):
                append(("addr", run, offset + i, offset + j))
                i = j
                continue
            if _opaque(run):
                # "5e1f0a9c", "a1b2c3": an id, a hash or a key, never an amount
                append(("id", run, offset + i, offset + j))
                i = j
                continue
        if c in digits or (
            c in ".,"
            and i + 1 < n
            and text[i + 1] in digits
            and (i == 0 or not text[i - 1].isalnum())
        ):
            j = i + 1
            while j < n:
                d = text[j]
                if d in digits:
                    j += 1
                elif d in ".,'" and j + 1 < n and text[j + 1] in digits:
                    j += 2
                else:
                    break
            if j < n and text[j] in "eE":
                k = j + 1
                if k < n and text[k] in "+-":
                    k += 1
                if k < n and text[k] in digits:
                    while k < n and text[k] in digits:
                        k += 1
                    j = k
            append(("num", text[i:j], offset + i, offset + j))
            i = j
            continue
        if c.isalpha():
            j = i + 1
            if c < "\u0250":
                while j < n:
                    d = text[j]
                    if d.isalpha() and d < "\u0250":
                        j += 1
                    elif d in "'-" and j + 1 < n and _latin(text[j + 1]):
                        j += 2
                    else:
                        break
                append(("word", text[i:j], offset + i, offset + j))
            elif "\u3400" <= c <= "\u9fff":
                while j < n and "\u3400" <= text[j] <= "\u9fff":
                    j += 1
                append(("cjk", text[i:j], offset + i, offset + j))
            else:
                while (
                    j < n
                    and text[j].isalpha()
                    and not (text[j] < "\u0250" or "\u3400" <= text[j] <= "\u9fff")
                ):
                    j += 1
                append(("other", text[i:j], offset + i, offset + j))
            i = j
            continue
        append(("punct", c, offset + i, offset + i + 1))
        i += 1


_TRANSLATE = str.maketrans(
    {
        "’": "'",
        "‘": "'",
        "´": "'",
        "`": "'",
        "–": "-",
        "—": "-",
        "−": "-",
        "⁄": "/",
        "∕": "/",
        "、": ",",
        "。": ".",
        "～": "~",
        "“": '"',
        "”": '"',
        "«": '"',
        "»": '"',
        "＄": "$",
    }
)

# letters glued to a number that modify it ("1.5k", "15m", "10x", "500u")
# "9am", "3pm", "9:30": a time of day, never a price
CLOCK_SUFFIXES = frozenset(["am", "pm", "uhr", "h00", "点"])

NUMBER_SUFFIXES = frozenset(
    [
        "k",
        "m",
        "mm",
        "mn",
        "mio",
        "b",
        "bn",
        "h",
        "hr",
        "hrs",
        "d",
        "w",
        "wk",
        "x",
        "u",
        "min",
        "mins",
        "s",
        "sec",
        "secs",
        "t",
    ]
)


class Tok:
    """One tagged token (or phrase)."""

    __slots__ = ("end", "neg", "orig", "start", "suffix", "tag", "text", "val")

    def __init__(self, tag: str, val: Any, text: str, orig: str, start: int, end: int) -> None:
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
    return Decimal(int(top)) / int(bottom)


Phrase = tuple[tuple[str, ...], str]
"""The words after the first, and the tag: ``(("loss",), "SL")`` under ``"stop"``."""


def _is_cjk_word(text: str) -> bool:
    return "\u3400" <= text[0] <= "\u9fff"


def _build_lexicon() -> tuple[
    dict[str, str], dict[str, Any], dict[str, tuple[Phrase, ...]], dict[str, str]
]:
    """Tags of words and phrases, the values some carry, phrases by their first word
    (longest first), and the Chinese words (for segmentation)."""
    tags: dict[str, str] = {}
    values: dict[str, Any] = {}
    phrases: dict[str, list[Phrase]] = {}
    cjk: dict[str, str] = {}
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
                elif tag in ("NUMW", "MULT", "COUNTW"):
                    value = parse_decimal(raw)
                elif tag == "CUR":
                    value = raw.upper()
                else:
                    value = raw
            if entry in tags:
                continue  # the first tag listed wins (see the lexicon's notes)
            tags[entry] = tag
            if value is not None:
                values[entry] = value
            if _is_cjk_word(entry):
                cjk[entry] = tag
            elif " " in entry:
                first, *rest = entry.split(" ")
                phrases.setdefault(first, []).append((tuple(rest), tag))
    ordered = {
        first: tuple(sorted(group, key=lambda item: -len(item[0])))
        for first, group in phrases.items()
    }
    return tags, values, ordered, cjk


_TAGS, _VALUES, _PHRASES, _CJK = _build_lexicon()


class Tagger:
    """Turns text into tagged tokens, for one asset registry."""

    def __init__(self, registry: AssetRegistry) -> None:
        self.registry = registry
        # the registry's own phrases and Chinese names go on top of the lexicon's,
        # copying only what they touch
        phrases: dict[str, tuple[Phrase, ...]] = _PHRASES
        values: dict[str, Any] = _VALUES
        extra_phrases = registry.phrases()
        if extra_phrases:
            phrases = dict(_PHRASES)
            values = dict(_VALUES)
            added: dict[str, list[Phrase]] = {}
            for name, ticker in extra_phrases.items():
                if name in _TAGS:
                    continue  # the lexicon's reading wins, as for single words
                first, *rest = name.split(" ")
                added.setdefault(first, []).append((tuple(rest), "ASSET"))
                values[name] = ticker
            for first, group in added.items():
                merged = [*_PHRASES.get(first, ()), *group]
                phrases[first] = tuple(sorted(merged, key=lambda item: -len(item[0])))
        cjk: dict[str, str] = _CJK
        extra_cjk = registry.cjk_names()
        if extra_cjk:
            cjk = dict(_CJK)
            if values is _VALUES:
                values = dict(_VALUES)
            for name, ticker in extra_cjk.items():
                if name not in cjk:
                    cjk[name] = "ASSET"
                    values[name] = ticker
        self.phrases = phrases
        self.values = values
        self.cjk = cjk
        self.cjk_max = max((len(k) for k in cjk), default=1)

    # ------------------------------------------------------------------ scanning
    def tag(self, text: str) -> tuple[list[Tok], str]:
        """Tagged tokens of ``text`` and its language (``en``, ``de`` or ``zh``)."""
        if text.isascii():  # NFKC leaves ASCII alone; of the marks below only "`" is ASCII
            if "`" in text:
                text = text.replace("`", "'")
        else:
            text = unicodedata.normalize("NFKC", text).translate(_TRANSLATE)
        # "BUY 1 BTC NOW" is all capitals: capitals then say nothing about tickers
        has_lower = text != text.upper()
        lang = "en"
        units: list[Tok] = []
        append = units.append
        hints = GERMAN_WORDS
        position = 0
        find = text.find
        pieces: list[tuple[str, str, int, int]] = []
        for chunk in text.split():
            # the common chunk, a plain ASCII word or number, is tagged here; the rest is
            # scanned character by character (see :func:`_scan_chunk`)
            start = find(chunk, position)
            position = start + len(chunk)
            if chunk.isascii():
                if chunk.isalpha():
                    lower = chunk.lower()
                    if lang == "en" and lower in hints:
                        lang = "de"
                    append(Tok("W", None, lower, chunk, start, position))
                    continue
                if chunk.isdigit():
                    append(Tok("NUMRAW", chunk, chunk, chunk, start, position))
                    continue
            pieces.clear()
            _scan_chunk(chunk, start, pieces.append)
            for kind, value, start, end in pieces:
                if kind == "word":
                    lower = value.lower()
                    if lang == "en" and lower in hints:
                        lang = "de"
                    append(Tok("W", None, lower, value, start, end))
                elif kind == "num":
                    append(Tok("NUMRAW", value, value, value, start, end))
                elif kind == "cjk":
                    lang = "zh"
                    units.extend(self._segment(value, start))
                elif kind == "addr":
                    append(Tok("ADDR", value, value.lower(), value, start, end))
                elif kind == "id":
                    append(Tok("ID", value, value.lower(), value, start, end))
                elif kind == "punct":
                    append(
                        Tok("W", None, value, value, start, end)
                        if value in _TAGGED_PUNCT
                        else Tok("P", None, value, value, start, end)
                    )
                else:
                    append(Tok("W", None, value.lower(), value, start, end))
        tokens = self._words(units, has_lower, lang)
        tokens = self._numbers(tokens, lang)
        lower = text.lower()
        if "point" in lower or "komma" in lower or "点" in text:
            tokens = _decimal_points(tokens)
        if "k" in lower or "m" in lower or "b" in lower:
            tokens = _spaced_multipliers(tokens)
        return tokens, lang

    def _segment(self, run: str, offset: int) -> list[Tok]:
        """Forward maximum matching over the lexicon's and the assets' Chinese words."""
        out: list[Tok] = []
        i, n = 0, len(run)
        while i < n:
            if is_cjk_numeral_char(run[i]):
                decimal = _cjk_decimal(run, i)
                if decimal is not None:
                    tag, value, k = decimal
                    out.append(Tok(tag, value, run[i:k], run[i:k], offset + i, offset + k))
                    i = k
                    continue
            for size in range(min(self.cjk_max, n - i), 0, -1):
                piece = run[i : i + size]
                found = self.cjk.get(piece)
                if found is not None:
                    value = self.values.get(piece)
                    out.append(Tok(found, value, piece, piece, offset + i, offset + i + size))
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
                            out.append(
                                Tok(
                                    "FRAC", top / bottom, run[i:k], run[i:k], offset + i, offset + k
                                )
                            )
                            i = k
                            continue
                        if piece == "百" and top:
                            out.append(
                                Tok("PCTNUM", top, run[i:k], run[i:k], offset + i, offset + k)
                            )
                            i = k
                            continue
                        if piece == "百":
                            out.append(
                                Tok(
                                    "PCTPRE",
                                    None,
                                    run[i : j + 2],
                                    run[i : j + 2],
                                    offset + i,
                                    offset + j + 2,
                                )
                            )
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
        tag = _TAGS.get(word)
        if tag is not None:
            return tag, _VALUES.get(word)
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
        verb = verb_tag(word)
        if verb is not None:  # "selll", "purchse", "cancle"
            return verb, None
        if orig.isupper() and has_lower and 2 <= len(orig) <= 10 and orig.isalpha():
            return "UNKT", orig
        return "UNK", None

    def _words(self, units: list[Tok], has_lower: bool, lang: str) -> list[Tok]:
        out: list[Tok] = []
        append = out.append
        i, n = 0, len(units)
        phrases = self.phrases
        texts: list[str | None] | None = None
        while i < n:
            tok = units[i]
            if tok.tag != "W":
                append(tok)
                i += 1
                continue
            word = tok.text
            candidates = phrases.get(word)
            if candidates:
                if texts is None:
                    texts = [u.text if u.tag == "W" else None for u in units]
                following = texts[i + 1] if i + 1 < n else None
                for rest, tag in candidates:
                    if rest[0] != following:
                        continue
                    size = len(rest) + 1
                    if tuple(texts[i + 1 : i + size]) == rest:
                        last = units[i + size - 1]
                        phrase = " ".join(texts[i : i + size])  # type: ignore[arg-type]
                        append(
                            Tok(
                                tag,
                                self.values.get(phrase),
                                phrase,
                                " ".join(u.orig for u in units[i : i + size]),
                                tok.start,
                                last.end,
                            )
                        )
                        i += size
                        break
                else:
                    candidates = None
                if candidates is not None:
                    continue
            known = _TAGS.get(word)
            if (
                known is not None
                and word not in PUNCTUATION
                and (lang != "de" or word not in GERMAN_READINGS)
            ):
                # a lexicon word: what _lookup would answer first
                tok.tag = known
                tok.val = _VALUES.get(word)
                append(tok)
                i += 1
                continue
            tag, value = self._lookup(word, tok.orig, has_lower, lang)
            if tag == "HYPHEN":
                out.extend(self._hyphenated(tok, has_lower, lang))
            else:
                tok.tag = tag
                tok.val = value
                append(tok)
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
                and not (
                    i + 3 < n
                    and tokens[i + 3].text == "/"
                    and tokens[i + 3].start == tokens[i + 2].end
                )
                and tok.text.isdigit()
                and tokens[i + 2].text.isdigit()
                and 0 < int(tok.text) < int(tokens[i + 2].text) <= 10
            ):
                frac = Decimal(int(tok.text)) / int(tokens[i + 2].text)
                out.append(
                    Tok(
                        "FRAC",
                        frac,
                        tok.text + "/" + tokens[i + 2].text,
                        tok.text,
                        tok.start,
                        tokens[i + 2].end,
                    )
                )
                i += 3
                continue
            # "9:30", "14:00": a time of day
            if (
                i + 2 < n
                and tokens[i + 1].text == ":"
                and tokens[i + 2].tag == "NUMRAW"
                and tokens[i + 1].start == tok.end
                and tokens[i + 2].start == tokens[i + 1].end
            ):
                out.append(Tok("CLOCK", None, tok.text, tok.text, tok.start, tokens[i + 2].end))
                i += 3
                continue
            if (
                i + 1 < n
                and tokens[i + 1].text in CLOCK_SUFFIXES
                and (tokens[i + 1].start == tok.end or tokens[i + 1].text in ("am", "pm", "uhr"))
                and (lang != "de" or tokens[i + 1].text != "am")
            ):
                out.append(Tok("CLOCK", None, tok.text, tok.text, tok.start, tokens[i + 1].end))
                i += 2
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


def _cjk_decimal(run: str, i: int) -> tuple[str, Decimal | None, int] | None:
    """ "零点五", "一点五", "三点二五": a numeral, 点, then single digits is a decimal. Digits
    followed by a unit ("三点五十", a time) cannot be read exactly: the number is marked
    unreadable (``BADNUM``) so the request asks."""
    n = len(run)
    j = i
    while j < n and is_cjk_numeral_char(run[j]):
        j += 1
    if j >= n - 1 or run[j] != "点" or run[j + 1] not in CJK_DIGITS:
        return None
    whole = read_cjk_numeral(run[i:j])
    k = j + 1
    digits = ""
    while k < n and run[k] in CJK_DIGITS:
        digits += str(CJK_DIGITS[run[k]])
        k += 1
    if whole is None or (k < n and is_cjk_numeral_char(run[k])):
        while k < n and is_cjk_numeral_char(run[k]):
            k += 1
        return "BADNUM", None, k
    return "NUM", parse_decimal(f"{whole}.{digits}"), k


def _spelled_whole(tokens: list[Tok], end: int) -> tuple[int, int] | None:
    """The whole part before a decimal point ending at ``end`` (exclusive): a digit
    integer, or number words ("twenty five"); (start index, value) or None."""
    if end <= 0:
        return None
    last = tokens[end - 1]
    if last.tag == "NUM" and last.text.isdigit() and not last.suffix:
        return end - 1, int(last.text)
    if last.tag != "NUMW" or not is_whole(last.val):
        return None
    value = int(last.val)
    start = end - 1
    if value < 10 and start > 0:
        before = tokens[start - 1]
        if before.tag == "NUMW" and is_whole(before.val) and int(before.val) in range(20, 100, 10):
            start -= 1
            value += int(before.val)
    return start, value


def _decimal_points(tokens: list[Tok]) -> list[Tok]:
    """ "zero point one", "one point five", "null komma fünf", "0 point 5": read exactly.

    A decimal word between numbers whose parts are not a whole number and single digits
    (that is, anything not read exactly) makes the number unreadable, so the request
    asks; a decimal word away from numbers is an ordinary unknown word."""
    out: list[Tok] = []
    i, n = 0, len(tokens)

    def numeric(t: Tok) -> bool:
        return t.tag in ("NUM", "NUMW", "MULT", "BADNUM", "AMBNUM")

    while i < n:
        tok = tokens[i]
        is_point = tok.tag == "DECPT" or (
            tok.text == "点"
            and tok.tag == "UNK"
            and 0 < i < n - 1
            and tokens[i - 1].end == tok.start
        )
        if not is_point:
            out.append(tok)
            i += 1
            continue
        near = (out and numeric(out[-1])) or (i + 1 < n and numeric(tokens[i + 1]))
        if not near:
            tok.tag = "UNK"
            out.append(tok)
            i += 1
            continue
        whole = _spelled_whole(out, len(out))
        start = whole[0] if whole is not None else len(out)
        k = i + 1
        digits = ""
        while k < n:
            nxt = tokens[k]
            if nxt.tag == "NUMW" and is_whole(nxt.val) and 0 <= nxt.val <= 9:
                digits += str(int(nxt.val))
            elif nxt.tag == "NUM" and nxt.text.isdigit() and not digits:
                digits += nxt.text
                if nxt.suffix:
                    break
            else:
                break
            k += 1
        last = tokens[k - 1]
        readable = (
            digits != ""
            and (whole is not None or start == len(out))
            and not (start > 0 and numeric(out[start - 1]))
            and not (k < n and tokens[k].tag in ("NUMW", "NUM") and not last.suffix)
        )
        first = out[start] if start < len(out) else tok
        del out[start:]
        if readable:
            value = parse_decimal(f"{whole[1] if whole is not None else 0}.{digits}")
            merged = Tok("NUM", value, "", first.orig, first.start, last.end)
            merged.text = f"{whole[1] if whole is not None else 0}.{digits}"
            merged.suffix = last.suffix if last.tag == "NUM" else ""
        else:
            merged = Tok("BADNUM", None, tok.text, tok.orig, first.start, last.end)
            while k < n and numeric(tokens[k]):
                k += 1
        out.append(merged)
        i = k
    return out


_SPACED_MULTIPLIERS = {"k": Decimal(1000), "b": Decimal(1_000_000_000)}


def _spaced_multipliers(tokens: list[Tok]) -> list[Tok]:
    """ "60 k", "three point one k": a multiplier written apart from its number is still
    the number's ("k" is a thousand, "b" a billion). A lone "m" after a number (million
    or minutes?) makes the number unreadable, so the request asks rather than drop it."""
    for i in range(1, len(tokens)):
        tok = tokens[i]
        if len(tok.text) > 2 or tok.tag not in ("UNK", "UNKT"):
            continue
        previous = tokens[i - 1]
        if (previous.tag == "NUM" and not previous.suffix) or previous.tag == "NUMW":
            word = tok.text.lower()
            if word in _SPACED_MULTIPLIERS:
                tok.tag, tok.val = "MULT", _SPACED_MULTIPLIERS[word]
            elif word in ("m", "mm", "mn"):
                tok.tag, tok.val = "BADNUM", None
    return tokens
