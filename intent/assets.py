"""The assets the parser recognises, by ticker, name and alias.

Read from the text of ``configs/assets.txt`` (and a user's own file in
``$SIGNOFF_HOME/assets.txt``, which adds to it). The format is one asset per line::

    # comment
    BTC: bitcoin, bitcoins, xbt, 比特币, sat=0.00000001, sats=0.00000001
    default-quote: USDT

``TICKER: alias, alias, ...`` — aliases are matched without regard to case and may
have several words ("shiba inu") or be Chinese; ``alias=factor`` names a sub-unit
(1000 sats is 0.00001 BTC). ``default-quote: TICKER`` sets what "$", "USD",
"dollars" and "bucks" mean (USDT unless set).

The domain does no I/O: whoever reads the files hands their text to
:meth:`AssetRegistry.from_texts`. Standard library only (``parse --jsonl`` path).
"""

from __future__ import annotations

from decimal import Decimal

from intent.lexicon import COMMON_WORDS
from intent.numbers import parse_decimal


def _is_ticker(text: str) -> bool:
    """Upper-case ASCII letters and digits, 1 to 20 of them (BTC, 1INCH)."""
    return 0 < len(text) <= 20 and text.isascii() and text.isalnum() and text == text.upper()


def _has_cjk(text: str) -> bool:
    return any("\u3400" <= c <= "\u9fff" for c in text)


class AssetRegistry:
    """Tickers, their names and aliases, sub-units, and the default quote currency.

    A plain class, not a dataclass: ``dataclasses`` pulls in ``inspect`` (~6 ms), and this
    module is on the timed ``parse --jsonl`` path.
    """

    def __init__(self) -> None:
        self.tickers: set[str] = set()
        self.names: dict[str, str] = {}
        """lower-case alias (one or more words, or Chinese) → ticker"""
        self.units: dict[str, tuple[str, Decimal]] = {}
        """lower-case sub-unit name → (ticker, factor)"""
        self.default_quote = "USDT"

    @classmethod
    def from_texts(cls, *sources: tuple[str, str]) -> AssetRegistry:
        """Build from ``(source_name, text)`` pairs; later sources add to earlier ones."""
        registry = cls()
        for source, text in sources:
            registry._read(text, source)
        return registry

    def _read(self, text: str, source: str) -> None:
        # imported here: the error classes cost ~0.4 ms, and a good file never needs them
        from foundation.errors import ConfigError

        for number, raw in enumerate(text.splitlines(), 1):
            line = raw.split("#", 1)[0].strip()
            if not line:
                continue
            where = f"line {number}"
            if ":" not in line:
                raise ConfigError(
                    f"expected 'TICKER: alias, alias', got {raw.strip()!r}",
                    source=source,
                    location=where,
                )
            head, _, rest = line.partition(":")
            head = head.strip()
            if head.lower() == "default-quote":
                quote = rest.strip().upper()
                if not _is_ticker(quote):
                    raise ConfigError(
                        f"default-quote must be a ticker, got {rest.strip()!r}",
                        source=source,
                        location=where,
                    )
                self.default_quote = quote
                self.tickers.add(quote)
                continue
            ticker = head.upper()
            if not _is_ticker(ticker):
                raise ConfigError(
                    f"{head!r} is not a ticker (letters and digits, e.g. BTC)",
                    source=source,
                    location=where,
                )
            self.tickers.add(ticker)
            for item in rest.split(","):
                alias = " ".join(item.strip().lower().split())
                if not alias:
                    continue
                if "=" in alias:
                    name, _, factor_text = alias.partition("=")
                    name = name.strip()
                    parsed = parse_decimal(factor_text.strip())
                    factor = parsed if parsed is not None else Decimal(0)
                    if not name or factor <= 0:
                        raise ConfigError(
                            f"sub-unit {item.strip()!r} must look like sat=0.00000001",
                            source=source,
                            location=where,
                        )
                    self.units[name] = (ticker, factor)
                    continue
                owner = self.names.get(alias)
                if owner is not None and owner != ticker:
                    raise ConfigError(
                        f"alias {alias!r} is already used for {owner}",
                        source=source,
                        location=where,
                        hint="an alias must name exactly one asset",
                    )
                self.names[alias] = ticker

    def ticker_for(self, word: str) -> str | None:
        """The ticker a lower-case word or phrase names, if any (tickers match themselves)."""
        found = self.names.get(word)
        if found is not None:
            return found
        upper = word.upper()
        return upper if upper in self.tickers else None

    def needs_capitals(self, ticker: str) -> bool:
        """True for tickers that are also ordinary words (NEAR, ONE, GAS)."""
        return ticker.lower() in COMMON_WORDS

    def cjk_names(self) -> dict[str, str]:
        """Aliases written in Chinese characters."""
        return {
            name: ticker for name, ticker in self.names.items() if "\u3400" <= name[0] <= "\u9fff"
        }

    def phrases(self) -> dict[str, str]:
        """Aliases of more than one word."""
        return {name: ticker for name, ticker in self.names.items() if " " in name}
