"""The safety screen every parser's output passes: what the text itself rules out.

Every parser mode (the deterministic one, an LLM, hybrids) runs this screen on the text
first; a non-``None`` answer is final and no plan is taken from any other parser for that
text. The screen answers for a request that

- is out of scope (withdrawals, leverage, skipping confirmations, ...): the refusal;
- holds a credential (a key, a secret, a password, a long random token): the refusal as
  ``credentials`` (:mod:`intent.credentials`);
- negates, retracts, supposes or asks ("never sell 3 SOL", "buy 1 ETH, no, scratch that",
  "what if I sold ...", "should I ...?", "nicht ... kaufen", "不要 ..."): the deterministic
  reading, which places nothing that was denied or asked about (:mod:`intent.polarity`) —
  a question, or a plan of only what the request says it wants instead.

An LLM therefore never gets the chance to turn a denied or hypothetical trade into a plan.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from intent.credentials import has_credential
from intent.deterministic import MAX_TEXT, DeterministicParser
from intent.polarity import concerns

if TYPE_CHECKING:
    from typing import Any


def safety_screen(text: str, parser: DeterministicParser) -> dict[str, Any] | None:
    """The answer the text alone calls for, or ``None`` when any parser may read it.

    The answer is in the same plain-dict form as :meth:`DeterministicParser.parse`.
    """
    result = parser.parse(text)
    if result["status"] == "unsupported" or len(text) > MAX_TEXT or has_credential(text):
        return result
    tokens, _lang = parser.tagger.tag(text)
    if concerns(tokens):
        return result
    return None
