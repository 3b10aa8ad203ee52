"""The workflow policy (the four-eyes rule) as the database holds it, read afresh at each use.

Kept in `workflow_settings` rather than in each process's environment, so a
CLI or server started without TAMIZ_API_FOUR_EYES cannot bypass it. The
environment can only add to it: `forced=True` (that variable set) turns the
rule on for the process, never off when the database says on. Every change is
audited (who, old, new) in the same transaction as the change itself, and the
row names that record (`audit_seq`), so `check_settings` can tell a row edited
behind the log's back from one the log accounts for.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, insert, select, update

from tamiz.audit import AuditLog
from tamiz.audit.chain import canonical, timestamp
from tamiz.audit.tables import AuditEntry
from tamiz.cases.alerts import CaseError
from tamiz.cases.tables import WorkflowSetting
from tamiz.store.engine import utc, write_connection

FOUR_EYES = "four_eyes"
CHANGED = "policy_changed"  # the `action` of the `admin` audit record written for each change


@dataclass(frozen=True, slots=True)
class Policy:
    stored_four_eyes: bool  # what the database says (False until someone sets it)
    forced_four_eyes: bool = False  # this process's environment also demands it
    updated_by: str | None = None
    updated_at: datetime | None = None

    @property
    def four_eyes(self) -> bool:
        """Whether a false-positive clearance must wait for a second person here and now."""
        return self.stored_four_eyes or self.forced_four_eyes

    def to_dict(self) -> dict[str, Any]:
        return {"four_eyes": self.four_eyes, "stored": self.stored_four_eyes, "forced_by_env": self.forced_four_eyes,
                "updated_by": self.updated_by,
                "updated_at": self.updated_at.isoformat() if self.updated_at else None}


class PolicyStore:
    """Reads and changes the stored policy; never caches it, so another process's change counts at once."""

    def __init__(self, engine: Engine, audit: AuditLog, forced_four_eyes: bool = False):
        self.engine = engine
        self.audit = audit
        self.forced_four_eyes = forced_four_eyes

    def get(self, conn: Connection | None = None) -> Policy:
        """The policy now; pass the caller's transaction to read it under the caller's locks."""
        if conn is not None:
            return self._read(conn)
        with self.engine.connect() as own:
            return self._read(own)

    def _read(self, conn: Connection) -> Policy:
        row = conn.execute(select(WorkflowSetting).where(WorkflowSetting.key == FOUR_EYES)).first()
        if row is None:
            return Policy(False, self.forced_four_eyes)
        return Policy(bool(row.value), self.forced_four_eyes, row.updated_by, utc(row.updated_at))

    def set_four_eyes(self, actor: str, on: bool) -> tuple[Policy, Policy]:
        """Store the four-eyes rule; returns (before, after). Re-storing the stored value writes nothing."""
        if not actor or not str(actor).strip():
            raise CaseError("a policy change needs an actor")
        with write_connection(self.engine) as conn, conn.begin():
            self.audit.lock(conn)  # serialises with decisions, which read the policy under the same lock
            before = self._read(conn)
            if before.stored_four_eyes == on and before.updated_by is not None:
                return before, before
            rec = self.audit.record("admin", actor, {
                "action": CHANGED, "policy": FOUR_EYES, "old": before.stored_four_eyes, "new": on,
                "forced_by_env": self.forced_four_eyes}, conn=conn)
            # The record's own time, so check_settings can demand row and record agree exactly.
            values = {"value": on, "updated_by": actor, "updated_at": rec.ts, "audit_seq": rec.seq}
            done = conn.execute(update(WorkflowSetting).where(WorkflowSetting.key == FOUR_EYES).values(**values))
            if not done.rowcount:
                conn.execute(insert(WorkflowSetting).values(key=FOUR_EYES, **values))
            return before, self._read(conn)


def _policy_changes(conn: Connection) -> Iterator[tuple[int, str, str, dict[str, Any]]]:
    """(seq, ts, actor, payload) of every policy-change record, newest first.

    The database narrows to `admin` records (indexed) whose text mentions the action;
    the parsed payload confirms it, since LIKE is only a prefilter.
    """
    q = (select(AuditEntry.seq, AuditEntry.ts, AuditEntry.actor, AuditEntry.payload)
         .where(AuditEntry.kind == "admin", AuditEntry.payload.contains(f'"action":"{CHANGED}"', autoescape=True))
         .order_by(AuditEntry.seq.desc()))
    for seq, ts, actor, text in conn.execute(q):
        payload = json.loads(text)
        if isinstance(payload, dict) and payload.get("action") == CHANGED and isinstance(payload.get("policy"), str):
            yield seq, ts, actor, payload


def check_settings(conn: Connection) -> list[str]:
    """Each `workflow_settings` row must be exactly what the log's latest change of that setting made it.

    Run by `tamiz audit verify` as an AuditLog.verify check: a row written straight to the
    database (four-eyes switched off, pointed at an older change, deleted) is reported,
    one line per setting. Reads the named record by seq and only the policy-change records.
    """
    latest: dict[str, tuple[int, str, str, dict[str, Any]]] = {}
    for change in _policy_changes(conn):
        latest.setdefault(change[3]["policy"], change)
    rows = {r.key: r for r in conn.execute(select(WorkflowSetting)).all()}
    problems: list[str] = []
    for key in sorted(rows.keys() | latest.keys()):
        row, last = rows.get(key), latest.get(key)
        if row is None:
            assert last is not None
            problems.append(f"setting {key}: no row, but audit record {last[0]} set it to "
                            f"{canonical(last[3].get('new'))} (row deleted outside the log)")
            continue
        if row.audit_seq is None:
            problems.append(f"setting {key}: the row names no audit record (written outside the log)")
            continue
        problem = _row_vs_record(conn, row)
        if problem is None and last is not None and last[0] != row.audit_seq:
            problem = (f"the row names audit record {row.audit_seq}, but the latest change is record {last[0]} "
                       f"(which set {canonical(last[3].get('new'))})")
        if problem:
            problems.append(f"setting {key}: {problem}")
    return problems


def _row_vs_record(conn: Connection, row: Any) -> str | None:
    """What differs between the row and the record it names, or None."""
    rec = conn.execute(select(AuditEntry.kind, AuditEntry.ts, AuditEntry.actor, AuditEntry.payload)
                       .where(AuditEntry.seq == row.audit_seq)).first()
    if rec is None:
        return f"the row names audit record {row.audit_seq}, which is not in the log"
    try:
        payload = json.loads(rec.payload)
    except ValueError:
        payload = None
    if (rec.kind != "admin" or not isinstance(payload, dict) or payload.get("action") != CHANGED
            or payload.get("policy") != row.key):
        return f"audit record {row.audit_seq}, which the row names, is not a change of this setting"
    at = utc(row.updated_at)
    diffs = [f"{what} {mine} in the row, {theirs} in the record" for what, mine, theirs in (
        ("value", canonical(row.value), canonical(payload.get("new"))),
        ("actor", repr(row.updated_by), repr(rec.actor)),
        ("time", timestamp(at), rec.ts)) if mine != theirs]
    return f"differs from audit record {row.audit_seq}: " + "; ".join(diffs) if diffs else None
