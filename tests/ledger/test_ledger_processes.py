"""Real processes: concurrent appends form one chain; a killed writer loses nothing committed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from sqlmodel import Session, select

from ledger.service import Ledger
from ledger.tables import PlanRow, RequestRow

WRITER = Path(__file__).with_name("ledger_writer.py")


def _start(url: str, name: str, count: int, seconds: float) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, str(WRITER), url, name, str(count), str(seconds)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )


def _committed(ledger: Ledger) -> tuple[set[str], set[str]]:
    with Session(ledger.engine) as session:
        texts = set(session.exec(select(RequestRow.text)))
        planned = {
            text
            for text in session.exec(
                select(RequestRow.text).join(PlanRow, PlanRow.request_id == RequestRow.id)  # type: ignore[arg-type]
            )
        }
    return texts, {f"{t}-plan" for t in planned}


def _wait_ready(proc: subprocess.Popen[str], timeout: float = 30) -> None:
    assert proc.stdout is not None
    line: list[str] = []
    reader = threading.Thread(target=lambda: line.append(proc.stdout.readline()))  # type: ignore[union-attr]
    reader.start()
    reader.join(timeout)
    assert line == ["ready\n"], f"writer did not start: {proc.stderr.read() if proc.stderr else ''}"


def _go(*procs: subprocess.Popen[str]) -> None:
    for proc in procs:
        assert proc.stdin is not None
        proc.stdin.write("go\n")
        proc.stdin.flush()


@pytest.mark.slow
def test_two_processes_appending_at_once_form_one_chain(backend_url: str) -> None:
    with Ledger.open(backend_url):
        pass  # create the schema before the race, as the first signoff run would
    count = 300
    writers = [_start(backend_url, name, count, seconds=90) for name in ("left", "right")]
    for proc in writers:
        _wait_ready(proc)
    _go(*writers)
    outputs = []
    for proc in writers:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
        outputs.append(["ready", *out.splitlines()])

    acknowledged = {line.split()[0] for lines in outputs for line in lines[1:]}
    seqs = [int(line.split()[1]) for lines in outputs for line in lines[1:]]
    with Ledger.open(backend_url, create=False) as ledger:
        report = ledger.verify()
        texts, plans = _committed(ledger)
    assert report.ok, report.problems
    per_writer = count + (count + 2) // 3
    assert report.records == 2 * per_writer == len(acknowledged)
    # every append got its own place in the one chain
    assert sorted(seqs) == list(range(1, 2 * per_writer + 1))
    assert {s for s in acknowledged if not s.endswith("-plan")} == texts
    assert {s for s in acknowledged if s.endswith("-plan")} == plans


@pytest.mark.slow
def test_a_writer_killed_mid_write_loses_nothing_committed(backend_url: str) -> None:
    """SIGKILL a busy writer at three different moments; each time the ledger verifies and
    holds every record the writer reported committed, and the next writer extends the chain."""
    with Ledger.open(backend_url):
        pass
    acknowledged: set[str] = set()
    for round_no, wait in enumerate((0.3, 0.7, 1.1)):
        proc = _start(backend_url, f"k{round_no}", count=1_000_000, seconds=30)
        _wait_ready(proc)
        _go(proc)
        time.sleep(wait)
        proc.send_signal(signal.SIGKILL)
        out, _err = proc.communicate(timeout=30)
        assert proc.returncode == -signal.SIGKILL
        lines = [line for line in out.splitlines() if line and line != "ready"]
        assert lines, "the writer committed nothing before the kill; wait longer"
        # the last line may have been cut by the kill; anything printed whole was committed
        acknowledged |= {line.split()[0] for line in lines if len(line.split()) == 2}

        with Ledger.open(backend_url, create=False) as ledger:
            report = ledger.verify()
            texts, plans = _committed(ledger)
        assert report.ok, report.problems
        missing = {a for a in acknowledged if a not in texts and a not in plans}
        assert not missing, f"committed but lost: {sorted(missing)[:5]}"
