"""Where the ledger lives and how its connections behave.

SQLite (the default) at ``$SIGNOFF_HOME/ledger.sqlite3``; PostgreSQL when
``SIGNOFF_DB_URL`` is a ``postgresql+psycopg://`` URL. The same tables and the
same code serve both.

SQLite settings, applied to every connection:

- ``journal_mode=WAL``: readers never block the writer, and a commit is one
  append to the WAL file;
- ``synchronous=FULL``: every commit fsyncs the WAL, so a committed record
  survives a process kill *and* an operating-system crash or power loss
  (``NORMAL`` would survive only a process kill in WAL mode);
- ``busy_timeout``: a writer waits for another process's write instead of
  failing at once;
- ``foreign_keys=ON``: SQLite checks foreign keys only when asked.

Appends serialise on the chain's head: on SQLite a write transaction starts
with ``BEGIN IMMEDIATE``, taking the write lock *before* the head is read; on
PostgreSQL it first takes a transaction-level advisory lock keyed on the
schema, released by commit or rollback.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, Dialect, Engine, Table, create_engine, event, inspect, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError, SQLAlchemyError
from sqlmodel import SQLModel, select

from foundation import paths
from foundation.errors import LedgerError, SchemaVersionError
from foundation.secrets import redact, register_secret
from ledger.tables import (
    APPEND_ONLY_TABLES,
    EVENT_TABLES,
    SCHEMA_VERSION,
    AuditRecord,
    AuditSignatureRow,
    SchemaInfo,
)

ENV_DB_URL = "SIGNOFF_DB_URL"
LEDGER_FILE = "ledger.sqlite3"
BUSY_TIMEOUT_MS = 30_000
_ADVISORY_KEY = 0x5161_7564  # 'Qaud': any constant; the schema name is the second key
_BEGIN_OPTION = "signoff_sqlite_begin"

ALL_TABLES: tuple[type[SQLModel], ...] = (SchemaInfo, AuditRecord, AuditSignatureRow, *EVENT_TABLES)
UPGRADABLE_FROM = SCHEMA_VERSION - 1
"""The one older schema version upgraded in place: it lacks only the tables below."""
_ADDED_TABLES = frozenset({"audit_signatures"})
"""Tables the previous version lacks; its next writer adds them (see :func:`ensure_schema`)."""
TABLE_NAMES = frozenset(str(t.__tablename__) for t in ALL_TABLES)

_URL_HINT = (
    "set SIGNOFF_DB_URL to postgresql+psycopg://USER@HOST:PORT/DBNAME, "
    "or to sqlite:///PATH, or unset it to use $SIGNOFF_HOME/ledger.sqlite3"
)


def ledger_url(explicit: str | None = None) -> URL:
    """The ledger's database URL: ``explicit``, else ``SIGNOFF_DB_URL``, else the SQLite file."""
    raw = (explicit or os.environ.get(ENV_DB_URL, "")).strip()
    if not raw:
        path = os.path.join(paths.home(create=True), LEDGER_FILE)
        return URL.create("sqlite+pysqlite", database=path)
    try:
        url = make_url(raw)
    except ArgumentError:
        # the raw value may hold a password: do not echo it
        raise LedgerError("SIGNOFF_DB_URL is not a database URL", hint=_URL_HINT) from None
    register_secret(url.password if isinstance(url.password, str) else None, "database password")
    backend = url.get_backend_name()
    driver = url.get_driver_name()
    if backend == "sqlite" and driver in ("pysqlite", ""):
        if not url.database or url.database == ":memory:":
            raise LedgerError(
                "an in-memory SQLite ledger would be lost at exit; give a file path",
                hint=_URL_HINT,
            )
        return url.set(drivername="sqlite+pysqlite")
    if backend == "postgresql" and (driver == "psycopg" or url.drivername == "postgresql"):
        # plain postgresql:// means the psycopg (3) driver here, whatever SQLAlchemy's default
        return url.set(drivername="postgresql+psycopg")
    raise LedgerError(
        f"unsupported ledger database '{url.drivername}' in {describe_url(url)}",
        hint=_URL_HINT,
    )


