"""Numbers as people write them: ``2,500``, German ``60.000`` and ``0,5``, ``.25``, ``1e-3``,
``1.5k``, Chinese ``五万``.

Standard library only (``signoff parse --jsonl`` path).
"""

from __future__ import annotations

from decimal import Context, Decimal

from intent.lexicon import CJK_BIG, CJK_DIGITS, CJK_UNITS

MAX_DIGITS = 40
"""Longer numerals are not amounts or prices anyone means: :func:`parse_decimal` refuses them."""

MAX_EXPONENT = 30

AMBIGUOUS = "ambiguous"
"""Returned for a number whose separators mean different things in different languages
and whose context does not settle it (``1.000`` in English: one, or a thousand?)."""

SUFFIX_MULTIPLIERS: dict[str, int] = {
    "k": 1_000,
    "K": 1_000,
    "m": 1_000_000,
    "mm": 1_000_000,
    "mn": 1_000_000,
    "mio": 1_000_000,
    "b": 1_000_000_000,
    "bn": 1_000_000_000,
}


def parse_decimal(text: str) -> Decimal | None:
    """``"12"``, ``"-0.5"``, ``".25"``, ``"1e-3"``, ``"1.5E+3"`` exactly; None for anything
    else (``nan``, ``inf``, other scripts' digits, more than 40 digits, exponents past 30)."""
    if text.isdigit() and text.isascii() and len(text) <= MAX_DIGITS:
        return Decimal(text)
    body = text[1:] if text[:1] in ("+", "-") else text
    mantissa, marker, power = body.replace("E", "e").partition("e")
    if marker:
        digits = power[1:] if power[:1] in ("+", "-") else power
        if not (digits.isascii() and digits.isdigit()) or len(digits) > 3:
            return None
        if abs(int(power)) > MAX_EXPONENT:
            return None
    whole, _, fraction = mantissa.partition(".")
    if not whole and not fraction:
        return None
    for part in (whole, fraction):
        if part and not (part.isascii() and part.isdigit()):
            return None
    if len(whole) + len(fraction) > MAX_DIGITS:
        return None
    return Decimal(text)


def plain(value: Decimal) -> str:
    """``value`` as the shortest exact decimal numeral: no exponent, no trailing zeros
    (``1E+3`` → ``1000``, ``50.0`` → ``50``, ``1E-7`` → ``0.0000001``)."""
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def canonical(value: Decimal) -> Decimal:
    """``value`` with the exponent :func:`plain` gives it: ``50.0`` and ``5E+1`` are ``50``."""
    return Decimal(plain(value))


_PRODUCTS = Context(prec=2 * MAX_DIGITS + 20)


def times(value: Decimal, factor: Decimal | int) -> Decimal:
    """``value * factor`` exactly (``1.5k``, ``1000 sats``): the default context would
    round a product past 28 digits; a numeral has at most 40."""
    return _PRODUCTS.multiply(value, factor)


def is_whole(value: Decimal) -> bool:
    return value == value.to_integral_value()


def read_number(raw: str, lang: str) -> Decimal | str | None:
    """The value of a numeral written with digits, or :data:`AMBIGUOUS`, or ``None``.

    ``lang`` is ``"de"`` for German (comma decimal, dot thousands) and anything else for
    the English convention (dot decimal, comma thousands). A single separator followed by
    other than three digits is a decimal separator in either convention (``0,5``, ``1.25``).
    """
    if raw.isdigit() and raw.isascii():  # the common case: "2", "500"
        return parse_decimal(raw)
    text = raw.replace("’", "'")
    if "e" in text or "E" in text:
        return parse_decimal(text.replace(",", "."))
    if "'" in text:  # Swiss thousands: 1'000'000
        head, *groups = text.split("'")
        if "," in head or "." in head or not all(len(g) == 3 and g.isdigit() for g in groups[:-1]):
            return None
        last = groups[-1]
        tail = ""
        for sep in ".,":
            if sep in last:
                last, tail = last.split(sep, 1)
        if len(last) != 3 or not last.isdigit():
            return None
        return _decimal(head + "".join(groups[:-1]) + last + ("." + tail if tail else ""))
    commas, dots = text.count(","), text.count(".")
    if commas and dots:
        decimal_sep = "," if text.rfind(",") > text.rfind(".") else "."
        thousands_sep = "." if decimal_sep == "," else ","
        if text.count(decimal_sep) != 1:
            return None
        whole, frac = text.split(decimal_sep)
        if not _valid_grouping(whole, thousands_sep):
            return None
        return _decimal(whole.replace(thousands_sep, "") + "." + frac)
    if commas + dots == 0:
        return _decimal(text)
    sep = "," if commas else "."
    if commas + dots > 1:
        # several of one separator: thousands groups (1,000,000 or 1.000.000)
        return _decimal(text.replace(sep, "")) if _valid_grouping(text, sep) else None
    whole, frac = text.split(sep)
    if whole == "":
        return _decimal("0." + frac)
    if len(frac) != 3 or whole.lstrip("0") == "":
        return _decimal(whole + "." + frac)
    # one separator, then exactly three digits: the language decides
    if lang == "de":
        if sep == "," and frac == "000":
            # "60,000" in a German sentence: sixty, or an English sixty thousand?
            return AMBIGUOUS
        return _decimal(whole + frac) if sep == "." else _decimal(whole + "." + frac)
    if sep == ",":
        return _decimal(whole + frac)
    if frac == "000":
        # "60.000" in an English sentence: sixty, or a German sixty thousand?
        return AMBIGUOUS
    return _decimal(whole + "." + frac)


def _valid_grouping(text: str, sep: str) -> bool:
    head, *groups = text.split(sep)
    return (
        1 <= len(head) <= 3 and head.isdigit() and all(len(g) == 3 and g.isdigit() for g in groups)
    )


def _decimal(text: str) -> Decimal | None:
    return parse_decimal(text)


def read_cjk_numeral(text: str) -> Decimal | None:
    """``五万`` → 50000, ``三千五百`` → 3500, ``十二`` → 12, ``两`` → 2; None if not a numeral."""
    if not text:
        return None
    total = 0
    section = 0
    digit: int | None = None
    scale = 0  # the place value just written, for the abbreviated "一千五" (1500)
    for char in text:
        if char in ("零", "〇") and digit is None:
            scale = 0
            continue  # a place holder: 一百零五 is 105
        if char in CJK_DIGITS:
            if digit is not None:
                return None  # two digits in a row ("一二") is not a numeral
            digit = CJK_DIGITS[char]
        elif char in CJK_UNITS:
            section += (1 if digit is None else digit) * CJK_UNITS[char]
            digit = None
            scale = CJK_UNITS[char]
        elif char in CJK_BIG:
            section += 0 if digit is None else digit
            if section == 0:
                section = 1
            total += section * CJK_BIG[char]
            section, digit = 0, None
            scale = CJK_BIG[char]
        else:
            return None
    if digit is not None and scale >= 100 and text[-2] not in ("零", "〇"):
        # a last digit right after a place of a hundred or more counts in the next place
        # down: 一千五 is 1500, 一万五 is 15000, 三百五 is 350 (一千零五 is 1005)
        digit *= scale // 10
    return Decimal(total + section + (digit or 0))


def is_cjk_numeral_char(char: str) -> bool:
    return char in CJK_DIGITS or char in CJK_UNITS or char in CJK_BIG
