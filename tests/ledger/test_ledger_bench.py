"""``benchmarks/bench_ledger.py`` says why it skips PostgreSQL instead of ending in a traceback.

No timings are asserted here (benchmarks print figures; tests check behaviour).
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from benchmarks import bench_ledger


def test_without_psycopg_postgresql_is_skipped_with_the_reason(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(sys.modules, "psycopg", None)  # import psycopg now raises ImportError
    bench_ledger.bench_pg(bench_ledger.PG_DEFAULT, 10, 1)
    out = capsys.readouterr().out
    assert out.strip() == (
        "postgresql: skipped: psycopg is not installed (pip install 'signoff[postgres]')"
    )


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("postgresql+psycopg://postgres@127.0.0.1:1/test", "not reachable"),
        ("not a url", "cannot use 'not a url'"),
    ],
)
def test_an_unreachable_server_is_skipped_with_the_reason(
    url: str, why: str, capsys: pytest.CaptureFixture[str]
) -> None:
    bench_ledger.bench_pg(url, 10, 1)
    out = capsys.readouterr().out
    assert out.startswith(f"postgresql: skipped: {why}")
    assert out.count("\n") == 1


def test_the_reference_appends_what_the_ledger_appends(tmp_path: Path) -> None:
    reference = bench_ledger.Reference(f"{tmp_path}/ref.sqlite3")
    try:
        for i in range(3):
            reference.append(i)
        rows = reference.db.execute("SELECT seq, kind FROM audit_records ORDER BY seq").fetchall()
        texts = reference.db.execute("SELECT audit_seq, text FROM requests").fetchall()
        modes = [
            reference.db.execute(f"PRAGMA {p}").fetchone()[0]
            for p in ("journal_mode", "synchronous")
        ]
    finally:
        reference.close()
    assert rows == [(1, "request"), (2, "request"), (3, "request")]
    assert texts == [(1, "buy 0 BTC"), (2, "buy 1 BTC"), (3, "buy 2 BTC")]
    assert modes == ["wal", 2]  # synchronous=FULL, as the ledger's
