"""Helpers for parser tests: the shipped parser and a comparable view of its results."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from intent.assets import AssetRegistry
from intent.deterministic import DeterministicParser
from tests.conftest import REPO

CORPUS = REPO / "tests" / "data" / "intent-dev.jsonl"


def corpus_texts() -> set[str]:
    return {json.loads(line)["text"] for line in CORPUS.read_text("utf-8").splitlines() if line}


@pytest.fixture(scope="session")
def parser() -> DeterministicParser:
    text = (REPO / "configs" / "assets.txt").read_text("utf-8")
    return DeterministicParser(AssetRegistry.from_texts(("configs/assets.txt", text)))


def close(a: Any, b: Any) -> bool:
    """Equal, with numbers compared to a relative 1e-9 (thirds are 33.333...)."""
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(close(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(close(x, y) for x, y in zip(a, b, strict=True))
    numeric = (Decimal, int, float)
    if (isinstance(a, numeric) and isinstance(b, str)) or (
        isinstance(a, str) and isinstance(b, numeric)
    ):
        try:
            a, b = Decimal(str(a)), Decimal(str(b))
        except ArithmeticError:
            return False
    if isinstance(a, Decimal | int | float) and isinstance(b, Decimal | int | float):
        x, y = Decimal(str(a)), Decimal(str(b))
        return abs(x - y) <= Decimal("1e-9") * max(abs(x), abs(y), Decimal(1))
    return bool(a == b)


def steps_of(result: dict[str, Any]) -> list[dict[str, Any]]:
    assert result["status"] == "plan", result
    return [{k: v for k, v in step.items() if k != "summary"} for step in result["steps"]]


def order(
    side: str,
    base: str,
    unit: str,
    value: Any,
    *,
    quote: str = "USDT",
    limit: Any = None,
    below: Any = None,
    above: Any = None,
    on: str | None = None,
    every: str | None = None,
    count: int | None = None,
) -> dict[str, Any]:
    trigger = None
    if below is not None:
        trigger = {"base": on or base, "below": below}
    if above is not None:
        trigger = {"base": on or base, "above": above}
    return {
        "action": "order",
        "side": side,
        "base": base,
        "quote": quote,
        "amount": {"unit": unit, "value": value},
        "order_type": "limit" if limit is not None else "market",
        "limit_price": limit,
        "trigger": trigger,
        "schedule": None if every is None else {"every": every, "count": count},
    }


def check_plan(parser: DeterministicParser, text: str, *expected: dict[str, Any]) -> None:
    result = parser.parse(text)
    got = steps_of(result)
    assert close(got, list(expected)), f"{text!r}\n got:  {got}\n want: {list(expected)}"


def path_of(name: str) -> Path:
    return REPO / name
