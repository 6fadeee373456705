"""The safety screen every parser's output passes: what the text itself rules out.

A request that is out of scope (withdrawals, leverage, skipping confirmations, ...)
is refused whatever a parser proposes for it. Every parser mode (the deterministic
one, an LLM, hybrids) runs this screen on the text first; a non-``None`` answer is
final and no plan is taken from any parser for that text.
"""

from __future__ import annotations

from intent.deterministic import DeterministicParser

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


def safety_screen(text: str, parser: DeterministicParser) -> dict[str, Any] | None:
    """The refusal or question the text alone calls for, or ``None`` when it may be parsed.

    The answer is in the same plain-dict form as :meth:`DeterministicParser.parse`.
    """
    result = parser.parse(text)
    if result["status"] == "unsupported":
        return result
    return None
