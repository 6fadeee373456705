"""The audit chain: how records are hashed, verified and checkpointed.

Each audit record holds

- ``digest``: SHA-256 of the canonical content of every event row written with
  it (all rows of every event table whose ``audit_seq`` is the record's
  number), so editing, deleting or adding such a row changes it;
- ``prev_hash``: the previous record's ``hash`` (64 zeros for the first);
- ``hash``: SHA-256 of the canonical form of the record's own fields,
  ``prev_hash`` included, so each record vouches for all before it.

:func:`verify` recomputes everything and reports problems in sequence order;
the first one names the first bad record. A checkpoint (sequence and hash of
the head, kept outside the database) proves the log still extends what it was
then: a chain rewritten consistently from some record on, or cut short after
the checkpoint, no longer matches it.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Table, func, select, text
from sqlmodel import SQLModel

from foundation.errors import InputError
from intent.canonical import canonical_bytes
from ledger.tables import EVENT_TABLES, AuditRecord
from ledger.types import Money

if TYPE_CHECKING:
    from ledger.signing import SigningReport

GENESIS = "0" * 64
CHECKPOINT_FORMAT = "signoff-audit-checkpoint"
BATCH = 1000

AUDIT: Table = AuditRecord.__table__  # type: ignore[attr-defined]
EVENT_TABLE_OBJECTS: tuple[Table, ...] = tuple(
    t.__table__  # type: ignore[attr-defined]
    for t in EVENT_TABLES
)


class _Unreadable(str):
    """The raw text of a stored value its column type refused (see :func:`_read_rows`)."""

    __slots__ = ()


def _normal(column_type: Any, value: Any) -> Any:
    if isinstance(value, _Unreadable):
        return str(value)  # hashed as it is: the record's digest then fails
    if value is None or not isinstance(column_type, Money) or isinstance(value, Decimal):
        return value
    # an int written to a Money column reads back as a Decimal: hash it as one
    if isinstance(value, int) and not isinstance(value, bool):
        return Decimal(value)
    raise TypeError(
        f"money must be a Decimal (or an int), not {type(value).__name__}: floats are never stored"
    )


def row_content(table: Table, values: Mapping[Any, Any]) -> dict[str, Any]:
    """The hashed content of one row: every column, values as they read back."""
    return {c.name: _normal(c.type, values.get(c.name)) for c in table.columns}


def model_content(row: SQLModel) -> tuple[str, dict[str, Any]]:
    table: Table = row.__table__  # type: ignore[attr-defined]
    return table.name, row_content(table, {c.name: getattr(row, c.name) for c in table.columns})


def _decimal_text(value: Decimal) -> str:
    if not value.is_finite():
        raise ValueError(f"cannot canonicalise {value}")
    normal = value.normalize()
    return format(normal, "f") if normal == normal.to_integral_value() else str(normal)


def _time_text(value: datetime) -> str:
    if value.tzinfo is None:
        raise ValueError("cannot canonicalise a naive datetime")
    return value.astimezone(UTC).isoformat()


_SCALAR: dict[type, Any] = {str: None, int: None, bool: None, type(None): None}
_CONVERT: dict[type, Any] = {Decimal: _decimal_text, datetime: _time_text}
_dumps = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode


def _flat(content: Mapping[str, Any]) -> dict[str, Any] | None:
    """``content`` in canonical form when every value is a plain scalar; None otherwise.

    The same values as :func:`intent.canonical.canonical_bytes` would produce, without
    its general walk: this runs for every row of every append and every verify.
    """
    out: dict[str, Any] = {}
    for key, value in content.items():
        kind = type(value)
        if kind in _SCALAR:
            out[key] = value
            continue
        convert = _CONVERT.get(kind)
        if convert is None:
            return None
        out[key] = convert(value)
    return out


def canonical_row(name: str, content: Mapping[str, Any]) -> str:
    """The canonical text of one row, as :func:`event_digest` hashes it."""
    flat = _flat(content)
    if flat is None:
        return canonical_bytes([name, dict(content)]).decode("utf-8")
    return _dumps([name, flat])


def event_digest(rows: Iterable[tuple[str, Mapping[str, Any]]]) -> str:
    """SHA-256 over the canonical form of the rows, in an order independent of storage."""
    encoded = sorted(canonical_row(name, content) for name, content in rows)
    return hashlib.sha256(_dumps(encoded).encode("utf-8")).hexdigest()


def record_hash(
    *,
    seq: int,
    recorded_at: datetime,
    kind: str,
    actor: str,
    plan_id: str | None,
    subject: str | None,
    digest: str,
    prev_hash: str,
) -> str:
    """The hash of one audit record's fields (the ``v`` tag versions the layout)."""
    fields = {
        "v": 1,
        "seq": seq,
        "recorded_at": recorded_at,
        "kind": kind,
        "actor": actor,
        "plan_id": plan_id,
        "subject": subject,
        "digest": digest,
        "prev_hash": prev_hash,
    }
    flat = _flat(fields)
    encoded = canonical_bytes(fields) if flat is None else _dumps(flat).encode("utf-8")
    return hashlib.sha256(encoded).hexdigest()


