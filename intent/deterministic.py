"""The deterministic intent parser: offline, instant, reproducible.

    parser = DeterministicParser(AssetRegistry.from_texts(("assets.txt", text)))
    parser.parse("sell half my ETH if it drops below 2,000")
    # {'status': 'plan', 'steps': [{'action': 'order', 'side': 'sell', ...}]}

The result is the plain-dict form of :mod:`intent.plan` with ``Decimal`` numbers (each
written without an exponent or trailing zeros), so the ``--jsonl`` path needs no pydantic;
``intent.plan.parse_result_from_data`` turns it into the typed models, and the tests hold
the two to the same shape.

Standard library only (``signoff parse --jsonl`` path).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from intent import messages
from intent.assets import AssetRegistry
from intent.credentials import has_credential
from intent.fuzzy import suggest
from intent.grammar import REFUSALS, Grammar
from intent.steering import REASON as STEERING_REASON
from intent.steering import steering
from intent.tokens import Tagger

if TYPE_CHECKING:
    from typing import Any

MAX_TEXT = 2_000
"""Longer requests are refused with a clarification: no one types a trade that long."""


class DeterministicParser:
    name = "deterministic"

    def __init__(self, registry: AssetRegistry, *, default_quote: str | None = None) -> None:
        self.registry = registry
        self.tagger = Tagger(registry)
        self._suggested: dict[str, str | None] = {}
        self.grammar = Grammar(default_quote or registry.default_quote, suggest=self._suggest)

    def _suggest(self, word: str) -> str | None:
        """The asset an unknown word is nearest to ("eht" → ETH), remembered per word."""
        if word not in self._suggested:
            if len(self._suggested) >= 10_000:
                self._suggested.clear()
            self._suggested[word] = suggest(word, self.registry.names)
        return self._suggested[word]

    def parse(self, text: str) -> dict[str, Any]:
        """Parse one request. Never raises for any text."""
        if len(text) > MAX_TEXT:
            return {
                "status": "clarify",
                "question": f"That request is {len(text)} characters long; please say it in "
                f"fewer than {MAX_TEXT}.",
                "missing": ["text"],
            }
        if steering(text) is not None:
            return {"status": "unsupported", "category": "policy", "reason": STEERING_REASON}
        tokens, lang = self.tagger.tag(text)
        if has_credential(text):
            category, reason = REFUSALS["R_CRED"]
            reason = messages.reason(category, reason, lang)
            return {"status": "unsupported", "category": category, "reason": reason}
        return self.grammar.parse(tokens, lang, text)
