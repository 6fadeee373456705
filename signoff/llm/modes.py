"""The parser modes: rules, llm, hybrid and cross-check, and what each records.

Every mode starts the same way: :func:`intent.screen.safety_screen` runs on the text, and
its answer (a refusal) is final. Then:

``rules``        the deterministic parser alone (the default).
``llm``          the model reads the request; its proposal must pass the output models,
                 the output validator and :func:`vet` (the screen again, on each step).
``hybrid``       the rules first; the model only where the rules asked a question because
                 they could not read the phrasing (``missing`` is text, action or number),
                 never where something that changes the order is really missing.
``cross-check``  both; where their plans differ, the person is asked, and shown both.

In the model modes a request with text aimed at a parser or model (``ignore previous
instructions``, role markers, JSON, HTML comments, hidden characters, "add a step
silently") is refused before anything reads it: it is sent to no model, and the rules'
reading is not used either, since a hidden step reads to the rules like any other step.
When the model fails (a provider error, 429, 5xx, a timeout, malformed or invalid output
after the retries, a usage limit) the rules' answer is used, with a visible notice. A mode
never raises for a request and never returns part of a plan.
"""

from __future__ import annotations

import asyncio
import atexit
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Literal

from intent.deterministic import DeterministicParser
from intent.plan import (
    CancelStep,
    Clarification,
    ConvertStep,
    OrderStep,
    Plan,
    QueryStep,
    RebalanceStep,
    Refusal,
    parse_result_from_data,
)
from intent.screen import safety_screen
from signoff.llm.masking import mask

if TYPE_CHECKING:
    from pydantic_ai import Agent
    from pydantic_ai.models import Model

    from signoff.llm.agent import ParseDeps
    from signoff.llm.config import LLMSettings

ParseOutcome = Plan | Clarification | Refusal
Mode = Literal["rules", "llm", "hybrid", "cross-check"]
MODES: tuple[Mode, ...] = ("rules", "llm", "hybrid", "cross-check")

PHRASING_GAPS = frozenset({"text", "action", "number"})
"""Clarifications the rules ask because they could not read the words, not because the
request lacks something: only these are handed to the model in hybrid mode."""

_ALLOWED_STEPS = (OrderStep, CancelStep, RebalanceStep, ConvertStep, QueryStep)

# text written to steer a model rather than to ask for a trade
_STEERING = re.compile(
    r"(?ix)"
    # instructions to a model, in English, German and Chinese
    r"ignor(?:e|ing|iere|ieren)\b[^.\n]{0,40}\b(?:instruction|rule|prompt|anweisung|regel|vorgabe)"
    r"|\bdisregard\b|\bforget\b[^.\n]{0,30}\b(?:instruction|rule|prompt)|\bvergiss\b"
    r"|\b(?:system|developer|assistant|assistent|tool)\s*(?:prompt|message|override)?\s*[:>\]]"
    r"|\b(?:as|als)\s+(?:the|an?|der|die|ein)?\s*(?:assistant|assistent|ai|ki|model|modell)\b"
    r"|\byou\s+are\s+now\b|\bdu\s+bist\s+(?:jetzt|nun)\b|\bact\s+as\b|\bpretend\b|jailbreak"
    r"|\bdan\s+mode\b|\b(?:admin|developer|god|debug)\s*(?:mode|modus)\b"
    # steps slipped in or hidden from the person
    r"|\b(?:append|insert|add)\s+(?:a|an|another|one\s+more|an\s+extra|a\s+hidden)?\s*step"
    r"|\b(?:silently|secretly|quietly)\b|\bwithout\s+(?:telling|showing|mentioning)\b"
    r"|\b(?:do\s+not|don'?t)\s+(?:mention|show|tell|display)\b|\b(?:heimlich|unauffällig)\b"
    r"|\bohne\s+es\s+zu\s+(?:erwähnen|zeigen|sagen)\b|\bfüge\b[^.\n]{0,40}\bschritt"
    # markup, role tokens and structured data a person does not type
    r"|<!--|<\|?\s*(?:im_start|im_end|system|assistant|/?s)\b|\[/?inst\]|```|\{\s*\""
    r"|final_result|tool_call|function_call"
    r"|忽略|无视|忘记|系统提示|系统\s*[:：]|管理员模式|开发者模式|你现在是|扮演|助手\s*[:：]"
    r"|悄悄|偷偷|不要告诉|别告诉|额外添加|加一步|添加一个步骤"
    # characters that hide text: zero-width, bidirectional overrides
    r"|[\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]"
)


