"""Durable audit appends per second, beside bare sqlite3 doing the same writes, and verify speed.

    python benchmarks/bench_ledger.py [--appends N] [--rounds R] [--dir DIR ...] [--pg-url URL]

Every append is its own committed transaction (SQLite: WAL, synchronous=FULL,
so each commit is fsynced) holding the write lock, reading the chain's head and
writing one event row plus its audit record: what ``Ledger.record_request``
does for each request. Measured three ways, rounds interleaved so that a busy
machine slows all three alike:

- ``ledger``: ``Ledger.record_request``;
- ``signed``: the same with the executor's head signer (Ed25519 signature
  row in the transaction, signed-head file written after the commit);
- ``reference``: bare ``sqlite3`` with the same settings and statements
  (BEGIN IMMEDIATE, read the head, insert the record and the row, COMMIT)
  and nothing else: no hashing, no checks. The ratio ledger/reference shows
  what the ledger's own work costs; the reference is the floor.

By default SQLite runs on tmpfs (/dev/shm, where fsync is free: CPU-bound)
and on disk (the system's temporary directory). Targets on a quiet machine:
>= 3,000 appends/s on tmpfs and >= 2,000/s on disk. PostgreSQL is measured
in a throw-away schema when psycopg is installed and the server answers
(``--pg-url``, else ``SIGNOFF_TEST_PG_URL``, else the local server as postgres);
otherwise it says why it was skipped.
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

from foundation.clock import FakeClock
from ledger.service import Ledger
from ledger.signing import load_or_create_audit_key

TARGETS = {"tmpfs": 3000, "disk": 2000}
PG_DEFAULT = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


@dataclass
class Series:
    rates: list[float] = field(default_factory=list)

    @property
    def median(self) -> float:
        return statistics.median(self.rates)


def _rate(count: int, fn: Callable[[int], object]) -> float:
    started = time.perf_counter()
    for i in range(count):
        fn(i)
    return count / (time.perf_counter() - started)


class Reference:
    """Bare sqlite3: the same durable transaction per append, with nothing of the ledger's."""

    def __init__(self, path: str) -> None:
        self.db = sqlite3.connect(path, isolation_level=None)
        for pragma in ("journal_mode=WAL", "synchronous=FULL", "busy_timeout=30000"):
            self.db.execute(f"PRAGMA {pragma}")
        self.db.execute(
            "CREATE TABLE audit_records (seq INTEGER PRIMARY KEY, recorded_at TEXT, kind TEXT, "
            "actor TEXT, plan_id TEXT, subject TEXT, digest TEXT, prev_hash TEXT, hash TEXT UNIQUE)"
        )
        self.db.execute(
            "CREATE TABLE requests (id TEXT PRIMARY KEY, audit_seq INTEGER REFERENCES "
            "audit_records(seq), received_at TEXT, actor TEXT, text TEXT, parser TEXT, "
            "model TEXT, session_id TEXT)"
        )

    def append(self, i: int) -> None:
        db = self.db
        db.execute("BEGIN IMMEDIATE")
        row = db.execute("SELECT seq, hash FROM audit_records ORDER BY seq DESC LIMIT 1").fetchone()
        seq = 1 if row is None else row[0] + 1
        when = "2026-01-05 09:30:00.000000"
        digest = f"{seq:064x}"
        db.execute(
            "INSERT INTO audit_records VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (seq, when, "request", "bench", None, f"r-{seq}", digest, digest, f"h{seq:063x}"),
        )
        db.execute(
            "INSERT INTO requests VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (f"r-{seq}", seq, when, "bench", f"buy {i} BTC", "deterministic", None, None),
        )
        db.execute("COMMIT")

    def close(self) -> None:
        self.db.close()


