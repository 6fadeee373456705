"""A real session: the executor process with the local exchange, a SQLite ledger."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from signoff.session import Session
from tests.conftest import REPO


def write_identities(home: Path, people: dict[str, list[str]]) -> None:
    """As compliance would: each person's key pair (kept in their key directory) and the
    identities file listing them with their roles."""
    from foundation.identity import SigningKey, identities_path, key_path

    home.mkdir(parents=True, exist_ok=True)
    lines = []
    for name, roles in people.items():
        key = SigningKey.generate(name)
        key.save(key_path(name), None)
        lines.append(key.identity_line(roles))
    Path(identities_path()).write_text("".join(lines))


@pytest.fixture
def session(signoff_home: Path) -> Iterator[Session]:
    write_identities(signoff_home, {"alice": ["trader"], "risk-desk": ["approver"]})
    started = Session.start(exchange="local", actor="alice")
    try:
        yield started
    finally:
        try:
            started.executor.shutdown()
        finally:
            started.close()


def _processes_of(home: Path) -> list[int]:
    """Processes whose SIGNOFF_HOME is ``home`` (Linux /proc; empty elsewhere)."""
    wanted = f"SIGNOFF_HOME={home}".encode()
    found = []
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            environ = (entry / "environ").read_bytes()
        except OSError:
            continue
        if wanted in environ.split(b"\0") and int(entry.name) != os.getpid():
            found.append(int(entry.name))
    return found


@pytest.fixture
def home(signoff_home: Path) -> Iterator[Path]:
    """SIGNOFF_HOME for the command; the executor it starts must be gone afterwards."""
    yield signoff_home
    from executors.process.client import ExecutorClient
    from foundation.errors import ExecutionError

    try:
        client = ExecutorClient.connect(str(signoff_home))
    except ExecutionError:
        pass
    else:
        client.shutdown()
    if sys.platform.startswith("linux"):
        deadline = time.monotonic() + 15
        while _processes_of(signoff_home) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert _processes_of(signoff_home) == [], "an executor outlived its test"


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