def stored_record_hash(record: Mapping[str, Any]) -> str:
    return record_hash(
        seq=record["seq"],
        recorded_at=record["recorded_at"],
        kind=record["kind"],
        actor=record["actor"],
        plan_id=record["plan_id"],
        subject=record["subject"],
        digest=record["digest"],
        prev_hash=record["prev_hash"],
    )


@dataclass(frozen=True)
class CorruptValue:
    """A stored value its column's type cannot read back (e.g. an amount that is not a number)."""

    seq: int | None
    table: str
    column: str
    raw: str


_processors: dict[tuple[str, str], list[tuple[str, Any]]] = {}


def _column_processors(table: Table, conn: Connection) -> list[tuple[str, Any]]:
    key = (table.name, conn.dialect.name)
    found = _processors.get(key)
    if found is None:
        found = [
            (c.name, c.type.dialect_impl(conn.dialect).result_processor(conn.dialect, None))
            for c in table.columns
        ]
        _processors[key] = found
    return found


def _read_rows(
    conn: Connection,
    table: Table,
    where: str,
    params: Mapping[str, Any],
    corrupt: list[CorruptValue] | None,
    seq_column: str,
) -> Iterator[dict[str, Any]]:
    """Rows of ``table`` read raw and converted value by value, so one bad value names itself.

    A value its column type refuses is kept as its raw text (which then fails
    the record's digest) and reported in ``corrupt``.
    """
    processors = _column_processors(table, conn)
    names = ", ".join(name for name, _ in processors)
    # names come from the table definitions in ledger.tables, never from input
    sql = text(f"SELECT {names} FROM {table.name}{where}")  # noqa: S608
    for raw in conn.execute(sql, dict(params)):
        row: dict[str, Any] = {}
        for (name, proc), value in zip(processors, raw, strict=True):
            if proc is None or value is None:
                row[name] = value
                continue
            try:
                row[name] = proc(value)
            except (ValueError, TypeError, ArithmeticError):
                row[name] = _Unreadable(value)
                if corrupt is not None:
                    seq = raw[[n for n, _ in processors].index(seq_column)]
                    corrupt.append(CorruptValue(seq, table.name, name, str(value)[:80]))
        yield row


def rows_by_seq(
    conn: Connection,
    low: int | None,
    high: int | None,
    corrupt: list[CorruptValue] | None = None,
) -> dict[int, list[tuple[str, dict[str, Any]]]]:
    """Every event row with ``low < audit_seq <= high`` (open ends when None), by audit_seq."""
    grouped: dict[int, list[tuple[str, dict[str, Any]]]] = {}
    clauses = []
    params: dict[str, Any] = {}
    if low is not None:
        clauses.append("audit_seq > :low")
        params["low"] = low
    if high is not None:
        clauses.append("audit_seq <= :high")
        params["high"] = high
    where = (" WHERE " + " AND ".join(clauses)) if clauses else ""
    for table in EVENT_TABLE_OBJECTS:
        for row in _read_rows(conn, table, where, params, corrupt, "audit_seq"):
            grouped.setdefault(row["audit_seq"], []).append((table.name, row_content(table, row)))
    return grouped


def iter_records(
    conn: Connection,
    *,
    since: datetime | None = None,
    batch: int = BATCH,
    corrupt: list[CorruptValue] | None = None,
) -> Iterator[list[dict[str, Any]]]:
    """Audit records in sequence order, a batch at a time.

    With ``corrupt`` (and no ``since``) values are read one by one, a value
    that cannot be read is kept as raw text and reported there (see
    :func:`_read_rows`).
    """
    last: int | None = None
    while True:
        if corrupt is not None and since is None:
            where = (" WHERE seq > :last" if last is not None else "") + (
                f" ORDER BY seq LIMIT {int(batch)}"
            )
            records = list(_read_rows(conn, AUDIT, where, {"last": last}, corrupt, "seq"))
        else:
            query = select(AUDIT).order_by(AUDIT.c.seq).limit(batch)
            if last is not None:
                query = query.where(AUDIT.c.seq > last)
            if since is not None:
                query = query.where(AUDIT.c.recorded_at >= since)
            records = [dict(r) for r in conn.execute(query).mappings()]
        if not records:
            return
        yield records
        last = records[-1]["seq"]