def bench_sqlite(where: str, appends: int, rounds: int) -> dict[str, Series | float]:
    with tempfile.TemporaryDirectory(dir=where, prefix="signoff-bench-") as scratch:
        plain = Ledger.open(f"sqlite:///{scratch}/plain.sqlite3", clock=FakeClock())
        signer = load_or_create_audit_key(os.path.join(scratch, "executor"))
        signed = Ledger.open(
            f"sqlite:///{scratch}/signed.sqlite3", clock=FakeClock(), head_signer=signer
        )
        reference = Reference(os.path.join(scratch, "reference.sqlite3"))
        runs: dict[str, Callable[[int], object]] = {
            "reference": reference.append,
            "ledger": lambda i: plain.record_request(
                text=f"buy {i} BTC", actor="bench", parser="deterministic"
            ),
            "signed": lambda i: signed.record_request(
                text=f"buy {i} BTC", actor="bench", parser="deterministic"
            ),
        }
        series = {name: Series() for name in runs}
        try:
            for fn in runs.values():  # warm up: connections, statement caches
                for i in range(50):
                    fn(i)
            for _ in range(rounds):
                for name, fn in runs.items():
                    series[name].rates.append(_rate(appends, fn))
            records = signed.head()[0]
            started = time.perf_counter()
            report = signed.verify(audit_key=signer.verifier, heads_dir=signer.heads_dir)
            verify_rate = records / (time.perf_counter() - started)
            assert report.ok, report.problems
        finally:
            plain.close()
            signed.close()
            reference.close()
    return {**series, "verify": verify_rate, "records": float(records)}


def _print_sqlite(
    label: str, target: int, figures: dict[str, Series | float], appends: int, rounds: int
) -> None:
    ref = figures["reference"]
    assert isinstance(ref, Series)
    for name in ("ledger", "signed"):
        series = figures[name]
        assert isinstance(series, Series)
        verdict = "meets" if series.median >= target else "BELOW"
        print(
            f"sqlite on {label} ({name}): {series.median:,.0f} durable appends/s, median of "
            f"{rounds} x {appends} (best {max(series.rates):,.0f}, "
            f"worst {min(series.rates):,.0f}); "
            f"bare sqlite3 reference {ref.median:,.0f}/s; ratio {series.median / ref.median:.2f}; "
            f"{verdict} the {target:,}/s target"
        )
    print(
        f"sqlite on {label}: verify (signatures included) {figures['verify']:,.0f} records/s "
        f"over {figures['records']:,.0f} records"
    )


def _pg(url: str) -> tuple[str, Callable[[], None]] | str:
    """A URL scoped to a fresh schema and its cleanup, or why PostgreSQL is skipped."""
    try:
        import psycopg  # noqa: F401
    except ImportError:
        return "psycopg is not installed (pip install 'signoff[postgres]')"
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError, SQLAlchemyError

    try:
        admin = create_engine(url, connect_args={"connect_timeout": 3})
    except (ArgumentError, ImportError) as exc:
        return f"cannot use {url!r}: {exc}"
    schema = f"signoff_bench_{uuid.uuid4().hex[:10]}"
    try:
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    except SQLAlchemyError as exc:
        admin.dispose()
        detail = str(getattr(exc, "orig", None) or exc).strip().splitlines()
        return f"not reachable ({detail[0] if detail else type(exc).__name__})"

    def drop() -> None:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()

    scoped = make_url(url).update_query_dict({"options": f"-csearch_path={schema}"})
    return scoped.render_as_string(hide_password=False), drop


def _pg_reference(url: str) -> tuple[Callable[[int], object], Callable[[], None]]:
    """Bare psycopg in the same schema: lock, read the head, insert the record and row, commit."""
    import psycopg
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    conn = psycopg.connect(
        host=parsed.host or "127.0.0.1",
        port=parsed.port or 5432,
        user=parsed.username,
        password=parsed.password,
        dbname=parsed.database,
        options=str(parsed.query.get("options", "")),
    )
    with conn.transaction():
        conn.execute(
            "CREATE TABLE ref_records (seq INTEGER PRIMARY KEY, recorded_at TIMESTAMPTZ, "
            "kind TEXT, actor TEXT, plan_id TEXT, subject TEXT, digest TEXT, prev_hash TEXT, "
            "hash TEXT UNIQUE)"
        )
        conn.execute(
            "CREATE TABLE ref_requests (id TEXT PRIMARY KEY, audit_seq INTEGER REFERENCES "
            "ref_records(seq), received_at TIMESTAMPTZ, actor TEXT, text TEXT, parser TEXT, "
            "model TEXT, session_id TEXT)"
        )

    def append(i: int) -> None:
        with conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(1, 2)")
            row = conn.execute("SELECT seq FROM ref_records ORDER BY seq DESC LIMIT 1").fetchone()
            seq = 1 if row is None else row[0] + 1
            digest = f"{seq:064x}"
            conn.execute(
                "INSERT INTO ref_records VALUES (%s, now(), 'request', 'bench', NULL, %s, %s, "
                "%s, %s)",
                (seq, f"r-{seq}", digest, digest, f"h{seq:063x}"),
            )
            conn.execute(
                "INSERT INTO ref_requests VALUES (%s, %s, now(), 'bench', %s, 'deterministic', "
                "NULL, NULL)",
                (f"r-{seq}", seq, f"buy {i} BTC"),
            )

    return append, conn.close


