"""The append-only, hash-chained audit log.

Every record carries the hash of the one before it, so changing, inserting or
deleting a stored record breaks the chain at that point and `verify()` names
it. Appends are serialised by the database itself (BEGIN IMMEDIATE on SQLite,
a row lock on the chain head on PostgreSQL), so concurrent processes extend one
chain and a process killed mid-write leaves either its whole transaction or
nothing.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from typing import IO, Any

from sqlalchemy import Connection, Engine, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from tamiz.audit.chain import GENESIS, canonical, canonical_payload, link_hash, timestamp
from tamiz.audit.tables import AuditEntry, AuditHead
from tamiz.store.engine import write_connection

HEAD_ID = 1
KINDS = frozenset({"screen", "batch", "text", "message", "decision", "approval", "alert", "list_load", "monitor",
                   "admin", "webhook"})


_COLUMNS = ("seq", "ts", "actor", "kind", "payload", "prev_hash", "hash")


_MARKS = {"qmark": "?", "format": "%s", "pyformat": "%s"}


def _insert_rows(conn: Connection, rows: list[tuple[Any, ...]]) -> None:
    """Straight to the driver's executemany where its parameter style allows:
    SQLAlchemy's per-row parameter processing cost more than the rest of a record."""
    mark = _MARKS.get(conn.dialect.paramstyle)
    if mark is None:
        conn.execute(insert(AuditEntry), [dict(zip(_COLUMNS, r)) for r in rows])
        return
    sql = f"INSERT INTO {AuditEntry.__tablename__} ({', '.join(_COLUMNS)}) VALUES ({', '.join([mark] * len(_COLUMNS))})"
    conn.exec_driver_sql(sql, rows)


@dataclass(frozen=True, slots=True)
class AuditRecord:
    seq: int
    ts: datetime
    actor: str
    kind: str
    payload: dict[str, Any]
    prev_hash: str
    hash: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "ts": timestamp(self.ts),
            "actor": self.actor,
            "kind": self.kind,
            "payload": self.payload,
            "prev_hash": self.prev_hash,
            "hash": self.hash,
        }


@dataclass(frozen=True, slots=True)
class VerifyResult:
    ok: bool
    checked: int
    first_bad_seq: int | None = None
    problem: str | None = None
    head_seq: int = 0
    head_hash: str = GENESIS
    findings: tuple[str, ...] = ()  # what the `checks` given to verify() found, one line each

    @property
    def chain_ok(self) -> bool:
        return self.first_bad_seq is None


# Checks another package runs against the log inside verify()'s read transaction; each returns problem lines.
VerifyCheck = Callable[[Connection], Sequence[str]]


def _parse_ts(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)


def _bound(value: datetime | date | str | None) -> str | None:
    if value is None or isinstance(value, str):
        return value
    if not isinstance(value, datetime):
        value = datetime(value.year, value.month, value.day, tzinfo=UTC)
    elif value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return timestamp(value)


