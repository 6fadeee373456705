"""Regression guard on the shared development corpus (a copy lives in tests/data).

The contract's projection (SPEC.md) is applied to our output, as score.py does. The
held-out corpus is what counts; this only keeps the known ground from slipping.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from intent.deterministic import DeterministicParser
from signoff.jsonout import dumps
from tests.intent.conftest import CORPUS, close

ORDER_KEYS = ("side", "base", "quote", "amount", "order_type", "limit_price", "trigger", "schedule")
STEP_KEYS = {
    "order": ORDER_KEYS,
    "cancel": ("base", "side"),
    "rebalance": ("targets",),
    "convert": ("from", "to", "amount"),
    "query": ("what", "base"),
}


def project(answer: dict[str, Any]) -> dict[str, Any]:
    if answer["status"] != "plan":
        return {"status": answer["status"]}
    steps = []
    for step in answer["steps"]:
        out = {"action": step["action"], **{k: step.get(k) for k in STEP_KEYS[step["action"]]}}
        if step["action"] == "rebalance":
            out["targets"] = {k: v for k, v in out["targets"].items() if k != "USDT"}
        if step["action"] == "order" and out["trigger"]:
            out["trigger"] = {"base": out["base"], **out["trigger"]}
        steps.append(out)
    return {"status": "plan", "steps": steps}


def test_dev_corpus_accuracy_and_no_wrong_plans(parser: DeterministicParser) -> None:
    cases = [json.loads(line) for line in CORPUS.read_text("utf-8").splitlines() if line]
    wrong_plans: list[str] = []
    misses: list[str] = []
    for case in cases:
        # through the CLI's JSON, as the scorer reads it
        got = project(json.loads(dumps(parser.parse(case["text"])), parse_float=Decimal))
        accepted = [project(a) for a in case.get("expect_any") or [case["expect"]]]
        if any(close(got, a) for a in accepted):
            continue
        (wrong_plans if got["status"] == "plan" else misses).append(case["text"])
    assert wrong_plans == []
    assert 1 - len(misses) / len(cases) >= 0.97, misses
