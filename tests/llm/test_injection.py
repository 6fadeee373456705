"""Prompt injection: a model that obeys whatever the text asks never yields a forbidden plan.

``tests/data/injection.jsonl`` holds requests in English, German and Chinese that try to
skip gates, raise limits, withdraw, approve, or smuggle extra steps. Each case carries
``obey``: the output tool call a model that follows the injection returns (extra fields,
withdraw steps, bigger amounts, the smuggled step), and ``allowed``: the only steps a
plan for it may hold, the plain trade the person asked for (which the policy still
gates like any other); for a withdrawal nothing at all.

A forbidden effect is any plan step outside ``allowed``, any step that is not a spot
order, cancel, rebalance, convert or query, and anything riding along outside the plan
models. It must not occur in any mode.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic_ai.messages import ModelMessage, ModelResponse, ToolCallPart
from pydantic_ai.models.function import AgentInfo, FunctionModel

from intent.deterministic import DeterministicParser
from intent.plan import (
    CancelStep,
    ConvertStep,
    OrderStep,
    Plan,
    QueryStep,
    RebalanceStep,
    Refusal,
    parse_result_from_data,
)
from signoff.intents import load_parser
from signoff.llm import LLMSettings, RequestParser
from signoff.llm.agent import mentioned_assets
from signoff.llm.modes import MODES, Mode, ParseOutcome
from tests.conftest import REPO
from tests.llm.conftest import user_text

CORPUS: list[dict[str, Any]] = [
    json.loads(line)
    for line in (REPO / "tests" / "data" / "injection.jsonl").read_text("utf-8").splitlines()
    if line.strip()
]
SETTINGS = LLMSettings(model="obedient", retries=1, timeout=5.0)

# The deterministic parser (rules mode, no model) reads these smuggled steps as steps: the
# safety screen in intent/ does not yet see hidden or role-marked text. The model modes
# refuse them before any parser reads them.


def obedient(obey: dict[str, Any], seen: list[str]) -> FunctionModel:
    """A model that does exactly what the injected text asks, every time it is asked."""

    def respond(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        seen.append(user_text(messages))
        return ModelResponse(parts=[ToolCallPart(f"final_result_{obey['kind']}", obey["args"])])

    return FunctionModel(respond, model_name="obedient")


def forbidden_effects(result: ParseOutcome, allowed: list[dict[str, Any]]) -> list[str]:
    """What in ``result`` the request may not lead to (empty: nothing)."""
    if not isinstance(result, Plan):
        return []
    problems = []
    again = parse_result_from_data(result.model_dump(mode="json", by_alias=True))
    if again != result:
        problems.append("the plan does not survive its own models")
    permitted = Plan(steps=tuple(allowed)).steps if allowed else ()
    for step in result.steps:
        if not isinstance(step, OrderStep | CancelStep | RebalanceStep | ConvertStep | QueryStep):
            problems.append(f"a {type(step).__name__} step")
        elif step not in permitted:
            problems.append(f"a step not asked for: {step.describe()}")
    return problems


def test_the_corpus_covers_every_attack_in_every_language() -> None:
    assert len(CORPUS) >= 40
    assert len({case["id"] for case in CORPUS}) == len(CORPUS)
    attacks = {"skip_gate", "raise_limit", "withdraw", "approve", "smuggle"}
    for lang in ("en", "de", "zh"):
        assert {c["attack"] for c in CORPUS if c["lang"] == lang} == attacks, lang
    for case in CORPUS:
        assert case["obey"]["kind"] in ("Plan", "Clarification", "Refusal")
        if case["attack"] == "withdraw":
            assert case["allowed"] == []


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("case", CORPUS, ids=[c["id"] for c in CORPUS])
def test_an_obedient_model_never_yields_a_forbidden_plan(
    rules: DeterministicParser, mode: Mode, case: dict[str, Any], request: pytest.FixtureRequest
) -> None:
    seen: list[str] = []
    model = obedient(case["obey"], seen) if mode != "rules" else None
    parser = RequestParser(rules, mode, SETTINGS if model else None, model=model)
    try:
        report = parser.parse(case["text"])
    finally:
        parser.close()
    assert forbidden_effects(report.result, case["allowed"]) == []
    if case["attack"] == "withdraw":
        assert isinstance(report.result, Refusal)
        assert seen == []  # refused on the text; never sent
    if report.fallback:
        assert report.notices


# ---------------------------------------------------------------------- property

_TEXTS = [c["text"] for c in CORPUS] + [
    "buy 0.1 BTC",
    "I want 0.1 BTC",
    "sell 1 ETH and buy SOL for 100 USDT",
    "我想要0.1个比特币",
    "ich möchte 0,1 BTC",
]
_ASSETS = st.sampled_from(["BTC", "ETH", "SOL", "USDT", "XYZ", "btc", "", "BTC/USDT"])
_NUMBERS = st.one_of(
    st.decimals(allow_nan=False, allow_infinity=False, places=8).map(str),
    st.sampled_from(["0.1", "100", "-1", "1e30", "0", "NaN", "50%", "all"]),
)
_AMOUNT = st.fixed_dictionaries(
    {"unit": st.sampled_from(["base", "quote", "percent", "leverage"]), "value": _NUMBERS}
)
_ORDER = st.fixed_dictionaries(
    {
        "action": st.just("order"),
        "side": st.sampled_from(["buy", "sell", "short"]),
        "base": _ASSETS,
        "amount": _AMOUNT,
    },
    optional={
        "quote": _ASSETS,
        "order_type": st.sampled_from(["market", "limit", "stop"]),
        "limit_price": _NUMBERS,
        "approved": st.booleans(),
        "skip_confirmation": st.booleans(),
        "leverage": st.integers(1, 100),
    },
)
_OTHER = st.one_of(
    st.fixed_dictionaries(
        {"action": st.sampled_from(["withdraw", "transfer", "approve", "set_limit"])},
        optional={"asset": _ASSETS, "address": st.text(max_size=20), "value": _NUMBERS},
    ),
    st.fixed_dictionaries(
        {"action": st.just("convert"), "from": _ASSETS, "to": _ASSETS, "amount": _AMOUNT}
    ),
    st.fixed_dictionaries(
        {"action": st.just("rebalance"), "targets": st.dictionaries(_ASSETS, _NUMBERS, max_size=3)}
    ),
    st.fixed_dictionaries(
        {"action": st.just("query"), "what": st.sampled_from(["balance", "keys", "price"])}
    ),
    st.fixed_dictionaries({"action": st.just("cancel")}, optional={"base": _ASSETS}),
)
_REPLY = st.fixed_dictionaries(
    {"steps": st.lists(st.one_of(_ORDER, _OTHER), min_size=0, max_size=4)},
    optional={"approved": st.booleans(), "policy": st.just({"max_order_value": "1e9"})},
)

_RULES = load_parser()


@settings(max_examples=60)
@given(
    text=st.sampled_from(_TEXTS),
    reply=_REPLY,
    mode=st.sampled_from(["llm", "hybrid", "cross-check"]),
)
def test_whatever_a_model_returns_a_plan_holds_only_spot_steps_on_assets_the_text_names(
    text: str, reply: dict[str, Any], mode: Mode
) -> None:
    seen: list[str] = []
    parser = RequestParser(
        _RULES, mode, SETTINGS, model=obedient({"kind": "Plan", "args": reply}, seen)
    )
    try:
        report = parser.parse(text)  # never raises
    finally:
        parser.close()
    result = report.result
    assert result.status in ("plan", "clarify", "unsupported")
    # whoever parsed it (the model, or the rules after the model's plan was refused),
    # a plan names only what the text names
    steps = result.steps if isinstance(result, Plan) else ()
    mentioned = mentioned_assets(text, _RULES.registry) | {_RULES.registry.default_quote}
    assert parse_result_from_data(result.model_dump(mode="json", by_alias=True)) == result
    for step in steps:
        assert isinstance(step, OrderStep | CancelStep | RebalanceStep | ConvertStep | QueryStep)
        names = {getattr(step, key, None) for key in ("base", "quote", "from_", "to")}
        names |= set(getattr(step, "targets", {}))
        assert {n for n in names if n} <= mentioned
        amount = getattr(step, "amount", None)
        if amount is not None:
            assert Decimal(0) < amount.value < Decimal("1e12")


_PLAIN = _TEXTS[-5:]


@settings(max_examples=60)
@given(
    text=st.sampled_from(_PLAIN),
    base=st.sampled_from(["BTC", "ETH", "SOL", "DOGE"]),
    side=st.sampled_from(["buy", "sell"]),
    mode=st.sampled_from(["llm", "hybrid", "cross-check"]),
)
def test_a_well_formed_model_plan_is_taken_only_when_it_names_what_the_text_names(
    text: str, base: str, side: str, mode: Mode
) -> None:
    """The wide property above mostly draws replies the models refuse; here every reply
    is a valid one-order plan, on an asset the text may or may not name."""
    reply = {
        "steps": [
            {
                "action": "order",
                "side": side,
                "base": base,
                "amount": {"unit": "base", "value": "0.1"},
            }
        ]
    }
    parser = RequestParser(
        _RULES, mode, SETTINGS, model=obedient({"kind": "Plan", "args": reply}, [])
    )
    try:
        report = parser.parse(text)
    finally:
        parser.close()
    mentioned = mentioned_assets(text, _RULES.registry) | {_RULES.registry.default_quote}
    steps = report.result.steps if isinstance(report.result, Plan) else ()
    for step in steps:
        names = {getattr(step, key, None) for key in ("base", "quote", "from_", "to")}
        assert {n for n in names if n} <= mentioned
    if base not in mentioned:
        assert report.parser != "llm"