def bench_pg(url: str, appends: int, rounds: int) -> None:
    found = _pg(url)
    if isinstance(found, str):
        print(f"postgresql: skipped: {found}")
        return
    scoped, drop = found
    try:
        reference, close = _pg_reference(scoped)
        try:
            with Ledger.open(scoped, clock=FakeClock()) as ledger:
                runs: dict[str, Callable[[int], object]] = {
                    "reference": reference,
                    "ledger": lambda i: ledger.record_request(
                        text=f"buy {i} BTC", actor="bench", parser="deterministic"
                    ),
                }
                series = {name: Series() for name in runs}
                for fn in runs.values():
                    for i in range(20):
                        fn(i)
                for _ in range(rounds):
                    for name, fn in runs.items():
                        series[name].rates.append(_rate(appends, fn))
                records = ledger.head()[0]
                started = time.perf_counter()
                assert ledger.verify().ok
                verify_rate = records / (time.perf_counter() - started)
        finally:
            close()
        ours, ref = series["ledger"].median, series["reference"].median
        print(
            f"postgresql (ledger): {ours:,.0f} durable appends/s, median of {rounds} x {appends}; "
            f"bare psycopg reference {ref:,.0f}/s; ratio {ours / ref:.2f}; "
            f"verify {verify_rate:,.0f} records/s"
        )
    finally:
        drop()


def _on_tmpfs(path: str) -> bool:
    """Whether ``path`` is on a tmpfs (from /proc/mounts; False when that cannot be read)."""
    real = os.path.realpath(path)
    best, kind = "", ""
    try:
        with open("/proc/mounts", encoding="utf-8") as mounts:
            lines = mounts.read().splitlines()
    except OSError:
        return False
    for line in lines:
        parts = line.split()
        if len(parts) < 3:
            continue
        point = parts[1]
        inside = real == point or real.startswith(point.rstrip("/") + "/")
        if inside and len(point) >= len(best):
            best, kind = point, parts[2]
    return kind == "tmpfs"


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--appends", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--dir",
        action="append",
        metavar="DIR",
        help="directory for the SQLite files; repeat for several "
        "(default: /dev/shm as tmpfs and the temporary directory as disk)",
    )
    parser.add_argument("--pg-url", default=os.environ.get("SIGNOFF_TEST_PG_URL", PG_DEFAULT))
    parser.add_argument("--no-pg", action="store_true", help="skip PostgreSQL")
    args = parser.parse_args()

    places: list[tuple[str, str, int]] = []
    if args.dir:
        places = [(d, d, TARGETS["tmpfs" if _on_tmpfs(d) else "disk"]) for d in args.dir]
    else:
        if os.path.isdir("/dev/shm"):
            places.append(("tmpfs /dev/shm", "/dev/shm", TARGETS["tmpfs"]))
        places.append((f"disk {tempfile.gettempdir()}", tempfile.gettempdir(), TARGETS["disk"]))
    for label, where, target in places:
        figures = bench_sqlite(where, args.appends, args.rounds)
        _print_sqlite(label, target, figures, args.appends, args.rounds)
    if args.no_pg:
        print("postgresql: skipped: --no-pg")
    else:
        bench_pg(args.pg_url, max(args.appends // 4, 100), args.rounds)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
