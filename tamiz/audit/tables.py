"""Audit tables on the project's one declarative base.

`audit_log` holds the chain; `audit_head` is a single row naming the last seq
and hash. Appenders lock that row (or, on SQLite, the whole database with
BEGIN IMMEDIATE) so the chain can never fork, and verify() compares it with the
last record so that a deleted tail is noticed too.
"""

from __future__ import annotations

from sqlalchemy import DDL, BigInteger, Index, Integer, String, Text, event
from sqlalchemy.orm import Mapped, mapped_column

from tamiz.store.schema import Base


class AuditEntry(Base):
    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_ts", "ts"), Index("ix_audit_log_kind", "kind"))

    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    # ISO 8601 UTC text with microseconds: hashed exactly as stored on every backend.
    ts: Mapped[str] = mapped_column(String(32))
    actor: Mapped[str] = mapped_column(String(255))
    kind: Mapped[str] = mapped_column(String(32))
    payload: Mapped[str] = mapped_column(Text)  # canonical JSON
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class AuditHead(Base):
    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    seq: Mapped[int] = mapped_column(BigInteger)
    hash: Mapped[str] = mapped_column(String(64))


# The head row exists from the moment the table does, so appenders only ever lock it.
GENESIS_ROW = DDL("INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, '" + "0" * 64 + "')")
event.listen(AuditHead.__table__, "after_create", GENESIS_ROW)
