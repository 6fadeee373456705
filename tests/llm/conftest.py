"""LLM parser tests: offline. No test reaches a real model.

``ALLOW_MODEL_REQUESTS`` is off for the whole package; the tests that go through the
real OpenAI-compatible provider code against a mocked HTTP endpoint turn it on with
``models.override_allow_model_requests(True)`` around exactly those calls.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from pydantic_ai import models
from pydantic_ai.messages import (
    ModelMessage,
    ModelRequest,
    ModelResponse,
    ToolCallPart,
    UserPromptPart,
)
from pydantic_ai.models.function import AgentInfo, FunctionModel

from intent.deterministic import DeterministicParser
from signoff.intents import load_parser

models.ALLOW_MODEL_REQUESTS = False


@pytest.fixture(autouse=True)
def _no_model_requests() -> Iterator[None]:
    assert models.ALLOW_MODEL_REQUESTS is False
    yield
    assert models.ALLOW_MODEL_REQUESTS is False


@pytest.fixture
def rules() -> DeterministicParser:
    return load_parser()


def buy_btc(value: str = "0.1") -> dict[str, Any]:
    return {
        "steps": [
            {
                "action": "order",
                "side": "buy",
                "base": "BTC",
                "amount": {"unit": "base", "value": value},
            }
        ]
    }


def user_text(messages: list[ModelMessage]) -> str:
    """The request as the model received it (the first user prompt)."""
    for message in messages:
        if isinstance(message, ModelRequest):
            for part in message.parts:
                if isinstance(part, UserPromptPart) and isinstance(part.content, str):
                    return part.content
    raise AssertionError("no user prompt")


Reply = tuple[str, dict[str, Any]]
"""An output tool's kind (``Plan``, ``Clarification``, ``Refusal``) and its arguments."""


def replying(
    answer: Callable[[str], Reply] | Reply, seen: list[str] | None = None
) -> FunctionModel:
    """A FunctionModel that answers every request with ``answer`` (or ``answer(text)``)."""

    def respond(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        text = user_text(messages)
        if seen is not None:
            seen.append(text)
        kind, args = answer(text) if callable(answer) else answer
        names = {tool.name for tool in info.output_tools}
        name = f"final_result_{kind}"
        assert name in names, names
        return ModelResponse(parts=[ToolCallPart(name, json.loads(json.dumps(args)))])

    return FunctionModel(respond, model_name="scripted")
