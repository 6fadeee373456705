"""LLM intent parsing through pydantic-ai, with the deterministic parser as default and net.

``RequestParser(rules, mode, settings).parse(text)`` returns a :class:`ParseReport`: the
parse result (the same :mod:`intent.plan` models the rules produce) and how it came about
(parser, model, token usage, latency, notices). See :mod:`signoff.llm.modes`.
"""

from signoff.llm.config import LLMSettings, build_model
from signoff.llm.masking import Masked, mask
from signoff.llm.modes import MODES, Mode, ParseReport, RequestParser, steering, vet

__all__ = [
    "MODES",
    "LLMSettings",
    "Masked",
    "Mode",
    "ParseReport",
    "RequestParser",
    "build_model",
    "mask",
    "steering",
    "vet",
]