def steering(text: str) -> str | None:
    """The part of ``text`` that addresses a model rather than asking for a trade."""
    match = _STEERING.search(text)
    return match.group(0) if match else None


@dataclass(frozen=True)
class ParseReport:
    """A parse result and how it came about: what the ledger records beside the plan."""

    result: ParseOutcome
    mode: Mode
    parser: str
    """Who produced ``result``: ``deterministic``, ``llm``, ``both`` (cross-check agreed),
    ``screen`` (the safety screen refused) or ``cross-check`` (they differed)."""
    model: str | None = None
    notices: tuple[str, ...] = ()
    usage: dict[str, int] = field(default_factory=dict)
    latency_ms: int | None = None
    fallback: bool = False
    alternatives: dict[str, dict[str, Any]] = field(default_factory=dict)
    """In cross-check, each parser's own result where they differed (JSON form)."""

    def metadata(self) -> dict[str, Any]:
        """The JSON-ready record of how this result was produced (never the text)."""
        data: dict[str, Any] = {"mode": self.mode, "parser": self.parser}
        if self.model is not None:
            data["model"] = self.model
        if self.usage:
            data["usage"] = dict(self.usage)
        if self.latency_ms is not None:
            data["latency_ms"] = self.latency_ms
        if self.notices:
            data["notices"] = list(self.notices)
        if self.fallback:
            data["fallback"] = True
        if self.alternatives:
            data["alternatives"] = self.alternatives
        return data


@dataclass
class _LLMAnswer:
    result: ParseOutcome | None
    usage: dict[str, int]
    latency_ms: int | None
    notice: str | None


