"""A real session: the executor process with the local exchange, a SQLite ledger."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from signoff.session import Session
from tests.conftest import REPO


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


@pytest.fixture
def home(signoff_home: Path) -> Iterator[Path]:
    """SIGNOFF_HOME for the command; the executor it starts is stopped afterwards."""
    yield signoff_home
    from executors.process.client import ExecutorClient
    from signoff.errors import ExecutionError

    try:
        client = ExecutorClient.connect(str(signoff_home / "executor"))
    except ExecutionError:
        return
    client.shutdown()


def signoff(
    home: Path, *args: str, stdin: str = "", env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "signoff", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={
            **os.environ,
            "PYTHONPATH": str(REPO),
            "SIGNOFF_HOME": str(home),
            "SIGNOFF_USER": "alice",
            **(env or {}),
        },
    )
