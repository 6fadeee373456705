"""What the executor needs from the ledger, and a small file-backed journal that provides it.

The executor writes down that it is about to send an order (with its client
order id) *before* it sends it, then every state the venue reports, and every
step it refused. After a crash, :meth:`ExecutionJournal.unfinished` lists the
orders whose end nobody saw; reconciliation looks each one up at the venue by
client order id. The ledger implements the same protocol; :class:`SqliteJournal`
is the stand-alone one used by the executor process and the tests.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Literal, Protocol

from pydantic import Field

from executors.base import FINISHED, Fill, OrderRequest, OrderState, OrderStatus
from foundation.errors import LedgerError
from intent.plan import Frozen

_WAITING_COLUMNS = (
    "plan_id, step_id, venue, step, plan_steps, request, decision, personal, status,"
    " approval, reason, created_at, expires_at, updated_at"
)

JOURNAL_FILE = "journal.sqlite"

JournalStatus = Literal["sending", "unknown"] | OrderStatus
"""``sending``: written before sending; ``unknown``: sent, outcome not known yet."""


class JournalEntry(Frozen):
    client_order_id: str
    plan_id: str
    step_id: str
    venue: str
    request: OrderRequest
    status: JournalStatus
    state: OrderState | None = None
    reason: str | None = None
    created_at: datetime
    updated_at: datetime

    @property
    def finished(self) -> bool:
        return self.status in FINISHED


class ScheduleEntry(Frozen):
    """A recurring step: its runs are orders ``<client_order_id>.<n>`` in the journal."""

    client_order_id: str
    plan_id: str
    step_id: str
    venue: str
    request: OrderRequest
    first_at: datetime
    status: Literal["active", "finished", "canceled"]


class WaitingEntry(Frozen):
    """An escalated step waiting for (or given) its second signature."""

    plan_id: str
    step_id: str
    venue: str
    step: str = Field(description="the resolved step, as JSON")
    plan_steps: str = Field(description="the plan's resolved steps, as a JSON list")
    request: str = Field(description="the requester's signed request, as JSON")
    decision: str = Field(description="the executor's decision, as JSON")
    personal: str | None = None
    status: Literal["waiting", "approved", "rejected", "sent", "refused"]
    approval: str | None = None
    reason: str | None = None
    created_at: datetime
    expires_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class SentValue:
    """An order the executor sent, with its value in the policy currency when decided.

    Only the parts that never change once written (the request, who sent it, when,
    its value): the counters read every order of the last day before every send.
    """

    client_order_id: str
    plan_id: str
    step_id: str
    request: OrderRequest
    created_at: datetime
    notional: Decimal


class HeldTrigger(Frozen):
    """A conditional order the executor holds itself (the venue has not seen it): when
    its trigger crosses, it is decided again and only then sent, without the trigger."""

    client_order_id: str
    plan_id: str
    step_id: str
    venue: str
    request: OrderRequest
    status: Literal["waiting", "fired", "refused", "canceled"]
    reason: str | None = None
    created_at: datetime
    updated_at: datetime


class RefusalRecord(Frozen):
    plan_id: str
    step_id: str
    code: str
    message: str
    at: datetime


class ExecutionJournal(Protocol):
    def record_intent(
        self, *, plan_id: str, step_id: str, venue: str, request: OrderRequest, at: datetime
    ) -> None:
        """Before sending: the order and its client order id (idempotent per client id)."""
        ...

    def record_state(self, state: OrderState, *, at: datetime) -> None:
        """A state the venue reported, with any fills (fills are kept once per trade id)."""
        ...

    def record_unknown(self, client_order_id: str, reason: str, *, at: datetime) -> None:
        """Sent, but the outcome is not known: reconciliation must look it up."""
        ...

    def record_refusal(
        self, *, plan_id: str, step_id: str, code: str, message: str, at: datetime
    ) -> None:
        """A step the executor refused to send, and why."""
        ...

    def get(self, client_order_id: str) -> JournalEntry | None: ...

    def record_schedule(
        self, *, plan_id: str, step_id: str, venue: str, request: OrderRequest, first_at: datetime
    ) -> None:
        """A recurring step was approved and started (its first run is at ``first_at``)."""
        ...

    def schedule(self, client_order_id: str) -> ScheduleEntry | None: ...

    def active_schedules(self, venue: str) -> list[ScheduleEntry]: ...

    def end_schedule(
        self, client_order_id: str, status: Literal["finished", "canceled"], *, at: datetime
    ) -> None: ...

    def unfinished(self, venue: str) -> list[JournalEntry]:
        """Orders on ``venue`` whose end (filled, canceled, rejected, ...) was not seen."""
        ...


class SqliteJournal:
    """:class:`ExecutionJournal` in one SQLite file (WAL), safe across processes."""

    def __init__(self, path: str) -> None:
        os.makedirs(os.path.dirname(path) or ".", mode=0o700, exist_ok=True)
        self.path = path
        self._lock = threading.Lock()
        # parsed rows of sent_since, and the markets traded per venue (see each)
        self._sent_cache: dict[str, tuple[tuple[object, ...], SentValue]] = {}
        self._traded: dict[str, tuple[int, frozenset[str]]] = {}
        try:
            self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA busy_timeout=5000")
            # WAL commits survive a process crash without an fsync; only the record
            # written before sending is also forced to disk (see record_intent)
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.executescript(
                """
                CREATE TABLE IF NOT EXISTS orders (
                    client_order_id TEXT PRIMARY KEY,
                    plan_id TEXT NOT NULL, step_id TEXT NOT NULL, venue TEXT NOT NULL,
                    request TEXT NOT NULL, status TEXT NOT NULL, state TEXT, reason TEXT,
                    created_at TEXT NOT NULL, updated_at TEXT NOT NULL);
                CREATE INDEX IF NOT EXISTS orders_open ON orders (venue, status);
                CREATE TABLE IF NOT EXISTS fills (
                    trade_id TEXT NOT NULL, venue TEXT NOT NULL, client_order_id TEXT,
                    fill TEXT NOT NULL, PRIMARY KEY (venue, trade_id));
                CREATE TABLE IF NOT EXISTS schedules (
                    client_order_id TEXT PRIMARY KEY,
                    plan_id TEXT NOT NULL, step_id TEXT NOT NULL, venue TEXT NOT NULL,
                    request TEXT NOT NULL, first_at TEXT NOT NULL, status TEXT NOT NULL,
                    updated_at TEXT NOT NULL);
                CREATE TABLE IF NOT EXISTS refusals (
                    id INTEGER PRIMARY KEY, plan_id TEXT NOT NULL, step_id TEXT NOT NULL,
                    code TEXT NOT NULL, message TEXT NOT NULL, at TEXT NOT NULL);
                CREATE TABLE IF NOT EXISTS sent_values (
                    client_order_id TEXT PRIMARY KEY, notional TEXT NOT NULL,
                    step TEXT, decision TEXT);
                CREATE TABLE IF NOT EXISTS equity_peaks (
                    venue TEXT NOT NULL, since TEXT NOT NULL, peak TEXT NOT NULL,
                    PRIMARY KEY (venue, since));
                CREATE TABLE IF NOT EXISTS messages (
                    id INTEGER PRIMARY KEY, venue TEXT NOT NULL, at TEXT NOT NULL);
                CREATE TABLE IF NOT EXISTS held_triggers (
                    client_order_id TEXT PRIMARY KEY,
                    plan_id TEXT NOT NULL, step_id TEXT NOT NULL, venue TEXT NOT NULL,
                    request TEXT NOT NULL, status TEXT NOT NULL, reason TEXT,
                    created_at TEXT NOT NULL, updated_at TEXT NOT NULL);
                CREATE TABLE IF NOT EXISTS waiting (
                    plan_id TEXT NOT NULL, step_id TEXT NOT NULL, venue TEXT NOT NULL,
                    step TEXT NOT NULL, plan_steps TEXT NOT NULL, request TEXT NOT NULL,
                    decision TEXT NOT NULL, personal TEXT, status TEXT NOT NULL,
                    approval TEXT, reason TEXT, created_at TEXT NOT NULL,
                    expires_at TEXT NOT NULL, updated_at TEXT NOT NULL,
                    PRIMARY KEY (plan_id, step_id));
                """
            )
        except sqlite3.Error as exc:
            raise LedgerError(
                f"cannot open the execution journal {path}: {exc}",
                hint="check that the directory is writable and the file is not damaged",
            ) from exc

    def close(self) -> None:
        self._db.close()

    @contextmanager
    def _transaction(self, *, durable: bool = False) -> Iterator[sqlite3.Connection]:
        """One write transaction under the lock (``durable``: committed with
        ``synchronous=FULL``, on the disk on return); a database error is a LedgerError."""
        try:
            with self._lock:
                if durable:
                    self._db.execute("PRAGMA synchronous=FULL")
                try:
                    self._db.execute("BEGIN IMMEDIATE")
                    try:
                        yield self._db
                        self._db.execute("COMMIT")
                    except BaseException:
                        self._db.execute("ROLLBACK")
                        raise
                finally:
                    if durable:
                        self._db.execute("PRAGMA synchronous=NORMAL")
        except sqlite3.Error as exc:
            raise LedgerError(
                f"cannot write the execution journal {self.path}: {exc}",
                hint="check free disk space and permissions",
            ) from exc

    def _write(self, sql: str, args: tuple[object, ...]) -> None:
        with self._transaction() as db:
            db.execute(sql, args)

    def record_intent(
        self, *, plan_id: str, step_id: str, venue: str, request: OrderRequest, at: datetime
    ) -> None:
        # this record is what makes an order findable after any crash, power loss
        # included, so its commit waits for the disk; later records can be rebuilt
        # by reconciliation and do not
        self._insert_durably(
            "INSERT INTO orders VALUES (?, ?, ?, ?, ?, 'sending', NULL, NULL, ?, ?)"
            " ON CONFLICT (client_order_id) DO NOTHING",
            plan_id=plan_id,
            step_id=step_id,
            venue=venue,
            request=request,
            at=at,
        )

    def _insert_durably(
        self,
        sql: str,
        *,
        plan_id: str,
        step_id: str,
        venue: str,
        request: OrderRequest,
        at: datetime,
    ) -> None:
        """One order's row, committed with ``synchronous=FULL`` (on the disk on return)."""
        with self._transaction(durable=True) as db:
            db.execute(
                sql,
                (
                    request.client_order_id,
                    plan_id,
                    step_id,
                    venue,
                    request.model_dump_json(),
                    at.isoformat(),
                    at.isoformat(),
                ),
            )

    def record_state(self, state: OrderState, *, at: datetime) -> None:
        with self._transaction() as db:
            row = db.execute(
                "SELECT venue FROM orders WHERE client_order_id = ?", (state.client_order_id,)
            ).fetchone()
            db.execute(
                "UPDATE orders SET status = ?, state = ?, reason = ?, updated_at = ?"
                " WHERE client_order_id = ?",
                (
                    state.status,
                    state.model_dump_json(),
                    state.reason,
                    at.isoformat(),
                    state.client_order_id,
                ),
            )
            venue = row[0] if row else ""
            for fill in state.fills:
                db.execute(
                    "INSERT INTO fills VALUES (?, ?, ?, ?)"
                    " ON CONFLICT (venue, trade_id) DO NOTHING",
                    (fill.trade_id, venue, fill.client_order_id, fill.model_dump_json()),
                )

    def record_unknown(self, client_order_id: str, reason: str, *, at: datetime) -> None:
        self._write(
            "UPDATE orders SET status = 'unknown', reason = ?, updated_at = ?"
            " WHERE client_order_id = ? AND status IN ('sending', 'unknown')",
            (reason, at.isoformat(), client_order_id),
        )

    def record_refusal(
        self, *, plan_id: str, step_id: str, code: str, message: str, at: datetime
    ) -> None:
        self._write(
            "INSERT INTO refusals (plan_id, step_id, code, message, at) VALUES (?, ?, ?, ?, ?)",
            (plan_id, step_id, code, message, at.isoformat()),
        )

    @staticmethod
    def _entry(row: tuple[str, ...]) -> JournalEntry:
        cid, plan_id, step_id, venue, request, status, state, reason, created, updated = row
        return JournalEntry.model_validate(
            {
                "client_order_id": cid,
                "plan_id": plan_id,
                "step_id": step_id,
                "venue": venue,
                "request": json.loads(request),
                "status": status,
                "state": json.loads(state) if state else None,
                "reason": reason,
                "created_at": created,
                "updated_at": updated,
            }
        )

    def get(self, client_order_id: str) -> JournalEntry | None:
        with self._lock:
            row = self._db.execute(
                "SELECT * FROM orders WHERE client_order_id = ?", (client_order_id,)
            ).fetchone()
        return self._entry(row) if row else None

    def record_schedule(
        self, *, plan_id: str, step_id: str, venue: str, request: OrderRequest, first_at: datetime
    ) -> None:
        self._write(
            "INSERT INTO schedules VALUES (?, ?, ?, ?, ?, ?, 'active', ?)"
            " ON CONFLICT (client_order_id) DO NOTHING",
            (
                request.client_order_id,
                plan_id,
                step_id,
                venue,
                request.model_dump_json(),
                first_at.isoformat(),
                first_at.isoformat(),
            ),
        )

    @staticmethod
    def _schedule_entry(row: tuple[str, ...]) -> ScheduleEntry:
        cid, plan_id, step_id, venue, request, first_at, status, _updated = row
        return ScheduleEntry.model_validate(
            {
                "client_order_id": cid,
                "plan_id": plan_id,
                "step_id": step_id,
                "venue": venue,
                "request": json.loads(request),
                "first_at": first_at,
                "status": status,
            }
        )

    def schedule(self, client_order_id: str) -> ScheduleEntry | None:
        with self._lock:
            row = self._db.execute(
                "SELECT * FROM schedules WHERE client_order_id = ?", (client_order_id,)
            ).fetchone()
        return self._schedule_entry(row) if row else None

    def active_schedules(self, venue: str) -> list[ScheduleEntry]:
        with self._lock:
            rows = self._db.execute(
                "SELECT * FROM schedules WHERE venue = ? AND status = 'active'"
                " ORDER BY first_at, rowid",
                (venue,),
            ).fetchall()
        return [self._schedule_entry(r) for r in rows]

    def end_schedule(
        self, client_order_id: str, status: Literal["finished", "canceled"], *, at: datetime
    ) -> None:
        self._write(
            "UPDATE schedules SET status = ?, updated_at = ?"
            " WHERE client_order_id = ? AND status = 'active'",
            (status, at.isoformat(), client_order_id),
        )

    def entries(self) -> list[JournalEntry]:
        with self._lock:
            rows = self._db.execute("SELECT * FROM orders ORDER BY created_at, rowid").fetchall()
        return [self._entry(r) for r in rows]

    def unfinished(self, venue: str) -> list[JournalEntry]:
        placeholders = ",".join("?" * len(FINISHED))
        with self._lock:
            rows = self._db.execute(
                f"SELECT * FROM orders WHERE venue = ? AND status NOT IN ({placeholders})"  # noqa: S608
                " ORDER BY created_at, rowid",
                (venue, *sorted(FINISHED)),
            ).fetchall()
        return [self._entry(r) for r in rows]

    def refusals(self) -> list[RefusalRecord]:
        with self._lock:
            rows = self._db.execute(
                "SELECT plan_id, step_id, code, message, at FROM refusals ORDER BY id"
            ).fetchall()
        return [
            RefusalRecord(plan_id=p, step_id=s, code=c, message=m, at=datetime.fromisoformat(a))
            for p, s, c, m, a in rows
        ]

    def fills(self) -> list[Fill]:
        with self._lock:
            rows = self._db.execute("SELECT fill FROM fills ORDER BY rowid").fetchall()
        return [Fill.model_validate_json(r[0]) for r in rows]

    def fills_on(self, venue: str, after: int = 0) -> list[tuple[int, Fill]]:
        """The fills of ``venue``'s orders recorded after row ``after``, in the order they
        were recorded, each with its row number (pass the last one to read only new ones)."""
        with self._lock:
            rows = self._db.execute(
                "SELECT rowid, fill FROM fills WHERE venue = ? AND rowid > ? ORDER BY rowid",
                (venue, after),
            ).fetchall()
        return [(r[0], Fill.model_validate_json(r[1])) for r in rows]

    # ------------------------------------------------------------- the gate's own counters
    def equity_peak(self, venue: str, since: datetime, equity: Decimal) -> Decimal:
        """The highest account value seen on ``venue`` since ``since``, ``equity`` included
        (the loss breaker's drawdown is measured from it)."""
        key = since.isoformat()
        with self._transaction() as db:
            row = db.execute(
                "SELECT peak FROM equity_peaks WHERE venue = ? AND since = ?", (venue, key)
            ).fetchone()
            peak = equity if row is None else max(Decimal(row[0]), equity)
            db.execute(
                "INSERT INTO equity_peaks VALUES (?, ?, ?)"
                " ON CONFLICT (venue, since) DO UPDATE SET peak = excluded.peak",
                (venue, key, str(peak)),
            )
        return peak

    def record_value(
        self,
        client_order_id: str,
        notional: Decimal,
        *,
        step: str | None = None,
        decision: str | None = None,
    ) -> None:
        """The value (policy currency) an order was decided at, and the step it came from."""
        self._write(
            "INSERT INTO sent_values VALUES (?, ?, ?, ?) ON CONFLICT (client_order_id) DO NOTHING",
            (client_order_id, str(notional), step, decision),
        )

    def record_message(self, venue: str, at: datetime) -> None:
        """A message sent to the venue that is not an order (a cancel)."""
        self._write("INSERT INTO messages (venue, at) VALUES (?, ?)", (venue, at.isoformat()))

    def sent_since(self, venue: str, since: datetime) -> list[SentValue]:
        """Orders sent to ``venue`` since ``since``, with their values (0 when not recorded).

        Read from the file every time; what a row holds here never changes once
        written (an order's request and time, its value: both insert-once), so each
        row is parsed once and kept, keyed by what was read.
        """
        with self._lock:
            rows = self._db.execute(
                "SELECT o.client_order_id, o.plan_id, o.step_id, o.request, o.created_at,"
                " v.notional FROM orders o LEFT JOIN sent_values v"
                " ON v.client_order_id = o.client_order_id"
                " WHERE o.venue = ? AND o.created_at >= ? ORDER BY o.created_at, o.rowid",
                (venue, since.isoformat()),
            ).fetchall()
        result: list[SentValue] = []
        cache = self._sent_cache
        for cid, plan_id, step_id, request, created, notional in rows:
            key = (cid, plan_id, step_id, request, created, notional)
            found = cache.get(cid)
            if found is None or found[0] != key:
                value = SentValue(
                    client_order_id=cid,
                    plan_id=plan_id,
                    step_id=step_id,
                    request=OrderRequest.model_validate_json(request),
                    created_at=datetime.fromisoformat(created),
                    notional=Decimal(notional or "0"),
                )
                found = (key, value)
                cache[cid] = found
            result.append(found[1])
        if len(cache) > 4 * len(rows) + 1024:
            # orders older than the window are no longer asked for
            keep = {r[0] for r in rows}
            self._sent_cache = {k: v for k, v in cache.items() if k in keep}
        return result

    def messages_since(self, venue: str, since: datetime) -> list[datetime]:
        with self._lock:
            rows = self._db.execute(
                "SELECT at FROM messages WHERE venue = ? AND at >= ?", (venue, since.isoformat())
            ).fetchall()
        return [datetime.fromisoformat(r[0]) for r in rows]

    def symbols_traded(self, venue: str) -> set[str]:
        """Every market an order was ever sent to on ``venue`` (orders are never deleted,
        so only the rows added since the last call are read)."""
        with self._lock:
            last, known = self._traded.get(venue, (0, frozenset()))
            rows = self._db.execute(
                "SELECT rowid, json_extract(request, '$.symbol') FROM orders"
                " WHERE venue = ? AND rowid > ?",
                (venue, last),
            ).fetchall()
            if rows:
                last = max(last, *(r[0] for r in rows))
                known = known | {r[1] for r in rows if r[1]}
                self._traded[venue] = (last, known)
        return set(known)

    def step_of(self, client_order_id: str) -> str | None:
        with self._lock:
            row = self._db.execute(
                "SELECT step FROM sent_values WHERE client_order_id = ?", (client_order_id,)
            ).fetchone()
        return row[0] if row else None

    # ------------------------------------------------------------- triggers held here
    def record_held(
        self, *, plan_id: str, step_id: str, venue: str, request: OrderRequest, at: datetime
    ) -> None:
        """A conditional order now held by the executor (on disk before it is reported)."""
        self._insert_durably(
            "INSERT INTO held_triggers VALUES (?, ?, ?, ?, ?, 'waiting', NULL, ?, ?)"
            " ON CONFLICT (client_order_id) DO NOTHING",
            plan_id=plan_id,
            step_id=step_id,
            venue=venue,
            request=request,
            at=at,
        )

    @staticmethod
    def _held(row: tuple[str, ...]) -> HeldTrigger:
        cid, plan_id, step_id, venue, request, status, reason, created, updated = row
        return HeldTrigger.model_validate(
            {
                "client_order_id": cid,
                "plan_id": plan_id,
                "step_id": step_id,
                "venue": venue,
                "request": json.loads(request),
                "status": status,
                "reason": reason,
                "created_at": created,
                "updated_at": updated,
            }
        )

    def held(self, venue: str) -> list[HeldTrigger]:
        """The conditional orders on ``venue`` still waiting for their trigger here."""
        with self._lock:
            rows = self._db.execute(
                "SELECT * FROM held_triggers WHERE venue = ? AND status = 'waiting'"
                " ORDER BY created_at, rowid",
                (venue,),
            ).fetchall()
        return [self._held(r) for r in rows]

    def held_entry(self, client_order_id: str) -> HeldTrigger | None:
        with self._lock:
            row = self._db.execute(
                "SELECT * FROM held_triggers WHERE client_order_id = ?", (client_order_id,)
            ).fetchone()
        return self._held(row) if row else None

    def end_held(
        self,
        client_order_id: str,
        status: Literal["fired", "refused", "canceled"],
        *,
        at: datetime,
        reason: str | None = None,
    ) -> None:
        self._write(
            "UPDATE held_triggers SET status = ?, reason = ?, updated_at = ?"
            " WHERE client_order_id = ? AND status = 'waiting'",
            (status, reason, at.isoformat(), client_order_id),
        )

    # ------------------------------------------------------------- waiting approvals
    def record_waiting(self, entry: WaitingEntry) -> None:
        data = entry.model_dump(mode="json")
        self._write(
            f"INSERT INTO waiting ({_WAITING_COLUMNS}) VALUES"  # noqa: S608
            " (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (plan_id, step_id) DO NOTHING",
            tuple(data[c.strip()] for c in _WAITING_COLUMNS.split(",")),
        )

    def set_waiting(
        self,
        plan_id: str,
        step_id: str,
        status: str,
        *,
        at: datetime,
        approval: str | None = None,
        reason: str | None = None,
    ) -> None:
        self._write(
            "UPDATE waiting SET status = ?, approval = COALESCE(?, approval),"
            " reason = COALESCE(?, reason), updated_at = ? WHERE plan_id = ? AND step_id = ?",
            (status, approval, reason, at.isoformat(), plan_id, step_id),
        )

    @staticmethod
    def _waiting(row: tuple[str, ...]) -> WaitingEntry:
        names = [c.strip() for c in _WAITING_COLUMNS.split(",")]
        return WaitingEntry.model_validate(dict(zip(names, row, strict=True)))

    def waiting_entry(self, plan_id: str, step_id: str) -> WaitingEntry | None:
        with self._lock:
            row = self._db.execute(
                f"SELECT {_WAITING_COLUMNS} FROM waiting WHERE plan_id = ? AND step_id = ?",  # noqa: S608
                (plan_id, step_id),
            ).fetchone()
        return self._waiting(row) if row else None

    def waiting_entries(
        self, *, status: str | None = None, plan_id: str | None = None
    ) -> list[WaitingEntry]:
        sql = f"SELECT {_WAITING_COLUMNS} FROM waiting WHERE 1 = 1"  # noqa: S608
        args: list[str] = []
        if status is not None:
            sql += " AND status = ?"
            args.append(status)
        if plan_id is not None:
            sql += " AND plan_id = ?"
            args.append(plan_id)
        with self._lock:
            rows = self._db.execute(sql + " ORDER BY created_at, rowid", args).fetchall()
        return [self._waiting(r) for r in rows]

    def decision_of(self, client_order_id: str) -> str | None:
        with self._lock:
            row = self._db.execute(
                "SELECT decision FROM sent_values WHERE client_order_id = ?", (client_order_id,)
            ).fetchone()
        return row[0] if row else None