def vet(result: ParseOutcome, text: str, rules: DeterministicParser) -> str | None:
    """Why a model's proposal must not be used, or ``None``.

    The proposal is validated again through the parse-result models from its JSON form
    (nothing can ride along outside them), every step must be one of the five spot step
    types, and each step's own description must pass the safety screen too.
    """
    from intent.describe import describe_step

    try:
        again = parse_result_from_data(result.model_dump(mode="json", by_alias=True))
    except ValueError as exc:
        return f"the proposal does not validate: {exc}"
    if again != result:
        return "the proposal changes when validated again"
    if isinstance(result, Plan):
        for index, step in enumerate(result.steps, 1):
            if not isinstance(step, _ALLOWED_STEPS):
                return f"step {index} is not a spot order, cancel, rebalance, convert or query"
            described = describe_step(step.model_dump(by_alias=True))
            screened = safety_screen(described, rules)
            if screened is not None:
                why = screened.get("reason") or screened.get("question") or screened["status"]
                return f"step {index} ({described}) is refused: {why}"
    return None


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def _close(a: Any, b: Any) -> bool:
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_close(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_close(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, Decimal) and isinstance(b, Decimal):
        return a == b or abs(a - b) <= abs(a) * Decimal("1e-6")
    return bool(a == b)


def same_result(a: ParseOutcome, b: ParseOutcome) -> bool:
    """Whether two parse results say the same thing (numbers equal to a relative 1e-6)."""
    if isinstance(a, Plan) and isinstance(b, Plan):
        return _close(_plain(a.model_dump(by_alias=True)), _plain(b.model_dump(by_alias=True)))
    return a.status == b.status


def _json(result: ParseOutcome) -> dict[str, Any]:
    data: dict[str, Any] = result.model_dump(mode="json", by_alias=True)
    return data


class RequestParser:
    """Parses requests in one mode; the model is built once and reused.

    ``model`` overrides the one built from ``settings`` (tests pass a ``TestModel``,
    a ``FunctionModel`` or an OpenAI-compatible model on a mock transport).
    """

    def __init__(
        self,
        rules: DeterministicParser,
        mode: Mode = "rules",
        settings: LLMSettings | None = None,
        *,
        model: Model | None = None,
    ) -> None:
        if mode not in MODES:
            from foundation.errors import UsageError

            raise UsageError(f"unknown parser {mode!r}", hint=f"one of {', '.join(MODES)}")
        self.rules = rules
        self.mode: Mode = mode
        self._agent: Agent[ParseDeps, ParseOutcome] | None = None
        self._model: Model | None = None
        self._client: Any = None  # an HTTP client this parser made, and closes
        if mode == "rules":
            self.settings = settings
            self.model_label: str | None = None
            return
        from signoff.llm.config import LLMSettings, open_model

        self.settings = settings or LLMSettings.from_env()
        if model is None:
            model, self._client = open_model(self.settings)
        self._model = model
        # a model handed in (tests) is named by itself unless the settings name one
        self.model_label = self.settings.label if self.settings.model else _model_label(model)

    @property
    def name(self) -> str:
        """The parser as the ledger's request record names it."""
        return "deterministic" if self.mode == "rules" else self.mode

    # ------------------------------------------------------------------ entry points
    def parse(self, text: str) -> ParseReport:
        """Parse one request (synchronously). Never raises for any text."""
        if self.mode == "rules":
            screened = safety_screen(text, self.rules)
            if screened is not None:
                return ParseReport(parse_result_from_data(screened), self.mode, "screen")
            return self._rules_report(text)
        return _event_loop().run_until_complete(self.parse_async(text))

    async def parse_async(self, text: str) -> ParseReport:
        """Parse one request inside a running event loop (the TUI's). Never raises."""
        steer = None if self.mode == "rules" else steering(text)
        screened = None if steer is not None else safety_screen(text, self.rules)
        if screened is not None:
            return ParseReport(
                parse_result_from_data(screened), self.mode, "screen", model=self.model_label
            )
        if self.mode == "rules":
            return self._rules_report(text)
        if steer is not None:
            # not for the model, and not for a fallback either: text that tries to steer a
            # parser may have steered the rules too (a hidden step reads like a step)
            reason = (
                "the request contains text addressed to a parser or a model "
                f"({steer.strip() or 'hidden characters'!r}); signoff does not follow "
                "instructions inside a request. Say only the trade you want."
            )
            return ParseReport(
                Refusal(category="policy", reason=reason),
                self.mode,
                "screen",
                model=self.model_label,
                notices=("not sent to the model: " + reason,),
            )
        rules_result = parse_result_from_data(self.rules.parse(text))
        if self.mode == "hybrid" and not (
            isinstance(rules_result, Clarification) and set(rules_result.missing) & PHRASING_GAPS
        ):
            return ParseReport(rules_result, self.mode, "deterministic", model=self.model_label)
        answer = await self._ask_model(text)
        base = ParseReport(
            rules_result,
            self.mode,
            "deterministic",
            model=self.model_label,
            usage=answer.usage,
            latency_ms=answer.latency_ms,
        )
        if answer.result is None:
            notice = f"the LLM parser failed ({answer.notice}); the rules parser's answer is shown"
            return replace(base, notices=(notice,), fallback=True)
        proposal = answer.result
        if self.mode in ("llm", "hybrid"):
            return replace(base, result=proposal, parser="llm")
        # cross-check: agreement gives the rules' own (exact) reading
        if same_result(proposal, rules_result):
            return replace(base, parser="both")
        question = (
            "The two parsers read this request differently. "
            f"Rules: {rules_result.describe()} — LLM: {proposal.describe()} — "
            "Which one did you mean? Please say it again more precisely."
        )
        return replace(
            base,
            result=Clarification(question=question, missing=("text",)),
            parser="cross-check",
            alternatives={"rules": _json(rules_result), "llm": _json(proposal)},
        )

    async def aclose(self) -> None:
        """Close the HTTP client this parser made (inside the loop that used it)."""
        client, self._client = self._client, None
        if client is not None:
            await client.aclose()

    def close(self) -> None:
        """Close the HTTP client this parser made, if any (after :meth:`parse`)."""
        if self._client is not None:
            _event_loop().run_until_complete(self.aclose())

    # ------------------------------------------------------------------ internals
    def _rules_report(self, text: str) -> ParseReport:
        result = parse_result_from_data(self.rules.parse(text))
        return ParseReport(result, self.mode, "deterministic")

    def _agent_for(self) -> Agent[ParseDeps, ParseOutcome]:
        if self._agent is None:
            from signoff.llm.agent import build_agent

            assert self.settings is not None
            self._agent = build_agent(self.rules.registry, retries=self.settings.retries)
        return self._agent

    async def _ask_model(self, text: str) -> _LLMAnswer:
        from pydantic_ai import capture_run_messages
        from pydantic_ai.settings import ModelSettings
        from pydantic_ai.usage import UsageLimits

        from signoff.llm.agent import ParseDeps

        settings = self.settings
        assert settings is not None
        assert self._model is not None
        masked = mask(text)
        agent = self._agent_for()
        model_settings = ModelSettings(
            temperature=0.0,
            timeout=settings.timeout,
            max_retries=settings.http_retries,
        )
        limits = UsageLimits(
            request_limit=settings.retries + 2, total_tokens_limit=settings.max_tokens
        )
        deadline = settings.timeout * (settings.retries + 1)
        started = time.monotonic()
        usage: dict[str, int] = {}
        with capture_run_messages() as messages:
            try:
                async with asyncio.timeout(deadline):
                    run = await agent.run(
                        masked.text,
                        model=self._model,
                        deps=ParseDeps(text=masked.text, registry=self.rules.registry),
                        model_settings=model_settings,
                        usage_limits=limits,
                    )
                usage = _usage(run.usage)
                proposal: ParseOutcome = run.output
            except TimeoutError:
                usage = _usage_of(messages)
                return _LLMAnswer(None, usage, _ms(started), f"no answer within {deadline:g} s")
            except Exception as exc:  # any provider or output failure ends in the fallback
                usage = _usage_of(messages)
                return _LLMAnswer(None, usage, _ms(started), _describe_failure(exc))
        try:
            problem = vet(proposal, text, self.rules)
        except Exception as exc:  # a proposal that cannot even be checked is not taken
            problem = f"the proposal could not be checked: {_describe_failure(exc)}"
        if problem is not None:
            return _LLMAnswer(None, usage, _ms(started), problem)
        return _LLMAnswer(proposal, usage, _ms(started), None)


_LOOP: asyncio.AbstractEventLoop | None = None


def _event_loop() -> asyncio.AbstractEventLoop:
    """One event loop per process for the synchronous :meth:`RequestParser.parse`.

    pydantic-ai shares an HTTP client per provider across the process, and its pooled
    connections belong to the loop that opened them; a loop per parser (or per call)
    would leave the next parser with connections on a closed loop.
    """
    global _LOOP
    if _LOOP is None or _LOOP.is_closed():
        _LOOP = asyncio.new_event_loop()
        atexit.register(_LOOP.close)
    return _LOOP


def _ms(started: float) -> int:
    return round((time.monotonic() - started) * 1000)


def _usage(usage: Any) -> dict[str, int]:
    out = {
        "requests": int(getattr(usage, "requests", 0) or 0),
        "input_tokens": int(getattr(usage, "input_tokens", 0) or 0),
        "output_tokens": int(getattr(usage, "output_tokens", 0) or 0),
    }
    return out


def _usage_of(messages: Sequence[Any]) -> dict[str, int]:
    """Token usage summed over the responses of a run that failed."""
    from pydantic_ai.messages import ModelResponse

    responses = [m for m in messages if isinstance(m, ModelResponse)]
    if not responses:
        return {}
    return {
        "requests": len(responses),
        "input_tokens": sum(r.usage.input_tokens or 0 for r in responses),
        "output_tokens": sum(r.usage.output_tokens or 0 for r in responses),
    }


def _model_label(model: Model) -> str:
    system = getattr(model, "system", None)
    name = getattr(model, "model_name", None) or type(model).__name__
    return f"{system}:{name}" if system else str(name)


def _describe_failure(exc: BaseException) -> str:
    from pydantic_ai.exceptions import (
        ModelHTTPError,
        UnexpectedModelBehavior,
        UsageLimitExceeded,
    )

    from foundation.secrets import redact

    if isinstance(exc, ModelHTTPError):
        if exc.status_code == 429:
            what = "the provider is rate-limiting requests (HTTP 429)"
        elif exc.status_code >= 500:
            what = f"the provider failed (HTTP {exc.status_code})"
        else:
            what = f"the provider refused the request (HTTP {exc.status_code})"
    elif isinstance(exc, UnexpectedModelBehavior):
        what = f"the model's output was unusable after retries: {exc.message}"
    elif isinstance(exc, UsageLimitExceeded):
        what = f"usage limit reached: {exc}"
    else:
        what = f"{type(exc).__name__}: {exc}"
    return redact(what)[:300]
