"""Where the ledger lives, its connection settings, and its schema version."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from foundation.errors import LedgerError, SchemaVersionError
from ledger import store
from ledger.service import Ledger
from ledger.tables import SCHEMA_VERSION


def test_the_default_is_a_sqlite_file_in_signoff_home(_isolated_env: Path) -> None:  # noqa: PT019
    url = store.ledger_url()
    assert url.get_backend_name() == "sqlite"
    assert url.database == str(_isolated_env / "ledger.sqlite3")


def test_postgres_comes_from_signoff_db_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(
        "SIGNOFF_DB_URL", "postgresql+psycopg://trader:pw-123456@db.internal:5433/ledger"
    )
    url = store.ledger_url()
    assert url.drivername == "postgresql+psycopg"
    assert store.describe_url(url) == "postgresql+psycopg://trader:***@db.internal:5433/ledger"
    assert store.ledger_url("postgresql://t@h/d").drivername == "postgresql+psycopg"


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("mysql://u@h/d", "unsupported ledger database 'mysql'"),
        ("postgresql+psycopg2://u@h/d", "unsupported ledger database 'postgresql\\+psycopg2'"),
        ("sqlite://", "in-memory SQLite ledger would be lost"),
        ("not a url at all", "SIGNOFF_DB_URL is not a database URL"),
    ],
)
def test_unsupported_urls_are_refused(
    monkeypatch: pytest.MonkeyPatch, value: str, message: str
) -> None:
    monkeypatch.setenv("SIGNOFF_DB_URL", value)
    with pytest.raises(LedgerError, match=message) as caught:
        store.ledger_url()
    assert caught.value.hint is not None
    assert "postgresql+psycopg://" in caught.value.hint


def test_sqlite_connections_are_durable_and_checked(sqlite_ledger: Ledger) -> None:
    with sqlite_ledger.engine.connect() as conn:
        pragma = {
            name: conn.exec_driver_sql(f"PRAGMA {name}").scalar()
            for name in ("journal_mode", "synchronous", "foreign_keys", "busy_timeout")
        }
    # synchronous 2 is FULL: every commit is fsynced, so it survives a power loss too
    assert pragma == {
        "journal_mode": "wal",
        "synchronous": 2,
        "foreign_keys": 1,
        "busy_timeout": store.BUSY_TIMEOUT_MS,
    }


def test_opening_to_read_creates_nothing(tmp_path: Path) -> None:
    path = tmp_path / "absent.sqlite3"
    with pytest.raises(LedgerError, match="there is no ledger at"):
        Ledger.open(f"sqlite:///{path}", create=False)
    assert not path.exists()


def test_a_file_that_is_not_a_database(tmp_path: Path) -> None:
    path = tmp_path / "notes.sqlite3"
    path.write_bytes(b"these are my notes, not a database" * 200)
    with pytest.raises(LedgerError, match="is not a SQLite database"):
        Ledger.open(f"sqlite:///{path}")


def _set_version(url: str, value: str) -> None:
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(
            text("UPDATE schema_info SET value = :v WHERE key = 'schema_version'"), {"v": value}
        )
    engine.dispose()


@pytest.mark.parametrize(
    ("version", "message"),
    [
        (str(SCHEMA_VERSION + 1), "newer than this signoff understands"),
        ("banana", "unknown schema version 'banana'"),
        ("0", "unknown schema version '0'"),
    ],
)
def test_another_schema_version_is_refused_and_left_alone(
    backend_url: str, version: str, message: str
) -> None:
    with Ledger.open(backend_url) as ledger:
        ledger.record_request(text="buy 1 BTC", actor="a", parser="deterministic")
    _set_version(backend_url, version)
    with pytest.raises(SchemaVersionError, match=message) as caught:
        Ledger.open(backend_url)
    assert "nothing was changed" in str(caught.value.hint) or "keep it" in str(caught.value.hint)
    # never altered: the version and the data are as they were
    engine = create_engine(backend_url)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT value FROM schema_info")).scalar_one() == version
        assert conn.execute(text("SELECT count(*) FROM audit_records")).scalar_one() == 1
    engine.dispose()
    _set_version(backend_url, str(SCHEMA_VERSION))
    with Ledger.open(backend_url, create=False) as ledger:
        assert ledger.verify().ok


def test_foreign_tables_without_a_version_are_refused(backend_url: str) -> None:
    engine = create_engine(backend_url)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE requests (id VARCHAR(10) PRIMARY KEY)"))
    engine.dispose()
    with pytest.raises(SchemaVersionError, match="no schema version"):
        Ledger.open(backend_url)


def test_a_second_open_of_the_same_ledger_is_fine(backend_url: str) -> None:
    with Ledger.open(backend_url) as first:
        first.record_request(text="x" * 10, actor="a", parser="deterministic")
    with Ledger.open(backend_url) as second:
        assert second.head()[0] == 1
        assert second.verify().ok


def test_a_ledger_busy_beyond_the_timeout_is_a_clear_error(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(store, "BUSY_TIMEOUT_MS", 200)
    with Ledger.open(sqlite_url) as ledger:
        ledger.record_request(text="first one", actor="a", parser="deterministic")
        blocker = sqlite3.connect(sqlite_url.removeprefix("sqlite:///"), isolation_level=None)
        try:
            blocker.execute("BEGIN IMMEDIATE")
            with pytest.raises(LedgerError, match="stayed busy") as caught:
                ledger.record_request(text="second one", actor="a", parser="deterministic")
            assert caught.value.hint == "another signoff process is writing; try again"
        finally:
            blocker.execute("ROLLBACK")
            blocker.close()
        # the ledger recovers once the other writer is done
        again = ledger.record_request(text="second one", actor="a", parser="deterministic")
        assert again.audit.seq == 2
        assert ledger.verify().ok


def test_a_constraint_violation_is_a_ledger_error(ledger: Ledger) -> None:
    ledger.record_request(text="one", actor="a", parser="deterministic", request_id="r-same")
    with pytest.raises(LedgerError, match="ledger database error"):
        ledger.record_request(text="two", actor="a", parser="deterministic", request_id="r-same")
    assert ledger.head()[0] == 1
    ledger.record_request(text="three", actor="a", parser="deterministic")
    assert ledger.verify().ok