class AuditLog:
    """Append and check the chain. Give it an engine from `tamiz.store.engine.make_engine`."""

    def __init__(self, engine: Engine):
        self.engine = engine
        self._head_ready = False

    # -- writing -----------------------------------------------------------------

    def record(self, kind: str, actor: str, payload: dict[str, Any], conn: Connection | None = None) -> AuditRecord:
        """Append one record. With `conn`, it joins the caller's (write) transaction."""
        return self.record_many([(kind, actor, payload)], conn=conn)[0]

    def record_many(
        self, items: Iterable[tuple[str, str, dict[str, Any]]], conn: Connection | None = None, *, returning: bool = True
    ) -> list[AuditRecord]:
        """Append many records in one transaction: one lock and one commit for all.

        `returning=False` skips building the returned records (group commit has no use for them).
        """
        prepared = [(self._check_kind(kind), str(actor), canonical_payload(payload)) for kind, actor, payload in items]
        if not prepared:
            return []
        self._ensure_head(conn)
        if conn is not None:
            return self._append(conn, prepared, returning)
        with write_connection(self.engine) as own, own.begin():
            return self._append(own, prepared, returning)

    def lock(self, conn: Connection) -> None:
        """Take the chain's write lock now, at the start of a transaction that will append later.

        Case changes read state (is this alert already open?) before they append. Locking
        first serialises them on PostgreSQL as BEGIN IMMEDIATE does on SQLite, so two
        processes never both open one alert, and every writer locks in one order (no deadlock).
        """
        self._ensure_head(conn)
        conn.execute(select(AuditHead.seq).where(AuditHead.id == HEAD_ID).with_for_update())

    @staticmethod
    def _check_kind(kind: str) -> str:
        if not kind or not isinstance(kind, str) or len(kind) > 32:
            raise ValueError(f"audit kind must be a short non-empty string, got {kind!r}")
        return kind

    def _append(self, conn: Connection, prepared: list[tuple[str, str, str]], returning: bool = True) -> list[AuditRecord]:
        seq, prev = conn.execute(
            select(AuditHead.seq, AuditHead.hash).where(AuditHead.id == HEAD_ID).with_for_update()
        ).one()
        now = datetime.now(UTC)
        ts = timestamp(now)
        rows: list[tuple[Any, ...]] = []
        out: list[AuditRecord] = []
        for kind, actor, payload in prepared:
            seq += 1
            digest = link_hash(prev, seq, ts, actor, kind, payload)
            rows.append((seq, ts, actor, kind, payload, prev, digest))
            if returning:
                out.append(AuditRecord(seq, now, actor, kind, json.loads(payload), prev, digest))
            prev = digest
        _insert_rows(conn, rows)
        conn.execute(update(AuditHead).where(AuditHead.id == HEAD_ID).values(seq=seq, hash=prev))
        return out

    def _ensure_head(self, conn: Connection | None = None) -> None:
        """Create the head row if the tables were made without it (it normally comes with the table)."""
        if self._head_ready:
            return
        if conn is not None:
            self._create_head(conn)
        else:
            with self.engine.connect() as probe:
                found = probe.execute(select(AuditHead.id).where(AuditHead.id == HEAD_ID)).first()
            if found is None:
                try:
                    with write_connection(self.engine) as own, own.begin():
                        self._create_head(own)
                except IntegrityError:
                    pass  # another process created it first
        self._head_ready = True

    @staticmethod
    def _create_head(conn: Connection) -> None:
        if conn.execute(select(AuditHead.id).where(AuditHead.id == HEAD_ID)).first() is None:
            last = conn.execute(
                select(AuditEntry.seq, AuditEntry.hash).order_by(AuditEntry.seq.desc()).limit(1)
            ).first()
            seq, digest = (last[0], last[1]) if last else (0, GENESIS)
            conn.execute(insert(AuditHead).values(id=HEAD_ID, seq=seq, hash=digest))

    # -- reading -----------------------------------------------------------------

    def head(self) -> tuple[int, str]:
        """(last seq, last hash): publish it elsewhere to anchor the chain."""
        with self.engine.connect() as conn:
            row = conn.execute(select(AuditHead.seq, AuditHead.hash).where(AuditHead.id == HEAD_ID)).first()
        return (row[0], row[1]) if row else (0, GENESIS)

    def count(self) -> int:
        with self.engine.connect() as conn:
            return conn.execute(select(func.count()).select_from(AuditEntry)).scalar_one()

    def records(
        self, start: datetime | date | str | None = None, end: datetime | date | str | None = None,
        kind: str | None = None, first_seq: int | None = None, batch: int = 1000,
    ) -> Iterator[AuditRecord]:
        """Records in seq order; `start` inclusive, `end` exclusive (UTC)."""
        lo, hi = _bound(start), _bound(end)
        after = (first_seq or 1) - 1
        while True:
            q = select(AuditEntry).where(AuditEntry.seq > after).order_by(AuditEntry.seq).limit(batch)
            if lo:
                q = q.where(AuditEntry.ts >= lo)
            if hi:
                q = q.where(AuditEntry.ts < hi)
            if kind:
                q = q.where(AuditEntry.kind == kind)
            with self.engine.connect() as conn:
                rows = conn.execute(q).all()
            for r in rows:
                yield AuditRecord(r.seq, _parse_ts(r.ts), r.actor, r.kind, json.loads(r.payload), r.prev_hash, r.hash)
            if len(rows) < batch:
                return
            after = rows[-1].seq

    def export(self, start: datetime | date | str | None, end: datetime | date | str | None, fh: IO[str]) -> int:
        """Write records in [start, end) as JSON lines; returns how many."""
        n = 0
        for rec in self.records(start, end):
            fh.write(canonical(rec.to_dict()) + "\n")
            n += 1
        return n

    # -- checking ----------------------------------------------------------------

    def verify(self, batch: int = 5000, checks: Sequence[VerifyCheck] = ()) -> VerifyResult:
        """Recompute the whole chain; report the first record that was altered, inserted or deleted.

        `checks` are passed in by the caller, not registered here, so audit/ never imports the packages whose
        tables point into the log (e.g. `tamiz.cases.policy.check_settings`); they see the same snapshot.
        """
        with self.engine.connect() as conn, conn.begin():
            result = self._verify_chain(conn, batch)
            findings = tuple(line for check in checks for line in check(conn))
        if findings:
            return replace(result, ok=False, findings=findings)
        return result

    def _verify_chain(self, conn: Connection, batch: int) -> VerifyResult:
        expected, prev, checked = 1, GENESIS, 0
        cols = (AuditEntry.seq, AuditEntry.ts, AuditEntry.actor, AuditEntry.kind,
                AuditEntry.payload, AuditEntry.prev_hash, AuditEntry.hash)
        head = conn.execute(select(AuditHead.seq, AuditHead.hash).where(AuditHead.id == HEAD_ID)).first()
        head_seq, head_hash = (head[0], head[1]) if head else (0, GENESIS)
        after = 0
        while True:
            rows = conn.execute(select(*cols).where(AuditEntry.seq > after).order_by(AuditEntry.seq)
                                .limit(batch)).all()
            for seq, ts, actor, kind, payload, prev_hash, digest in rows:
                bad = self._check_row(expected, prev, seq, ts, actor, kind, payload, prev_hash, digest)
                if bad:
                    return VerifyResult(False, checked, bad[0], bad[1], head_seq, head_hash)
                checked += 1
                expected, prev = seq + 1, digest
            if len(rows) < batch:
                break
            after = rows[-1][0]
        last = expected - 1
        if head is None and last:
            return VerifyResult(False, checked, 1, "chain head row is missing", head_seq, head_hash)
        if head_seq > last:
            return VerifyResult(False, checked, last + 1,
                                f"records {last + 1}..{head_seq} are missing (log truncated)", head_seq, head_hash)
        if head_seq < last:
            return VerifyResult(False, checked, head_seq + 1,
                                f"record {head_seq + 1} was added outside the log (head is at {head_seq})",
                                head_seq, head_hash)
        if head_hash != prev:
            return VerifyResult(False, checked, last, f"record {last} does not match the chain head", head_seq,
                                head_hash)
        return VerifyResult(True, checked, None, None, head_seq, head_hash)

    @staticmethod
    def _check_row(expected: int, prev: str, seq: int, ts: str, actor: str, kind: str, payload: str,
                   prev_hash: str, digest: str) -> tuple[int, str] | None:
        if seq > expected:
            return expected, f"record {expected} is missing (deleted)"
        if link_hash(prev_hash, seq, ts, actor, kind, payload) != digest:
            if link_hash(prev_hash, seq - 1, ts, actor, kind, payload) == digest:
                return seq - 1, f"a record was inserted at {seq - 1} (later records renumbered)"
            if link_hash(prev_hash, seq + 1, ts, actor, kind, payload) == digest:
                return seq, f"record {seq} was deleted (later records renumbered)"
            return seq, f"record {seq} was altered (its content does not match its hash)"
        if prev_hash != prev:
            return seq, f"record {seq} does not link to record {seq - 1} (inserted or replaced)"
        return None
