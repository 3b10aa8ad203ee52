"""SQLAlchemy engines set up for several processes sharing one database.

SQLite gets WAL (readers never wait for a loader), foreign keys and a long busy
timeout. Durability is synchronous=NORMAL by default: in WAL mode a committed
transaction survives a killed process and the database never corrupts, but the
last commits before a power cut may be lost (the previous list version, and a
shorter but still valid audit chain, remain). That keeps an audit record per
screening cheap (no fsync per commit). TAMIZ_SQLITE_SYNCHRONOUS=FULL trades that
speed for power-loss durability; PostgreSQL is the choice for production. Write transactions on SQLite start with
BEGIN IMMEDIATE (see `write_connection`) so two loaders serialise up front
instead of failing with "database is locked" half-way.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.pool import StaticPool

from tamiz.errors import StoreError

BUSY_TIMEOUT_S = 60
_WRITE = "tamiz_write"


def make_engine(url: str) -> Engine:
    try:
        parsed = make_url(url)
    except Exception as exc:  # sqlalchemy.exc.ArgumentError
        raise StoreError(f"invalid database URL {url!r}: {exc}") from exc
    if parsed.get_backend_name() != "sqlite":
        try:
            return create_engine(parsed, pool_pre_ping=True)
        except (ImportError, SQLAlchemyError) as exc:  # unknown dialect, driver not installed
            raise StoreError(
                f"cannot use database URL {parsed.render_as_string(hide_password=True)}: {exc}"
            ) from exc
    memory = parsed.database in (None, "", ":memory:")
    engine = create_engine(
        parsed,
        connect_args={"timeout": BUSY_TIMEOUT_S, "check_same_thread": False},
        **({"poolclass": StaticPool} if memory else {}),
    )
    _sqlite_setup(engine, wal=not memory)
    return engine


def _sqlite_setup(engine: Engine, wal: bool) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record) -> None:  # type: ignore[no-untyped-def]
        # Let SQLAlchemy's "begin" event (below) issue BEGIN, not pysqlite.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_S * 1000}")
        cur.execute("PRAGMA foreign_keys = ON")
        if wal:
            cur.execute("PRAGMA journal_mode = WAL")
        cur.execute(f"PRAGMA synchronous = {sqlite_synchronous()}")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        mode = "IMMEDIATE" if conn.get_execution_options().get(_WRITE) else "DEFERRED"
        conn.exec_driver_sql(f"BEGIN {mode}")


def sqlite_synchronous() -> str:
    value = os.environ.get("TAMIZ_SQLITE_SYNCHRONOUS", "NORMAL").upper()
    if value not in ("NORMAL", "FULL", "EXTRA"):
        raise StoreError(f"TAMIZ_SQLITE_SYNCHRONOUS must be NORMAL, FULL or EXTRA, not {value!r}")
    return value


def write_connection(engine: Engine) -> Connection:
    """A connection whose transactions take the write lock when they begin."""
    return engine.connect().execution_options(**{_WRITE: True})


def utc(value: datetime | str) -> datetime:
    """A timestamp read back from the database, as an aware UTC datetime: SQLite drops the zone, and
    some drivers hand back text."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
