"""After `signoff run` the whole trail is signed: the executor countersigns the client's records.

The client's ledger does not sign (the key is the executor's); the executor
signs its own appends and, asked at the end of each propose, execute and
reconcile, checks the chain since its last signed head and signs the head
over the client's records too.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy import text

from foundation.clock import FakeClock
from ledger.service import Ledger
from ledger.store import LEDGER_FILE
from tests.ledger import tamper
from tests.session.conftest import signoff

# each test runs the executor (or the CLI) as a real process: seconds each
pytestmark = pytest.mark.slow


def _url(home: Path) -> str:
    return f"sqlite:///{home / LEDGER_FILE}"


def _head(home: Path) -> int:
    with Ledger.open(_url(home), create=False) as ledger:
        return ledger.head()[0]


def test_after_a_run_every_record_is_signed(home: Path) -> None:
    done = signoff(home, "run", "buy 0.01 BTC")
    assert done.returncode == 0, done.stderr
    assert (home / "executor" / "audit.pub").exists()
    head = _head(home)
    verified = signoff(home, "audit", "verify")
    assert verified.returncode == 0, verified.stdout + verified.stderr
    found = re.search(r"(\d+) signed head\(s\), the last #(\d+)", verified.stdout)
    assert found is not None, verified.stdout
    assert int(found.group(2)) == head
    assert f"nothing cut since the signed head #{head}" in verified.stdout
    # a rejected step (recorded after the last propose) is signed as the session closes
    rejected = signoff(home, "run", "buy 10 SOL at 150", stdin="n\n")
    assert rejected.returncode == 1, rejected.stderr
    assert _head(home) > head
    assert signoff(home, "audit", "verify").returncode == 0


def test_a_record_appended_after_the_run_is_unsigned(home: Path) -> None:
    assert signoff(home, "run", "buy 0.01 BTC").returncode == 0
    head = _head(home)
    with Ledger.open(_url(home), clock=FakeClock(), create=False) as other:
        other.record_request(text="buy 100 BTC", actor="mallory", parser="deterministic")
    verified = signoff(home, "audit", "verify")
    assert verified.returncode == 1, verified.stdout
    assert "UNSIGNED" in verified.stdout
    assert f"#{head + 1} (request)" in verified.stdout


def test_a_cut_after_the_run_is_caught(home: Path) -> None:
    assert signoff(home, "run", "buy 0.01 BTC").returncode == 0
    head = _head(home)
    tamper.truncate_after(_url(home), head - 2)
    with tamper.attacker(_url(home)) as conn:
        conn.execute(text("DELETE FROM audit_signatures WHERE seq > :s"), {"s": head - 2})
    verified = signoff(home, "audit", "verify")
    assert verified.returncode == 1, verified.stdout
    assert "CUT" in verified.stdout
    assert f"records #{head - 1}..#{head} were cut" in verified.stdout