def describe_url(url: URL) -> str:
    """The URL for people: never with its password."""
    if url.get_backend_name() == "sqlite":
        return str(url.database)
    return url.render_as_string(hide_password=True)


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


def _sqlite_listeners(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # sqlite3's own transaction handling would BEGIN lazily (deferred) and
        # not at all for SELECT; SQLAlchemy emits BEGIN itself in _on_begin
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=FULL")
            cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
            cursor.execute("PRAGMA foreign_keys=ON")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        mode = conn.get_execution_options().get(_BEGIN_OPTION, "DEFERRED")
        # straight to the driver: SQLAlchemy's statement machinery would add a
        # sizeable share of an append's time for a statement with no parameters
        driver_execute(conn, f"BEGIN {mode}")


def create_ledger_engine(url: URL) -> Engine:
    """An engine for ``url`` with the ledger's connection settings (see the module doc)."""
    try:
        if url.get_backend_name() == "sqlite":
            engine = create_engine(
                url, connect_args={"timeout": BUSY_TIMEOUT_MS / 1000}, pool_pre_ping=False
            )
            _sqlite_listeners(engine)
            return engine
        return create_engine(url, connect_args={"connect_timeout": 10})
    except (NoSuchModuleError, ImportError) as exc:
        raise LedgerError(
            f"the driver for {url.drivername} is not installed",
            hint="install it with: pip install 'signoff[postgres]'",
        ) from exc


def writer_connection(engine: Engine) -> Connection:
    """A connection whose transactions take the write lock (see :func:`locked`)."""
    conn = engine.connect()
    if is_sqlite(engine):
        conn.execution_options(**{_BEGIN_OPTION: "IMMEDIATE"})
    return conn


@contextmanager
def locked(conn: Connection) -> Iterator[Connection]:
    """A transaction on a :func:`writer_connection` that holds the ledger's write lock.

    The lock is taken by the transaction's first statement, before anything is
    read, so what is read inside (the chain's head above all) stays current
    until the commit, and concurrent appends from several processes form one chain.
    """
    with conn.begin():
        if conn.dialect.name != "sqlite":
            conn.execute(_PG_LOCK, {"key": _ADVISORY_KEY})
        yield conn


@contextmanager
def commit_durably(conn: Connection, durable: bool) -> Iterator[None]:
    """On SQLite with ``durable=False``: the transaction inside commits with
    ``synchronous=NORMAL`` (in WAL mode: written, not fsynced; a process crash keeps
    it, a power loss may not until the WAL is next synced). Anywhere else: nothing."""
    if durable or conn.dialect.name != "sqlite":
        yield
        return
    driver_execute(conn, "PRAGMA synchronous=NORMAL")
    try:
        yield
    finally:
        driver_execute(conn, "PRAGMA synchronous=FULL")


_PG_LOCK = text("SELECT pg_advisory_xact_lock(:key, hashtext(current_schema()))")


@contextmanager
def write_transaction(engine: Engine) -> Iterator[Connection]:
    """A locked write transaction on a fresh connection (see :func:`locked`)."""
    with writer_connection(engine) as conn, locked(conn):
        yield conn


@contextmanager
def read_transaction(engine: Engine) -> Iterator[Connection]:
    """A transaction that sees one consistent state of the ledger throughout."""
    with engine.connect() as conn:
        if not is_sqlite(engine):
            # SQLite's deferred transaction in WAL mode is already a snapshot
            conn.execution_options(isolation_level="REPEATABLE READ")
        with conn.begin():
            yield conn


_InsertPlan = tuple[str, list[tuple[str, Callable[[Any], Any] | None]]]
_insert_plans: dict[tuple[str, str], _InsertPlan] = {}


def _insert_plan(table: Table, dialect: Dialect) -> _InsertPlan:
    key = (table.name, dialect.name)
    plan = _insert_plans.get(key)
    if plan is None:
        columns = list(table.columns)
        # names come from the table definitions in ledger.tables, never from input
        sql = (
            f"INSERT INTO {table.name} ({', '.join(c.name for c in columns)}) "  # noqa: S608
            f"VALUES ({', '.join('?' for _ in columns)})"
        )
        plan = (sql, [(c.name, c.type.bind_processor(dialect)) for c in columns])
        _insert_plans[key] = plan
    return plan


def driver_execute(
    conn: Connection, sql: str, params: Sequence[Any] | None = None, *, many: bool = False
) -> Any:
    """Run ``sql`` on SQLite's own connection (the hot path), errors wrapped as SQLAlchemy's.

    Returns the driver's cursor. Wrapping keeps one error path: callers map
    :class:`~sqlalchemy.exc.DBAPIError` to :class:`LedgerError` as for any statement.
    """
    driver = conn.connection.driver_connection
    assert driver is not None
    try:
        if many:
            return driver.executemany(sql, params or [])
        return driver.execute(sql, params or ())
    except sqlite3.Error as exc:
        raise DBAPIError.instance(sql, params, exc, sqlite3.Error) from exc


def insert_rows(conn: Connection, table: Table, rows: list[dict[str, Any]]) -> None:
    """Insert ``rows`` (every column given) into ``table`` inside the open transaction.

    On SQLite the statement goes straight to the driver, with each value passed
    through its column type's own bind processor (so money and times are stored
    exactly as SQLAlchemy would store them): appends are the hot path, and
    SQLAlchemy's per-statement machinery costs more than SQLite's insert itself.
    """
    if conn.dialect.name != "sqlite":
        conn.execute(table.insert(), rows)
        return
    sql, columns = _insert_plan(table, conn.dialect)
    params = [
        tuple(proc(row[name]) if proc else row[name] for name, proc in columns) for row in rows
    ]
    if len(params) == 1:
        driver_execute(conn, sql, params[0])
    else:
        driver_execute(conn, sql, params, many=True)


def _append_only_sql(dialect: str, tables: Sequence[str] = APPEND_ONLY_TABLES) -> list[str]:
    if dialect == "sqlite":
        statements = []
        for table in tables:
            for op in ("UPDATE", "DELETE"):
                statements.append(
                    f"CREATE TRIGGER IF NOT EXISTS {table}_no_{op.lower()} "
                    f"BEFORE {op} ON {table} BEGIN "
                    f"SELECT RAISE(ABORT, 'signoff ledger: {table} is append-only'); END"
                )
        return statements
    statements = [
        "CREATE OR REPLACE FUNCTION signoff_append_only() RETURNS trigger "
        "LANGUAGE plpgsql AS $fn$ BEGIN "
        "RAISE EXCEPTION USING MESSAGE = 'signoff ledger: ' || TG_TABLE_NAME "
        "|| ' is append-only'; END $fn$"
    ]
    for table in tables:
        statements.append(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION signoff_append_only()"
        )
        statements.append(
            f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION signoff_append_only()"
        )
    return statements


def _check_version(conn: Connection, where: str) -> int:
    found = conn.execute(
        select(SchemaInfo.value).where(SchemaInfo.key == "schema_version")
    ).scalar_one_or_none()
    if found is None:
        raise SchemaVersionError(
            f"the ledger at {where} has no schema version: it was not written by signoff "
            "or is damaged",
            hint="point SIGNOFF_DB_URL at another database; nothing was changed",
        )
    try:
        version = int(found)
    except ValueError:
        version = -1
    if version in (UPGRADABLE_FROM, SCHEMA_VERSION):
        return version
    if version > SCHEMA_VERSION:
        raise SchemaVersionError(
            f"the ledger at {where} has schema version {found}, newer than this signoff "
            f"understands ({SCHEMA_VERSION})",
            hint="upgrade signoff to read it; nothing was changed",
        )
    raise SchemaVersionError(
        f"the ledger at {where} has an unknown schema version {found!r} "
        f"(this signoff writes version {SCHEMA_VERSION})",
        hint="no migration exists for it; keep it as it is and use another database",
    )


def ensure_schema(engine: Engine, *, where: str, create: bool) -> None:
    """Check the schema version; create the tables in an empty database if ``create``.

    A database from another schema version is refused, never altered. A
    ledger of the version before (no ``audit_signatures``) is upgraded when ``create`` (a
    writer opens it): the new table is added and nothing existing changes;
    a reader reads it as it is.
    """
    with write_transaction(engine) as conn:
        names = set(inspect(conn).get_table_names())
        if "schema_info" in names:
            version = _check_version(conn, where)
            missing = TABLE_NAMES - names
            if version == UPGRADABLE_FROM and missing <= _ADDED_TABLES:
                if create:
                    _upgrade(conn, missing)
                return
            if missing:
                raise LedgerError(
                    f"the ledger at {where} lacks table(s) {', '.join(sorted(missing))}",
                    hint="the database is damaged; restore it from a backup",
                )
            return
        ours = names & TABLE_NAMES
        if ours:
            raise SchemaVersionError(
                f"the database at {where} has ledger tables ({', '.join(sorted(ours))}) "
                "but no schema version",
                hint="it was not created by this signoff; nothing was changed",
            )
        if not create:
            raise LedgerError(
                f"there is no ledger at {where} yet",
                hint="nothing has been recorded there; check SIGNOFF_HOME or SIGNOFF_DB_URL",
            )
        tables = [t.__table__ for t in ALL_TABLES]  # type: ignore[attr-defined]
        SchemaInfo.metadata.create_all(conn, tables=tables)
        for statement in _append_only_sql(engine.dialect.name):
            conn.exec_driver_sql(statement)
        conn.execute(
            SchemaInfo.__table__.insert(),  # type: ignore[attr-defined]
            [{"key": "schema_version", "value": str(SCHEMA_VERSION)}],
        )


def _upgrade(conn: Connection, missing: frozenset[str] | set[str]) -> None:
    tables = [t.__table__ for t in ALL_TABLES if t.__tablename__ in missing]  # type: ignore[attr-defined]
    SchemaInfo.metadata.create_all(conn, tables=tables)
    for statement in _append_only_sql(conn.dialect.name, sorted(missing)):
        conn.exec_driver_sql(statement)
    conn.execute(
        text("UPDATE schema_info SET value = :v WHERE key = 'schema_version'"),
        {"v": str(SCHEMA_VERSION)},
    )


def map_db_error(exc: SQLAlchemyError, where: str) -> LedgerError:
    """A library error as a :class:`LedgerError` that says what to do."""
    original = exc.orig if isinstance(exc, DBAPIError) else None
    # a driver's message may quote a connection string: scrub known secrets
    lines = redact(str(original or exc)).strip().splitlines()
    detail = lines[0] if lines else type(exc).__name__
    lowered = detail.lower()
    if "locked" in lowered or "lock timeout" in lowered:
        return LedgerError(
            f"the ledger at {where} stayed busy for {BUSY_TIMEOUT_MS // 1000} s",
            hint="another signoff process is writing; try again",
        )
    if "not a database" in lowered:
        return LedgerError(f"{where} is not a SQLite database", hint=_URL_HINT)
    if "connection" in lowered or "could not connect" in lowered or "timeout" in lowered:
        return LedgerError(
            f"cannot reach the ledger database {where}: {detail}",
            hint="check that the server runs and SIGNOFF_DB_URL is right",
        )
    return LedgerError(f"ledger database error at {where}: {detail}")
