"""The real OpenAI-compatible provider code path against a mocked HTTP endpoint.

pydantic-ai 2.x sends its HTTP through ``httpx2``; the provider is given an
``httpx2.AsyncClient`` whose transport is a :class:`httpx2.MockTransport`, so every byte
goes through the OpenAI client and pydantic-ai's Chat Completions model, and nothing
leaves the process.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

import httpx2
import pytest
from pydantic_ai import models

from intent.deterministic import DeterministicParser
from intent.plan import OrderStep, Plan
from signoff.llm import LLMSettings, ParseReport, RequestParser, build_model
from tests.llm.conftest import buy_btc

BASE_URL = "http://llm.internal.example:8000/v1"
KEY = "sk-test-9f8e7d6c5b4a39281706"


def completion(arguments: str, name: str = "final_result_Plan") -> dict[str, Any]:
    """A Chat Completions reply whose one tool call carries ``arguments`` (a JSON string)."""
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "created": 1_764_633_600,
        "model": "qwen3-8b",
        "choices": [
            {
                "index": 0,
                "finish_reason": "tool_calls",
                "message": {
                    "role": "assistant",
                    "content": None,
                    "tool_calls": [
                        {
                            "id": "call_1",
                            "type": "function",
                            "function": {"name": name, "arguments": arguments},
                        }
                    ],
                },
            }
        ],
        "usage": {"prompt_tokens": 812, "completion_tokens": 41, "total_tokens": 853},
    }


Handler = Callable[[httpx2.Request], httpx2.Response]


class Endpoint:
    """A mocked OpenAI-compatible server: records requests, answers with ``handler``."""

    def __init__(self, handler: Handler) -> None:
        self.handler = handler
        self.requests: list[httpx2.Request] = []

    def __call__(self, request: httpx2.Request) -> httpx2.Response:
        self.requests.append(request)
        return self.handler(request)

    def bodies(self) -> list[dict[str, Any]]:
        return [json.loads(r.content) for r in self.requests]


@pytest.fixture
def serve(
    rules: DeterministicParser, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Callable[[Handler], tuple[Endpoint, RequestParser]]]:
    monkeypatch.setenv("SIGNOFF_LLM_API_KEY", KEY)
    made: list[RequestParser] = []

    def start(handler: Handler) -> tuple[Endpoint, RequestParser]:
        endpoint = Endpoint(handler)
        client = httpx2.AsyncClient(transport=httpx2.MockTransport(endpoint))
        settings = LLMSettings(
            model="qwen3-8b", base_url=BASE_URL, retries=1, http_retries=0, timeout=5
        )
        parser = RequestParser(
            rules, "llm", settings, model=build_model(settings, http_client=client)
        )
        made.append(parser)
        return endpoint, parser

    yield start
    for parser in made:
        parser.close()


def run(parser: RequestParser, text: str) -> ParseReport:
    with models.override_allow_model_requests(True):
        return parser.parse(text)


def ok(arguments: str, name: str = "final_result_Plan") -> Handler:
    return lambda request: httpx2.Response(200, json=completion(arguments, name))


def test_a_tool_call_reply_becomes_a_typed_plan(
    serve: Callable[[Handler], tuple[Endpoint, RequestParser]],
) -> None:
    endpoint, parser = serve(ok(json.dumps(buy_btc("0.1"))))
    report = run(parser, "I want 0.1 BTC")
    assert isinstance(report.result, Plan)
    (step,) = report.result.steps
    assert isinstance(step, OrderStep)
    assert (step.side, step.base, step.amount.unit, step.amount.value) == (
        "buy",
        "BTC",
        "base",
        Decimal("0.1"),
    )
    assert report.parser == "llm"
    assert report.model == f"qwen3-8b @ {BASE_URL}"
    assert report.usage == {"requests": 1, "input_tokens": 812, "output_tokens": 41}
    assert report.notices == ()
    # what went over the wire
    (request,) = endpoint.requests
    assert str(request.url) == f"{BASE_URL}/chat/completions"
    assert request.headers["authorization"] == f"Bearer {KEY}"
    body = endpoint.bodies()[0]
    assert body["model"] == "qwen3-8b"
    assert body["tool_choice"] == "required"
    assert {t["function"]["name"] for t in body["tools"]} == {
        "final_result_Plan",
        "final_result_Clarification",
        "final_result_Refusal",
    }
    assert body["messages"][-1] == {"role": "user", "content": "I want 0.1 BTC"}
    assert KEY not in request.content.decode()


def test_a_question_reply_becomes_a_clarification(
    serve: Callable[[Handler], tuple[Endpoint, RequestParser]],
) -> None:
    args = json.dumps({"question": "Buy or sell BTC?", "missing": ["side"]})
    _, parser = serve(ok(args, "final_result_Clarification"))
    report = run(parser, "I want 0.1 BTC")
    assert report.result.status == "clarify"
    assert report.parser == "llm"


def _assert_fell_back(report: ParseReport, why: str) -> None:
    assert report.fallback
    assert report.parser == "deterministic"
    # the rules' own answer, whole: a question here, never part of a plan
    assert report.result.status == "clarify"
    (notice,) = report.notices
    assert notice.startswith("the LLM parser failed")
    assert why in notice
    assert "rules parser's answer is shown" in notice


def test_malformed_json_arguments_end_in_the_fallback(
    serve: Callable[[Handler], tuple[Endpoint, RequestParser]],
) -> None:
    endpoint, parser = serve(ok('{"steps": [{"action": "order", "side": "buy", '))
    report = run(parser, "I want 0.1 BTC")
    _assert_fell_back(report, "unusable after retries")
    assert len(endpoint.requests) == 2  # the answer and one retry
    assert report.usage["requests"] == 2


def test_an_invalid_plan_ends_in_the_fallback(
    serve: Callable[[Handler], tuple[Endpoint, RequestParser]],
) -> None:
    invalid = {
        "steps": [
            {
                "action": "order",
                "side": "hold",
                "base": "BTC",
                "amount": {"unit": "base", "value": -1},
            }
        ]
    }
    endpoint, parser = serve(ok(json.dumps(invalid)))
    report = run(parser, "I want 0.1 BTC")
    _assert_fell_back(report, "unusable after retries")
    # the model was told what was wrong before it was given up on
    retry = endpoint.bodies()[1]["messages"][-1]
    assert retry["role"] == "tool"
    assert "side" in retry["content"]


def test_a_plan_with_extra_fields_ends_in_the_fallback(
    serve: Callable[[Handler], tuple[Endpoint, RequestParser]],
) -> None:
    smuggled = {**buy_btc(), "approved": True, "skip_confirmation": True}
    _, parser = serve(ok(json.dumps(smuggled)))
    _assert_fell_back(run(parser, "I want 0.1 BTC"), "unusable after retries")


@pytest.mark.parametrize(
    ("status", "why"),
    [
        (429, "rate-limiting requests (HTTP 429)"),
        (500, "the provider failed (HTTP 500)"),
        (503, "HTTP 503"),
    ],
)
def test_http_errors_end_in_the_fallback(
    serve: Callable[[Handler], tuple[Endpoint, RequestParser]], status: int, why: str
) -> None:
    body = {"error": {"message": "try later", "type": "server_error", "code": None}}
    endpoint, parser = serve(lambda request: httpx2.Response(status, json=body))
    report = run(parser, "I want 0.1 BTC")
    _assert_fell_back(report, why)
    assert len(endpoint.requests) == 1  # http_retries=0: no second attempt


def test_a_reply_that_is_not_json_ends_in_the_fallback(
    serve: Callable[[Handler], tuple[Endpoint, RequestParser]],
) -> None:
    _, parser = serve(lambda request: httpx2.Response(200, text="<html>502 Bad Gateway</html>"))
    report = run(parser, "I want 0.1 BTC")
    assert report.fallback
    assert report.result.status == "clarify"


def test_a_connection_error_ends_in_the_fallback(
    serve: Callable[[Handler], tuple[Endpoint, RequestParser]],
) -> None:
    def refuse(request: httpx2.Request) -> httpx2.Response:
        raise httpx2.ConnectError("connection refused", request=request)

    _, parser = serve(refuse)
    report = run(parser, "I want 0.1 BTC")
    assert report.fallback
    assert report.result.status == "clarify"


def test_the_key_never_appears_in_a_notice(
    serve: Callable[[Handler], tuple[Endpoint, RequestParser]],
) -> None:
    echo = {"error": {"message": f"invalid api key {KEY}", "type": "auth", "code": None}}
    _, parser = serve(lambda request: httpx2.Response(401, json=echo))
    report = run(parser, "I want 0.1 BTC")
    assert report.fallback
    assert KEY not in report.notices[0]
    assert "HTTP 401" in report.notices[0]


def test_requests_are_refused_while_model_requests_are_off(
    serve: Callable[[Handler], tuple[Endpoint, RequestParser]],
) -> None:
    endpoint, parser = serve(ok(json.dumps(buy_btc())))
    report = parser.parse("I want 0.1 BTC")  # ALLOW_MODEL_REQUESTS is False here
    assert report.fallback
    assert "not allowed" in report.notices[0]
    assert endpoint.requests == []


def test_parsers_one_after_another_share_the_providers_http_client(
    rules: DeterministicParser,
) -> None:
    """Built without a client of its own (pydantic-ai's), one parser after another, each
    called twice, all get the model's answer (over keep-alive connections)."""
    from tests.llm.fake_openai import serving

    def plan(text: str) -> tuple[str, dict[str, Any]]:
        return ("Plan", buy_btc())

    with serving(plan) as (url, received):
        for _ in range(2):
            settings = LLMSettings(model="local", base_url=url, retries=0, http_retries=0)
            parser = RequestParser(rules, "llm", settings)
            try:
                for _ in range(2):
                    report = run(parser, "I want 0.1 BTC")
                    assert report.parser == "llm", report.notices
            finally:
                parser.close()
    assert len(received) == 4
