"""The ledger records which parser and model produced each plan, token usage and latency."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic_ai.models.test import TestModel

from intent.deterministic import DeterministicParser
from intent.plan import Plan
from ledger.service import Ledger
from signoff.llm import LLMSettings, RequestParser
from signoff.session import Session
from tests.llm.conftest import buy_btc


def test_record_parse_keeps_how_a_result_was_produced(
    tmp_path: Path, rules: DeterministicParser
) -> None:
    parser = RequestParser(
        rules, "llm", LLMSettings(model="scripted"), model=TestModel(custom_output_args=buy_btc())
    )
    report = parser.parse("I want 0.1 BTC")
    parser.close()
    with Ledger.open(f"sqlite:///{tmp_path / 'ledger.sqlite3'}") as ledger:
        request = ledger.record_request(
            text="I want 0.1 BTC", actor="alice", parser=parser.name, model=parser.model_label
        )
        plan = ledger.record_parse(
            request_id=request.id, result=report.result, actor="alice", parser=report.metadata()
        )
        plain = ledger.record_parse(request_id=request.id, result=report.result, actor="alice")
        story = ledger.plan_story(plan.id)
        assert story is not None
        assert story.request is not None
        assert (story.request.parser, story.request.model) == ("llm", "scripted")
        assert story.plan.parser_json is not None
        how = json.loads(story.plan.parser_json)
        assert how["parser"] == "llm"
        assert how["mode"] == "llm"
        assert how["model"] == "scripted"
        assert how["usage"]["requests"] == 1
        assert how["usage"]["input_tokens"] > 0
        assert isinstance(how["latency_ms"], int)
        other = ledger.plan_story(plain.id)
        assert other is not None
        assert other.plan.parser_json is None
        assert ledger.verify().ok


@pytest.fixture
def session(signoff_home: Path) -> Iterator[Session]:
    started = Session.start(exchange="local", actor="alice")
    try:
        yield started
    finally:
        try:
            started.executor.shutdown()
        finally:
            started.close()


@pytest.mark.slow
def test_a_session_records_the_llm_plan_and_a_fallback(
    session: Session, rules: DeterministicParser
) -> None:
    good = RequestParser(
        rules,
        "llm",
        LLMSettings(model="scripted"),
        model=TestModel(custom_output_args=buy_btc("0.01")),
    )
    proposal = session.propose("I want 0.01 BTC", parser=good)
    assert isinstance(proposal.result, Plan)
    assert proposal.gated is not None  # resolved and decided like any plan
    assert proposal.notices == ()
    story = session.ledger.plan_story(proposal.plan_id)
    assert story is not None
    assert story.request is not None
    assert (story.request.parser, story.request.model) == ("llm", "scripted")
    assert story.plan.parser_json is not None
    assert json.loads(story.plan.parser_json)["parser"] == "llm"

    # a model whose plans never validate: the rules' answer, with the notice, is recorded
    bad = RequestParser(
        rules,
        "llm",
        LLMSettings(model="scripted"),
        model=TestModel(custom_output_args=buy_btc("-1")),
    )
    fallback = session.propose("buy 0.01 BTC", parser=bad)
    assert isinstance(fallback.result, Plan)
    assert fallback.notices
    story = session.ledger.plan_story(fallback.plan_id)
    assert story is not None
    assert story.plan.parser_json is not None
    how = json.loads(story.plan.parser_json)
    assert how["parser"] == "deterministic"
    assert how["fallback"] is True
    assert how["notices"] == list(fallback.notices)
    assert how["usage"]["requests"] == 3  # the answer and two retries
    good.close()
    bad.close()
    assert session.ledger.verify().ok
