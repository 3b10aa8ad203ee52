"""The workflow policy (the four-eyes rule) as the database holds it, read afresh at each use.

Kept in `workflow_settings` rather than in each process's environment, so a
CLI or server started without TAMIZ_API_FOUR_EYES cannot bypass it. The
environment can only add to it: `forced=True` (that variable set) turns the
rule on for the process, never off when the database says on. Every change is
audited (who, old, new) in the same transaction as the change itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Engine, insert, select, update

from tamiz.audit import AuditLog
from tamiz.cases.alerts import CaseError
from tamiz.cases.tables import WorkflowSetting
from tamiz.store.engine import write_connection

FOUR_EYES = "four_eyes"


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
        at = row.updated_at if row.updated_at.tzinfo else row.updated_at.replace(tzinfo=UTC)  # SQLite drops it
        return Policy(bool(row.value), self.forced_four_eyes, row.updated_by, at)

    def set_four_eyes(self, actor: str, on: bool) -> tuple[Policy, Policy]:
        """Store the four-eyes rule; returns (before, after). Re-storing the stored value writes nothing."""
        if not actor or not str(actor).strip():
            raise CaseError("a policy change needs an actor")
        with write_connection(self.engine) as conn, conn.begin():
            self.audit.lock(conn)  # serialises with decisions, which read the policy under the same lock
            before = self._read(conn)
            if before.stored_four_eyes == on and before.updated_by is not None:
                return before, before
            now = datetime.now(UTC)
            rec = self.audit.record("admin", actor, {
                "action": "policy_changed", "policy": FOUR_EYES, "old": before.stored_four_eyes, "new": on,
                "forced_by_env": self.forced_four_eyes}, conn=conn)
            values = {"value": on, "updated_by": actor, "updated_at": now, "audit_seq": rec.seq}
            done = conn.execute(update(WorkflowSetting).where(WorkflowSetting.key == FOUR_EYES).values(**values))
            if not done.rowcount:
                conn.execute(insert(WorkflowSetting).values(key=FOUR_EYES, **values))
            return before, self._read(conn)