def head(conn: Connection) -> tuple[int, str]:
    """The last record's sequence number and hash; ``(0, GENESIS)`` for an empty chain."""
    # plain SQL, and on SQLite straight to the driver: this runs inside every append
    sql = "SELECT seq, hash FROM audit_records ORDER BY seq DESC LIMIT 1"
    if conn.dialect.name == "sqlite":
        from ledger.store import driver_execute

        row = driver_execute(conn, sql).fetchone()
    else:
        row = conn.exec_driver_sql(sql).first()
    if row is None:
        return 0, GENESIS
    return int(row[0]), str(row[1])


def count_records(conn: Connection) -> int:
    return int(conn.execute(select(func.count()).select_from(AUDIT)).scalar_one())


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the chain; ``seq`` names the record (None: not one record)."""

    seq: int | None
    code: str
    message: str
    kind: str | None = None

    def describe(self) -> str:
        where = f"record #{self.seq}" if self.seq is not None else "ledger"
        if self.kind:
            where += f" ({self.kind})"
        return f"{where}: {self.code}: {self.message}"


@dataclass(frozen=True)
class Checkpoint:
    """The head of the chain at some moment: its sequence number and hash."""

    sequence: int
    hash: str
    written_at: str | None = None
    ledger: str | None = None


@dataclass
class VerifyReport:
    records: int = 0
    head_seq: int = 0
    head_hash: str = GENESIS
    problems: list[Problem] = field(default_factory=list)
    checkpoint: Checkpoint | None = None
    truncated: bool = False
    signing: SigningReport | None = None

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def first(self) -> Problem | None:
        return self.problems[0] if self.problems else None


def verify(
    conn: Connection,
    *,
    checkpoint: Checkpoint | None = None,
    batch: int = BATCH,
    max_problems: int = 50,
) -> VerifyReport:
    """Recompute every record's digest and hash and every link; check the checkpoint.

    Problems come in sequence order, so ``report.first`` is the first bad record.
    After a problem the walk resynchronises on the stored values and goes on, so
    one edit does not hide a second one further on.
    """
    report = VerifyReport(checkpoint=checkpoint)
    expected_seq = 1
    prev_hash = GENESIS
    low: int | None = None
    checkpoint_hash: str | None = None

    def add(problem: Problem) -> None:
        if len(report.problems) < max_problems:
            report.problems.append(problem)
        else:
            report.truncated = True

    corrupt: list[CorruptValue] = []
    for records in iter_records(conn, batch=batch, corrupt=corrupt):
        high = records[-1]["seq"]
        rows = rows_by_seq(conn, low, high, corrupt)
        seqs = {r["seq"] for r in records}
        for record in records:
            seq = record["seq"]
            kind = record["kind"]
            report.records += 1
            if seq != expected_seq:
                if seq > expected_seq:
                    missing = (
                        f"#{expected_seq}"
                        if seq == expected_seq + 1
                        else f"#{expected_seq}..#{seq - 1}"
                    )
                    message = (
                        f"expected record #{expected_seq} next, found #{seq}: {missing} missing"
                    )
                else:
                    message = f"expected record #{expected_seq} next, found #{seq} out of order"
                add(Problem(seq, "GAP", message, kind))
            if record["prev_hash"] != prev_hash:
                add(
                    Problem(
                        seq,
                        "BROKEN_LINK",
                        "its prev_hash is not the hash of the record before it "
                        "(a record was removed, inserted or reordered before this one)",
                        kind,
                    )
                )
            try:
                recomputed = stored_record_hash(record)
            except (TypeError, ValueError):
                recomputed = ""  # a field that cannot be read back: reported as corrupt below
            if recomputed != record["hash"]:
                add(
                    Problem(
                        seq,
                        "RECORD_ALTERED",
                        "its stored hash does not match its fields (the record was edited)",
                        kind,
                    )
                )
            digest = event_digest(rows.get(seq, []))
            if digest != record["digest"]:
                tables = sorted({name for name, _ in rows.get(seq, [])})
                listed = ", ".join(tables) if tables else "no rows left"
                add(
                    Problem(
                        seq,
                        "CONTENT_ALTERED",
                        f"its event rows ({listed}) do not match its digest "
                        "(a row was edited, deleted or added)",
                        kind,
                    )
                )
            if checkpoint is not None and seq == checkpoint.sequence:
                checkpoint_hash = record["hash"]
            prev_hash = record["hash"]
            expected_seq = seq + 1
            report.head_seq = seq
            report.head_hash = record["hash"]
        for seq in sorted(set(rows) - seqs):
            names = sorted({name for name, _ in rows[seq]})
            add(
                Problem(
                    seq,
                    "ORPHAN_ROWS",
                    f"rows in {', '.join(names)} claim audit record #{seq}, which does not exist",
                )
            )
        low = high

    for seq, items in sorted(rows_by_seq(conn, low, None, corrupt).items()):
        names = sorted({name for name, _ in items})
        add(
            Problem(
                seq,
                "ORPHAN_ROWS",
                f"rows in {', '.join(names)} claim audit record #{seq}, past the last record",
            )
        )

    for bad in corrupt:
        add(
            Problem(
                bad.seq,
                "CORRUPT_VALUE",
                f"{bad.table}.{bad.column} holds {bad.raw!r}, which is not a valid value "
                "of that column (the stored value was overwritten)",
            )
        )

    if checkpoint is not None:
        if checkpoint.sequence > report.head_seq:
            add(
                Problem(
                    checkpoint.sequence,
                    "TRUNCATED",
                    f"the checkpoint names record #{checkpoint.sequence} but the log ends at "
                    f"#{report.head_seq}: records were removed after the checkpoint",
                )
            )
        elif checkpoint.sequence > 0 and checkpoint_hash is None:
            add(
                Problem(
                    checkpoint.sequence,
                    "CHECKPOINT_MISMATCH",
                    f"record #{checkpoint.sequence} named by the checkpoint is missing",
                )
            )
        elif checkpoint.sequence > 0 and checkpoint_hash != checkpoint.hash:
            add(
                Problem(
                    checkpoint.sequence,
                    "CHECKPOINT_MISMATCH",
                    f"record #{checkpoint.sequence} has hash {str(checkpoint_hash)[:16]}…, the "
                    f"checkpoint says {checkpoint.hash[:16]}…: the chain was rewritten",
                )
            )
    report.problems.sort(key=lambda p: (p.seq is None, p.seq or 0))
    return report


def write_checkpoint(path: str, checkpoint: Checkpoint) -> None:
    """Write ``checkpoint`` to ``path`` atomically (a reader never sees half a file)."""
    body = json.dumps(
        {
            "format": CHECKPOINT_FORMAT,
            "version": 1,
            "sequence": checkpoint.sequence,
            "hash": checkpoint.hash,
            "written_at": checkpoint.written_at,
            "ledger": checkpoint.ledger,
        },
        indent=2,
    )
    directory = os.path.dirname(os.path.abspath(path))
    try:
        fd, tmp = tempfile.mkstemp(dir=directory, prefix=".checkpoint-")
    except OSError as exc:
        raise InputError(
            f"cannot write the checkpoint {path}: {exc.strerror}",
            hint="choose a writable place, ideally outside the machine holding the ledger",
        ) from exc
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(body + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        os.unlink(tmp)
        raise InputError(f"cannot write the checkpoint {path}: {exc.strerror}") from exc


def read_checkpoint(path: str) -> Checkpoint:
    """Read a checkpoint file written by :func:`write_checkpoint`."""
    try:
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle)
    except FileNotFoundError:
        raise InputError(
            f"checkpoint file {path} not found",
            hint="write one with 'signoff audit checkpoint FILE'",
        ) from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"cannot read the checkpoint {path}: {exc}") from None
    if not isinstance(data, dict) or data.get("format") != CHECKPOINT_FORMAT:
        raise InputError(
            f"{path} is not a signoff audit checkpoint",
            hint="write one with 'signoff audit checkpoint FILE'",
        )
    sequence = data.get("sequence")
    digest = data.get("hash")
    if (
        not isinstance(sequence, int)
        or isinstance(sequence, bool)
        or sequence < 0
        or not isinstance(digest, str)
        or len(digest) != 64
    ):
        raise InputError(f"{path}: 'sequence' or 'hash' is missing or malformed")
    written = data.get("written_at")
    ledger = data.get("ledger")
    return Checkpoint(
        sequence=sequence,
        hash=digest,
        written_at=written if isinstance(written, str) else None,
        ledger=ledger if isinstance(ledger, str) else None,
    )


def sorted_rows(items: Sequence[tuple[str, dict[str, Any]]]) -> list[tuple[str, dict[str, Any]]]:
    """Rows of one record in a stable order for display and export."""
    return sorted(items, key=lambda item: (item[0], canonical_bytes(item[1])))
