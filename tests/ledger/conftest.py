"""Ledger fixtures: a real SQLite file, or a private schema on the real PostgreSQL server.

``backend_url`` is parametrised over both: SQLite always runs; PostgreSQL runs
when the server named by ``SIGNOFF_TEST_PG_URL`` (default: the local server as
``postgres``, then as ``root``) answers, and is skipped with the reason
otherwise. Each PostgreSQL test gets its own uniquely named schema (via
``search_path`` in the URL), dropped afterwards, so concurrent runs never meet.
"""

from __future__ import annotations

import functools
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from foundation import secrets
from foundation.clock import FakeClock
from ledger.service import Ledger

PG_ENV = "SIGNOFF_TEST_PG_URL"
PG_DEFAULTS = (
    "postgresql+psycopg://postgres@127.0.0.1:5432/test",
    "postgresql+psycopg://root@127.0.0.1:5432/test",
)


@functools.cache
def pg_base_url() -> tuple[str | None, str]:
    """(a URL that connects, None) or (None, why not)."""
    configured = os.environ.get(PG_ENV, "").strip()
    candidates = (configured,) if configured else PG_DEFAULTS
    reasons = []
    for candidate in candidates:
        engine = create_engine(candidate, connect_args={"connect_timeout": 3})
        try:
            with engine.connect() as conn:
                conn.execute(text("SELECT 1"))
            return candidate, ""
        except SQLAlchemyError as exc:
            first = str(exc.orig if hasattr(exc, "orig") else exc).strip().splitlines()
            reasons.append(
                f"{make_url(candidate).render_as_string()}: {first[0] if first else exc}"
            )
        finally:
            engine.dispose()
    return None, "PostgreSQL not reachable (" + "; ".join(reasons) + f"); set {PG_ENV}"


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A URL whose connections live in a fresh private schema, dropped afterwards."""
    base, why = pg_base_url()
    if base is None:
        pytest.skip(why)
    schema = f"signoff_test_{os.getpid()}_{uuid.uuid4().hex[:10]}"
    admin = create_engine(base)
    try:
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        url = make_url(base).update_query_dict({"options": f"-csearch_path={schema}"})
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'ledger.sqlite3'}"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def backend_url(request: pytest.FixtureRequest) -> str:
    if request.param == "sqlite":
        return str(request.getfixturevalue("sqlite_url"))
    return str(request.getfixturevalue("pg_url"))


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def ledger(backend_url: str, clock: FakeClock) -> Iterator[Ledger]:
    with Ledger.open(backend_url, clock=clock) as opened:
        yield opened


@pytest.fixture
def sqlite_ledger(sqlite_url: str, clock: FakeClock) -> Iterator[Ledger]:
    with Ledger.open(sqlite_url, clock=clock) as opened:
        yield opened


@pytest.fixture(autouse=True)
def _fresh_secrets() -> Iterator[None]:
    """Each test starts with no registered secrets and reloads them from its own environment."""
    secrets.reset()
    yield
    secrets.reset()
