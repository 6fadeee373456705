"""What someone with write access to the database could do to the trail.

Each function works through a plain SQLAlchemy engine, with the append-only
triggers and foreign keys switched off first, as an attacker would.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, create_engine, text

from ledger import chain
from ledger.tables import APPEND_ONLY_TABLES, EVENT_TABLES

EVENT_TABLE_NAMES = [str(t.__tablename__) for t in EVENT_TABLES]


@contextmanager
def attacker(url: str) -> Iterator[Connection]:
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            if conn.dialect.name == "sqlite":
                conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
                names = conn.exec_driver_sql(
                    "SELECT name FROM sqlite_master WHERE type = 'trigger'"
                ).scalars()
                for name in list(names):
                    conn.exec_driver_sql(f"DROP TRIGGER {name}")
            else:
                for table in APPEND_ONLY_TABLES:
                    # ALL: the append-only triggers and the foreign-key ones
                    conn.exec_driver_sql(f"ALTER TABLE {table} DISABLE TRIGGER ALL")
            yield conn
    finally:
        engine.dispose()


def edit_one_byte(url: str, table: str, column: str, where: str, old: str, new: str) -> None:
    """Replace ``old`` by ``new`` (same length) in one column of the rows matching ``where``."""
    assert len(old) == len(new)
    with attacker(url) as conn:
        value = conn.execute(text(f"SELECT {column} FROM {table} WHERE {where}")).scalar_one()
        assert old in str(value), (old, value)
        conn.execute(
            text(f"UPDATE {table} SET {column} = :v WHERE {where}"),
            {"v": str(value).replace(old, new, 1)},
        )


def edit_record(url: str, seq: int, column: str, value: Any) -> None:
    with attacker(url) as conn:
        conn.execute(
            text(f"UPDATE audit_records SET {column} = :v WHERE seq = :s"), {"v": value, "s": seq}
        )


def delete_record(url: str, seq: int, *, with_rows: bool = True) -> None:
    with attacker(url) as conn:
        if with_rows:
            for table in EVENT_TABLE_NAMES:
                conn.execute(text(f"DELETE FROM {table} WHERE audit_seq = :s"), {"s": seq})
        conn.execute(text("DELETE FROM audit_records WHERE seq = :s"), {"s": seq})


def delete_rows(url: str, table: str, where: str) -> None:
    with attacker(url) as conn:
        deleted = conn.execute(text(f"DELETE FROM {table} WHERE {where}"))
        assert deleted.rowcount >= 1


def _move(conn: Connection, old: int, new: int) -> None:
    conn.execute(text("UPDATE audit_records SET seq = :n WHERE seq = :o"), {"n": new, "o": old})
    for table in EVENT_TABLE_NAMES:
        conn.execute(
            text(f"UPDATE {table} SET audit_seq = :n WHERE audit_seq = :o"), {"n": new, "o": old}
        )


def swap_records(url: str, a: int, b: int) -> None:
    """Exchange the places of two records (each keeps its own rows)."""
    with attacker(url) as conn:
        _move(conn, a, -1)
        _move(conn, b, a)
        _move(conn, -1, b)


def truncate_after(url: str, seq: int) -> None:
    with attacker(url) as conn:
        for table in EVENT_TABLE_NAMES:
            conn.execute(text(f"DELETE FROM {table} WHERE audit_seq > :s"), {"s": seq})
        conn.execute(text("DELETE FROM audit_records WHERE seq > :s"), {"s": seq})


def insert_record_after(url: str, seq: int) -> None:
    """Slip a forged, self-consistent request in after record ``seq``; renumber the rest."""
    with attacker(url) as conn:
        last, _ = chain.head(conn)
        for old in range(last, seq, -1):
            _move(conn, old, old + 1)
        before = conn.execute(chain.AUDIT.select().where(chain.AUDIT.c.seq == seq)).mappings().one()
        record_time = before["recorded_at"]
        forged_row = {
            "id": "r-forged",
            "audit_seq": seq + 1,
            "received_at": record_time,
            "actor": "mallory",
            "text": "buy 100 BTC",
            "parser": "deterministic",
            "model": None,
            "session_id": None,
        }
        requests = next(t for t in chain.EVENT_TABLE_OBJECTS if t.name == "requests")
        content = chain.row_content(requests, forged_row)
        digest = chain.event_digest([("requests", content)])
        fields = {
            "seq": seq + 1,
            "recorded_at": record_time,
            "kind": "request",
            "actor": "mallory",
            "plan_id": None,
            "subject": "r-forged",
            "digest": digest,
            "prev_hash": before["hash"],
        }
        conn.execute(chain.AUDIT.insert(), {**fields, "hash": chain.stored_record_hash(fields)})
        conn.execute(requests.insert(), forged_row)


def rewrite_chain(url: str) -> None:
    """Recompute every digest and hash from the (edited) rows: a consistent forgery."""
    with attacker(url) as conn:
        prev = chain.GENESIS
        for records in chain.iter_records(conn):
            rows = chain.rows_by_seq(conn, records[0]["seq"] - 1, records[-1]["seq"])
            for record in records:
                record["digest"] = chain.event_digest(rows.get(record["seq"], []))
                record["prev_hash"] = prev
                record["hash"] = chain.stored_record_hash(record)
                conn.execute(
                    chain.AUDIT.update()
                    .where(chain.AUDIT.c.seq == record["seq"])
                    .values(
                        digest=record["digest"], prev_hash=record["prev_hash"], hash=record["hash"]
                    )
                )
                prev = record["hash"]
