"""``signoff run --exchange hashkey-sandbox`` without keys, and with keys but no network."""

from __future__ import annotations

import os
import socket
import sqlite3
import subprocess
from pathlib import Path

import pytest

from executors.testing import signoff_command


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _run(home: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        signoff_command("run", "--exchange", "hashkey-sandbox", "--no-input", "buy 0.01 BTC"),
        env={**os.environ, "SIGNOFF_HOME": str(home), **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _rows(path: Path, table: str) -> int:
    if not path.exists():
        return 0
    with sqlite3.connect(path) as db:
        tables = {name for (name,) in db.execute("select name from sqlite_master")}
        if table not in tables:
            return 0
        return int(db.execute(f"select count(*) from {table}").fetchone()[0])


def test_without_keys_names_the_variables_and_exits_2(signoff_home: Path) -> None:
    done = _run(signoff_home, {})
    assert done.returncode == 2, done.stderr
    assert "HASHKEY_SANDBOX_API_KEY" in done.stderr
    assert "HASHKEY_SANDBOX_API_SECRET" in done.stderr
    assert "hashkey-sandbox" in done.stderr
    assert "Traceback" not in done.stderr + done.stdout


@pytest.mark.parametrize("proxy", ["HTTPS_PROXY", "https_proxy"])
def test_with_keys_and_no_network_cannot_reach_and_sends_nothing(
    signoff_home: Path, proxy: str
) -> None:
    # the sandbox host is reached through a proxy that refuses at once: no real
    # connection is ever attempted, and nothing waits on a timeout
    env = {
        "HASHKEY_SANDBOX_API_KEY": "test-key-not-real",
        "HASHKEY_SANDBOX_API_SECRET": "test-secret-not-real",
        proxy: f"http://127.0.0.1:{_closed_port()}",
        "NO_PROXY": "",
        "no_proxy": "",
    }
    done = _run(signoff_home, env)
    assert done.returncode == 1, done.stderr
    assert "cannot reach" in done.stderr
    assert "hashkey-sandbox" in done.stderr
    assert "Traceback" not in done.stderr + done.stdout
    assert "test-secret-not-real" not in done.stderr + done.stdout
    # nothing recorded as sent: no order in the executor's journal or the ledger
    journal = signoff_home / "executor" / "journal.sqlite"
    for table in ("orders", "fills", "schedules"):
        assert _rows(journal, table) == 0, table
    assert _rows(signoff_home / "ledger.sqlite3", "orders") == 0
    assert _rows(signoff_home / "ledger.sqlite3", "order_events") == 0
