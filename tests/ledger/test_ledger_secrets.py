"""Credentials never reach the ledger's files, the logs, the output or error messages."""

from __future__ import annotations

import io
import logging
from decimal import Decimal
from pathlib import Path

import pytest

from foundation import secrets
from foundation.clock import FakeClock
from foundation.errors import LedgerError
from intent.plan import parse_result_from_data
from ledger.service import Ledger
from signoff.cli import main
from signoff.intents import load_parser
from tests.ledger.ledger_story import record_story, snapshot

API_KEY = "bnk-LIVEKEY-7f3a9c2e11d04b5a"
API_SECRET = "sec-9d8c7b6a5f4e3d2c1b0a99887766"
LLM_KEY = "sk-test-abcdef1234567890"
FILE_KEY = "okx-passphrase-from-file-42"
SECRETS = (API_KEY, API_SECRET, LLM_KEY, FILE_KEY)


@pytest.fixture
def known_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BINANCE_API_KEY", API_KEY)
    monkeypatch.setenv("BINANCE_API_SECRET", API_SECRET)
    monkeypatch.setenv("OPENAI_API_KEY", LLM_KEY)
    # a credential loaded from a key file is registered by whoever loads it
    secrets.register_secret(FILE_KEY, "okx passphrase (keys file)")


def test_secret_names_are_recognised() -> None:
    for name in (
        "BINANCE_API_KEY",
        "BYBIT_SECRET",
        "OPENAI_API_KEY",
        "GITHUB_TOKEN",
        "OKX_PASSPHRASE",
        "DB_PASSWORD",
        "api_secret",
        "PRIVATE_KEY",
    ):
        assert secrets.looks_secret(name), name
    for name in ("SIGNOFF_HOME", "KEYRING_BACKEND", "MONKEY", "PATH", "SIGNOFF_DB_URL"):
        assert not secrets.looks_secret(name), name


def test_the_registry_redacts_whole_values_longest_first() -> None:
    registry = secrets.SecretRegistry()
    registry.register("abc", "too short to be a secret")
    registry.register("token-123456", "short")
    registry.register("token-123456-extended", "long")
    assert registry.redact("abc token-123456-extended and token-123456") == (
        "abc [REDACTED] and [REDACTED]"
    )
    assert registry.find("x token-123456 y") == "short"
    assert registry.find("nothing here") is None
    assert registry.load_environment({"X_API_KEY": "k" * 10, "HOME": "/root"}) == 1


def test_logs_are_redacted(known_secrets: None) -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    logger = logging.getLogger("signoff.test.secrets")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        secrets.install_log_redaction(logger)
        logger.warning("connecting with key %s", API_KEY)
        logger.warning(f"secret inline {API_SECRET}")
        try:
            raise RuntimeError(f"exchange said: bad signature for {LLM_KEY}")
        except RuntimeError:
            logger.exception("failed")
    finally:
        logger.removeHandler(handler)
    text = stream.getvalue()
    assert "connecting with key [REDACTED]" in text
    assert "bad signature for [REDACTED]" in text
    for value in SECRETS:
        assert value not in text


def _scan(paths: list[Path]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for path in paths:
        if path.exists():
            data = path.read_bytes()
            hits = [s for s in SECRETS if s.encode() in data]
            if hits:
                found[path.name] = hits
    return found


def test_a_full_request_leaves_no_secret_in_the_database_files(
    known_secrets: None,
    tmp_path: Path,
    clock: FakeClock,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Secrets set in the environment and a key file, pasted into a request, echoed back by an
    exchange: none of them is anywhere in the ledger's files (WAL included) or the output."""
    db = tmp_path / "ledger.sqlite3"
    url = f"sqlite:///{db}"
    files = [db, Path(f"{db}-wal"), Path(f"{db}-shm")]
    with Ledger.open(url, clock=clock) as ledger:
        session = ledger.record_session_start(
            actor="alice",
            venue="binance-testnet",
            feed="simulated",
            snapshot=snapshot(clock),
            settings={"api_key": API_KEY, "note": f"token {LLM_KEY}"},
        )
        story = record_story(
            ledger, clock, text=f"buy 0.1 BTC, my key is {API_KEY} and secret {API_SECRET}"
        )
        # the real deterministic parser on texts that carry secrets; whatever it answers
        # (a plan, a question quoting the text, a refusal) goes through the ledger
        parser = load_parser(None)
        for typed in (
            f"buy 0.2 ETH with api key {API_KEY}",
            f"use secret {API_SECRET} to sell 1 SOL",
            f"{LLM_KEY}",
            f"withdraw everything with passphrase {FILE_KEY}",
        ):
            request = ledger.record_request(text=typed, actor="alice", parser=parser.name)
            result = parse_result_from_data(parser.parse(typed))
            ledger.record_parse(request_id=request.id, result=result, actor="alice")
        ledger.record_order_status(
            client_order_id=story.client_order_id,
            status="unknown",
            detail=f"exchange error: invalid signature for apiKey={API_KEY} passphrase={FILE_KEY}",
            actor="executor",
        )
        ledger.record_session_end(session_id=session.id, actor="alice", report={"key": LLM_KEY})
        assert ledger.verify().ok
        # while open, the newest pages live in the WAL file
        assert _scan(files) == {}
        told = ledger.plan_story(story.plan_id)
        assert told is not None
        assert told.request is not None
        assert "[REDACTED]" in told.request.text
    assert _scan(files) == {}

    for args in (
        ["audit", "--db", url, "show", story.plan_id],
        ["audit", "--db", url, "log", "--limit", "50"],
        ["audit", "--db", url, "export", "--since", "2000-01-01"],
        ["audit", "--db", url, "export", "--since", "2000-01-01", "--format", "csv"],
        ["audit", "--db", url, "verify"],
        ["audit", "--db", url, "show", API_KEY],
    ):
        main(args)
    out = capsys.readouterr()
    for value in SECRETS:
        assert value not in out.out
        assert value not in out.err
    assert "[REDACTED]" in out.out


def test_a_database_password_never_shows(monkeypatch: pytest.MonkeyPatch) -> None:
    password = "pg-Sup3rS3cret-pw"
    monkeypatch.setenv("SIGNOFF_DB_URL", f"postgresql+psycopg://signoff:{password}@127.0.0.1:1/x")
    with pytest.raises(LedgerError) as caught:
        Ledger.open()
    message = str(caught.value)
    assert password not in message
    assert "127.0.0.1:1" in message
    assert secrets.redact(f"dsn with {password}") == "dsn with [REDACTED]"


def test_money_in_a_redacted_payload_stays_exact(known_secrets: None, tmp_path: Path) -> None:
    with Ledger.open(f"sqlite:///{tmp_path / 'l.sqlite3'}") as ledger:
        start = ledger.record_session_start(
            actor="a",
            venue="paper",
            feed="replay",
            snapshot=snapshot(FakeClock()),
            settings={"fee": Decimal("0.00075"), "api_key": API_KEY},
        )
        export = list(ledger.export(start.audit.recorded_at))
    settings = export[0]["rows"][0]["row"]["settings_json"]
    assert settings == '{"api_key":"[REDACTED]","fee":"0.00075"}'
