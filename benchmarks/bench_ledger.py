"""Durable audit appends per second, and verify speed, on SQLite (and PostgreSQL when reachable).

    python benchmarks/bench_ledger.py [--appends N] [--pg-url URL]

Every append is its own committed transaction (SQLite: WAL, synchronous=FULL,
so each commit is fsynced) holding the write lock, reading the chain's head and
writing one event row plus its audit record: what ``Ledger.record_request``
does for each request. The target on the project machine is >= 2,000 per second.
PostgreSQL is measured in a throw-away schema when the server answers
(``--pg-url``, else ``SIGNOFF_TEST_PG_URL``, else the local server as postgres).
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from foundation.clock import FakeClock
from ledger.service import Ledger

TARGET = 2000
PG_DEFAULT = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def _rate(count: int, fn: Callable[[int], object]) -> float:
    started = time.perf_counter()
    for i in range(count):
        fn(i)
    return count / (time.perf_counter() - started)


def bench(url: str, appends: int, rounds: int) -> dict[str, float]:
    clock = FakeClock()
    with Ledger.open(url, clock=clock) as ledger:
        # warm up: connection, statement caches
        for i in range(50):
            ledger.record_request(text=f"warm {i}", actor="bench", parser="deterministic")
        rates = []
        for _ in range(rounds):
            rates.append(
                _rate(
                    appends,
                    lambda i: ledger.record_request(
                        text=f"buy {i} BTC", actor="bench", parser="deterministic"
                    ),
                )
            )
        records = ledger.head()[0]
        started = time.perf_counter()
        report = ledger.verify()
        verify_rate = records / (time.perf_counter() - started)
        assert report.ok, report.problems
    return {
        "median": statistics.median(rates),
        "best": max(rates),
        "worst": min(rates),
        "verify": verify_rate,
        "records": float(records),
    }


def _print(
    name: str, figures: dict[str, float], appends: int, rounds: int, *, target: bool
) -> None:
    verdict = ""
    if target:
        verdict = (
            "; "
            + ("meets" if figures["median"] >= TARGET else "BELOW")
            + (f" the {TARGET:,}/s target")
        )
    print(
        f"{name}: {figures['median']:,.0f} durable appends/s median of {rounds} x {appends} "
        f"(best {figures['best']:,.0f}, worst {figures['worst']:,.0f}){verdict}"
    )
    print(
        f"{name}: verify {figures['verify']:,.0f} records/s over {figures['records']:,.0f} records"
    )


def _pg(url: str) -> tuple[str, Callable[[], None]] | None:
    admin = create_engine(url, connect_args={"connect_timeout": 3})
    schema = f"signoff_bench_{uuid.uuid4().hex[:10]}"
    try:
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    except SQLAlchemyError as exc:
        print(f"postgresql: skipped, not reachable ({str(exc).splitlines()[0]})")
        admin.dispose()
        return None

    def drop() -> None:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()

    scoped = make_url(url).update_query_dict({"options": f"-csearch_path={schema}"})
    return scoped.render_as_string(hide_password=False), drop


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--appends", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--pg-url", default=os.environ.get("SIGNOFF_TEST_PG_URL", PG_DEFAULT))
    parser.add_argument("--dir", help="directory for the SQLite file (default: a temp dir)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(dir=args.dir) as scratch:
        figures = bench(f"sqlite:///{scratch}/bench.sqlite3", args.appends, args.rounds)
        _print("sqlite (WAL, synchronous=FULL)", figures, args.appends, args.rounds, target=True)

    pg = _pg(args.pg_url)
    if pg is not None:
        url, drop = pg
        try:
            figures = bench(url, args.appends, args.rounds)
            _print("postgresql", figures, args.appends, args.rounds, target=False)
        finally:
            drop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
