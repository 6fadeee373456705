"""``signoff parse --parser ... --model ... --base-url ...``: the real command, a stand-in server.

The command runs as its own process, as the intent scorer runs it; the "model" is a
stand-in OpenAI-compatible server on 127.0.0.1 that answers with fixed tool calls.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from decimal import Decimal
from typing import Any

import pytest

from tests.conftest import REPO
from tests.llm.conftest import buy_btc
from tests.llm.fake_openai import serving

SIGNOFF = [sys.executable, "-m", "signoff"]
pytestmark = pytest.mark.slow  # a process per command


def signoff(
    *args: str, stdin: str = "", env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*SIGNOFF, *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=str(REPO),
        env={**os.environ, **(env or {})},
    )


def answer(text: str) -> tuple[str, dict[str, Any]] | int:
    if "ETH" in text:
        return 500
    if "0.1 BTC" in text:
        return ("Plan", buy_btc("0.1"))
    return ("Clarification", {"question": "Which asset?", "missing": ["asset"]})


def test_parse_jsonl_with_a_model_one_line_per_request_and_fallbacks_marked() -> None:
    with serving(answer) as (url, received):
        done = signoff(
            "parse",
            "--parser",
            "llm",
            "--model",
            "local-8b",
            "--base-url",
            url,
            "--jsonl",
            stdin="I want 0.1 BTC\nbuy 2 ETH\nwithdraw 1 BTC to my cold wallet\n\n",
            env={"SIGNOFF_LLM_RETRIES": "0"},
        )
    assert done.returncode == 0, done.stderr
    lines = [json.loads(line, parse_float=Decimal) for line in done.stdout.splitlines()]
    assert len(lines) == 4
    first, second, third, fourth = lines
    assert first["status"] == "plan"
    assert first["steps"][0]["base"] == "BTC"
    assert first["steps"][0]["amount"] == {"unit": "base", "value": Decimal("0.1")}
    assert first["parser"]["parser"] == "llm"
    assert first["parser"]["model"] == f"local-8b @ {url}"
    assert first["parser"]["usage"] == {"requests": 1, "input_tokens": 700, "output_tokens": 30}
    # the 500: the rules' whole answer, and the notice
    assert second["status"] == "plan"
    assert second["steps"][0]["base"] == "ETH"
    assert second["parser"]["fallback"] is True
    assert "HTTP 500" in second["parser"]["notices"][0]
    # the safety screen: refused and never sent
    assert third["status"] == "unsupported"
    assert third["parser"]["parser"] == "screen"
    assert fourth["status"] == "clarify"
    sent = [m["content"] for body in received for m in body["messages"] if m["role"] == "user"]
    assert not any("withdraw" in text for text in sent)


def test_parse_cross_check_shows_both_readings_and_asks() -> None:
    def other(text: str) -> tuple[str, dict[str, Any]]:
        return ("Plan", buy_btc("1"))

    with serving(other) as (url, _):
        done = signoff(
            "parse",
            "--parser",
            "cross-check",
            "--model",
            "m",
            "--base-url",
            url,
            "--json",
            "buy 0.1 BTC",
        )
    assert done.returncode == 1, done.stderr
    out = json.loads(done.stdout, parse_float=Decimal)
    assert out["status"] == "clarify"
    assert "buy 0.1 BTC" in out["question"]
    assert "buy 1 BTC" in out["question"]
    assert out["parser"]["alternatives"]["llm"]["steps"][0]["amount"]["value"] == "1"


def test_parse_human_output_names_the_parser_and_prints_notices() -> None:
    with serving(lambda text: 429) as (url, _):
        done = signoff(
            "parse", "--parser", "hybrid", "--model", "m", "--base-url", url, "I want 0.1 BTC"
        )
    assert done.returncode == 1  # the rules' question
    assert "notice: the LLM parser failed" in done.stderr
    assert "HTTP 429" in done.stderr
    assert "parsed by: deterministic" in done.stderr
    assert "Traceback" not in done.stderr


def test_parse_llm_without_a_model_is_a_usage_error() -> None:
    done = signoff("parse", "--parser", "llm", "buy 0.1 BTC")
    assert done.returncode == 2
    assert "error: the LLM parser needs a model" in done.stderr
    assert "SIGNOFF_LLM_MODEL" in done.stderr
    done = signoff(
        "parse", "--parser", "llm", "--model", "m", "--base-url", "ftp://x", "buy 0.1 BTC"
    )
    assert done.returncode == 2
    assert "not an http(s) URL" in done.stderr


def test_the_model_can_come_from_the_environment() -> None:
    with serving(answer) as (url, received):
        done = signoff(
            "parse",
            "--parser",
            "llm",
            "--json",
            "I want 0.1 BTC",
            env={
                "SIGNOFF_LLM_MODEL": "env-model",
                "SIGNOFF_LLM_BASE_URL": url,
                "SIGNOFF_LLM_API_KEY": "sk-local-abcdefgh12345678",
            },
        )
    assert done.returncode == 0, done.stderr
    assert received[0]["model"] == "env-model"
    assert json.loads(done.stdout)["parser"]["model"] == f"env-model @ {url}"
