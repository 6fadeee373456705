"""A real session: the executor process with the local exchange, a SQLite ledger."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from signoff.session import Session


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
