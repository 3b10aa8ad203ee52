"""Alerts from screening hits, analyst decisions, four-eyes approval, allow-list.

Each state change and its audit record commit in one transaction, so the log
never claims a decision the database does not hold, nor the reverse.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Connection, Engine, func, insert, select, update

from tamiz.audit import AuditLog
from tamiz.cases.alerts import DECISIONS, OPEN_STATES, Alert, AllowEntry, CaseError, FourEyesViolation
from tamiz.cases.hits import HitView, view
from tamiz.cases.policy import PolicyStore
from tamiz.cases.tables import AlertRow, AllowListRow, DecisionRow
from tamiz.config import DEFAULT_THRESHOLD
from tamiz.store.engine import write_connection
from tamiz.store.schema import CurrentVersion, VersionMember


def _open_key(reference: str, entity_id: str) -> str:
    return json.dumps([reference, entity_id], ensure_ascii=False, separators=(",", ":"))


def _alert(row: Any, **extra: Any) -> Alert:
    return Alert(
        id=row.id, reference=row.reference, entity_id=row.entity_id, caption=row.caption, score=row.score,
        status=row.status, entity_fingerprint=row.entity_fingerprint, reopened=row.reopened,
        decision=row.decision, reason=row.reason, decided_by=row.decided_by, approved_by=row.approved_by,
        created_at=row.created_at, hit=row.hit or {}, list_versions=row.list_versions or {}, **extra,
    )


def _entry(row: Any) -> AllowEntry:
    return AllowEntry(row.id, row.reference, row.entity_id, row.entity_fingerprint, row.expires, row.active,
                      row.created_by, row.alert_id, row.ended_reason)


class CaseManager:
    """Opens alerts for hits and records what analysts decide about them.

    Under the four-eyes rule, clearing an alert as a false positive only asks
    for approval; a different person must `approve` it before it closes (and
    before any allow-list entry takes effect). The rule is the database's stored
    policy (`policy.set_four_eyes`), read at every decision; `four_eyes=True`
    (the process's TAMIZ_API_FOUR_EYES) can only add to it.
    """

    def __init__(self, engine: Engine, audit: AuditLog, threshold: float = DEFAULT_THRESHOLD,
                 four_eyes: bool = False):
        self.engine = engine
        self.audit = audit
        self.threshold = threshold
        self.policy = PolicyStore(engine, audit, forced_four_eyes=four_eyes)

    def four_eyes(self) -> bool:
        """Whether a clearance made now would wait for approval (stored policy or this process's env)."""
        return self.policy.get().four_eyes

    # -- opening -------------------------------------------------------------------

    def open_alerts(self, reference: str, query: dict[str, Any], hits: Iterable[Any],
                    list_versions: dict[str, Any], threshold: float | None = None,
                    actor: str = "system", conn: Connection | None = None) -> list[Alert]:
        """Alerts for the hits at or above threshold: new, already open, or suppressed by the allow-list."""
        if not reference:
            raise CaseError("an alert needs a customer reference")
        cut = self.threshold if threshold is None else threshold
        best: dict[str, HitView] = {}
        for hit in hits:
            h = view(hit)
            if h.score >= cut and (h.entity_id not in best or h.score > best[h.entity_id].score):
                best[h.entity_id] = h
        if not best:
            return []
        if conn is not None:
            return self._open(conn, reference, query, list(best.values()), list_versions, cut, actor)
        with write_connection(self.engine) as own, own.begin():
            return self._open(own, reference, query, list(best.values()), list_versions, cut, actor)

    def _open(self, conn: Connection, reference: str, query: dict[str, Any], hits: Sequence[HitView],
              list_versions: dict[str, Any], threshold: float, actor: str) -> list[Alert]:
        self.audit.lock(conn)  # before reading which alerts are open: see AuditLog.lock
        now = datetime.now(UTC)
        today = now.date()
        out: list[Alert] = []
        for h in hits:
            existing = conn.execute(
                select(AlertRow).where(AlertRow.open_key == _open_key(reference, h.entity_id))).first()
            if existing is not None:
                out.append(_alert(existing))
                continue
            fingerprint = h.fingerprint or self._current_fingerprint(conn, h.entity_id)
            reopened = False
            allow = conn.execute(select(AllowListRow).where(
                AllowListRow.reference == reference, AllowListRow.entity_id == h.entity_id,
                AllowListRow.active.is_(True)).order_by(AllowListRow.id.desc())).first()
            if allow is not None:
                ended = self._allow_ended(allow, fingerprint, today)
                if ended is None:
                    out.append(Alert(None, reference, h.entity_id, h.caption, h.score, "suppressed",
                                     entity_fingerprint=fingerprint, allow_list_id=allow.id, hit=h.data,
                                     list_versions=list_versions))
                    continue
                conn.execute(update(AllowListRow).where(AllowListRow.id == allow.id)
                             .values(active=False, ended_reason=ended))
                reopened = True
            values = dict(reference=reference, entity_id=h.entity_id, entity_fingerprint=fingerprint,
                          caption=h.caption, score=h.score, status="open",
                          open_key=_open_key(reference, h.entity_id), reopened=reopened, query=query, hit=h.data,
                          list_versions=list_versions, created_at=now)
            new_id = conn.execute(insert(AlertRow).values(**values)).inserted_primary_key[0]
            row = conn.execute(select(AlertRow).where(AlertRow.id == new_id)).one()
            out.append(_alert(row, new=True))
        self.audit.record("alert", actor, {
            "reference": reference, "query": query, "list_versions": list_versions, "threshold": threshold,
            "opened": [{"alert_id": a.id, "entity_id": a.entity_id, "score": a.score, "reopened": a.reopened}
                       for a in out if a.new],
            "already_open": [{"alert_id": a.id, "entity_id": a.entity_id, "score": a.score}
                             for a in out if not a.new and not a.suppressed],
            "suppressed": [{"entity_id": a.entity_id, "score": a.score, "allow_list_id": a.allow_list_id}
                           for a in out if a.suppressed],
        }, conn=conn)
        return out

    @staticmethod
    def _allow_ended(allow: Any, fingerprint: str | None, today: date) -> str | None:
        """Why an allow-list entry no longer applies, or None while it still does."""
        if allow.expires is not None and today >= allow.expires:
            return "expired"
        if allow.entity_fingerprint and fingerprint != allow.entity_fingerprint:
            # A changed listing, or one we cannot compare: look at it again.
            return "entity_changed" if fingerprint else "entity_unknown"
        return None

    @staticmethod
    def _current_fingerprint(conn: Connection, entity_id: str) -> str | None:
        """The entity's fingerprint in the current version of its list, from the store's tables."""
        return conn.execute(
            select(VersionMember.fingerprint)
            .join(CurrentVersion, CurrentVersion.version_id == VersionMember.version_id)
            .where(VersionMember.entity_id == entity_id).limit(1)
        ).scalar_one_or_none()

    # -- deciding ------------------------------------------------------------------

    def decide(self, alert_id: int, actor: str, decision: str, reason: str, allow_list: bool = False,
               expires: date | None = None) -> Alert:
        if decision not in DECISIONS:
            raise CaseError(f"alert {alert_id}: decision must be one of {', '.join(DECISIONS)}, not {decision!r}")
        if not reason or not str(reason).strip():
            raise CaseError(f"alert {alert_id}: a decision needs a reason")
        if not actor or not str(actor).strip():
            raise CaseError(f"alert {alert_id}: a decision needs an actor")
        if allow_list and decision != "false_positive":
            raise CaseError(f"alert {alert_id}: only a false positive can be allow-listed")
        now = datetime.now(UTC)
        if expires is not None and expires <= now.date():
            raise CaseError(f"alert {alert_id}: allow-list expiry {expires} is not in the future")
        with write_connection(self.engine) as conn, conn.begin():
            self.audit.lock(conn)
            row = self._locked(conn, alert_id)
            if row.status == "pending_approval":
                raise CaseError(f"alert {alert_id} is awaiting approval of {row.decided_by}'s clearance")
            if row.status not in OPEN_STATES:
                raise CaseError(f"alert {alert_id} is already closed ({row.decision})")
            values: dict[str, Any] = dict(decision=decision, reason=reason, decided_by=actor, decided_at=now)
            # Read under the audit lock, as policy changes are made: no decision slips past a change.
            pending = decision == "false_positive" and self.policy.get(conn).four_eyes
            if decision == "escalate":
                values["status"] = "escalated"
            elif pending:
                values.update(status="pending_approval", pending_allow_list=allow_list, pending_expires=expires)
            else:
                values.update(status="closed", open_key=None)
            conn.execute(update(AlertRow).where(AlertRow.id == alert_id).values(**values))
            allow_id = None
            if allow_list and not pending:
                allow_id = self._allow(conn, row, actor, expires, now)
            payload = {"alert_id": alert_id, "reference": row.reference, "entity_id": row.entity_id,
                       "decision": decision, "reason": reason, "status": values.get("status", row.status),
                       "allow_list": allow_list, "expires": expires, "allow_list_id": allow_id,
                       "four_eyes": pending}
            self._log(conn, alert_id, actor, decision, reason, now, "decision", payload)
            return _alert(self._locked(conn, alert_id))

    def approve(self, alert_id: int, actor: str, reason: str = "") -> Alert:
        """Second pair of eyes: close a pending false-positive clearance made by someone else."""
        now = datetime.now(UTC)
        with write_connection(self.engine) as conn, conn.begin():
            self.audit.lock(conn)
            row = self._locked(conn, alert_id)
            if row.status != "pending_approval":
                raise CaseError(f"alert {alert_id} has no clearance awaiting approval (status {row.status})")
            if not actor or actor == row.decided_by:
                raise FourEyesViolation(f"alert {alert_id}: {actor} cleared it and cannot also approve it")
            conn.execute(update(AlertRow).where(AlertRow.id == alert_id).values(
                status="closed", open_key=None, approved_by=actor, approved_at=now))
            allow_id = None
            if row.pending_allow_list:
                allow_id = self._allow(conn, row, row.decided_by, row.pending_expires, now)
            payload = {"alert_id": alert_id, "reference": row.reference, "entity_id": row.entity_id,
                       "approved": row.decision, "cleared_by": row.decided_by, "reason": reason,
                       "allow_list_id": allow_id}
            self._log(conn, alert_id, actor, "approve", reason, now, "approval", payload)
            return _alert(self._locked(conn, alert_id))

    def reject(self, alert_id: int, actor: str, reason: str) -> Alert:
        """Send a pending clearance back: the alert is open again."""
        if not reason or not reason.strip():
            raise CaseError(f"alert {alert_id}: a rejection needs a reason")
        now = datetime.now(UTC)
        with write_connection(self.engine) as conn, conn.begin():
            self.audit.lock(conn)
            row = self._locked(conn, alert_id)
            if row.status != "pending_approval":
                raise CaseError(f"alert {alert_id} has no clearance awaiting approval (status {row.status})")
            if actor == row.decided_by:
                raise FourEyesViolation(f"alert {alert_id}: {actor} cannot review their own clearance")
            conn.execute(update(AlertRow).where(AlertRow.id == alert_id).values(
                status="open", decision=None, pending_allow_list=False, pending_expires=None))
            payload = {"alert_id": alert_id, "reference": row.reference, "entity_id": row.entity_id,
                       "rejected": row.decision, "cleared_by": row.decided_by, "reason": reason}
            self._log(conn, alert_id, actor, "reject", reason, now, "approval", payload)
            return _alert(self._locked(conn, alert_id))

    def _log(self, conn: Connection, alert_id: int, actor: str, action: str, reason: str, now: datetime,
             kind: str, payload: dict[str, Any]) -> None:
        rec = self.audit.record(kind, actor, payload, conn=conn)
        conn.execute(insert(DecisionRow).values(alert_id=alert_id, actor=actor, action=action, reason=reason,
                                                ts=now, audit_seq=rec.seq))

    @staticmethod
    def _locked(conn: Connection, alert_id: int) -> Any:
        row = conn.execute(select(AlertRow).where(AlertRow.id == alert_id).with_for_update()).first()
        if row is None:
            raise CaseError(f"no alert {alert_id}")
        return row

    @staticmethod
    def _allow(conn: Connection, row: Any, actor: str, expires: date | None, now: datetime) -> int:
        conn.execute(update(AllowListRow).where(
            AllowListRow.reference == row.reference, AllowListRow.entity_id == row.entity_id,
            AllowListRow.active.is_(True)).values(active=False, ended_reason="replaced"))
        return conn.execute(insert(AllowListRow).values(
            reference=row.reference, entity_id=row.entity_id, entity_fingerprint=row.entity_fingerprint,
            expires=expires, active=True, alert_id=row.id, created_by=actor, created_at=now,
        )).inserted_primary_key[0]

    # -- reading -------------------------------------------------------------------

    def get(self, alert_id: int) -> Alert:
        with self.engine.connect() as conn:
            row = conn.execute(select(AlertRow).where(AlertRow.id == alert_id)).first()
        if row is None:
            raise CaseError(f"no alert {alert_id}")
        return _alert(row)

    def alerts(self, reference: str | None = None, status: str | Sequence[str] | None = None,
               limit: int | None = None, offset: int = 0) -> list[Alert]:
        """Alerts oldest first; `offset` is applied by the database, so a deep page reads only itself."""
        q = _alert_filter(select(AlertRow), reference, status).order_by(AlertRow.id)
        if offset:
            q = q.offset(offset)
        if limit:
            q = q.limit(limit)
        with self.engine.connect() as conn:
            return [_alert(r) for r in conn.execute(q).all()]

    def count_alerts(self, reference: str | None = None, status: str | Sequence[str] | None = None) -> int:
        q = _alert_filter(select(func.count()).select_from(AlertRow), reference, status)
        with self.engine.connect() as conn:
            return int(conn.execute(q).scalar_one())

    def history(self, alert_id: int) -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(DecisionRow).where(DecisionRow.alert_id == alert_id)
                                .order_by(DecisionRow.id)).all()
        return [{"actor": r.actor, "action": r.action, "reason": r.reason, "ts": r.ts, "audit_seq": r.audit_seq}
                for r in rows]

    def allow_list(self, reference: str | None = None, active_only: bool = True) -> list[AllowEntry]:
        q = select(AllowListRow).order_by(AllowListRow.id)
        if reference is not None:
            q = q.where(AllowListRow.reference == reference)
        if active_only:
            q = q.where(AllowListRow.active.is_(True))
        with self.engine.connect() as conn:
            return [_entry(r) for r in conn.execute(q).all()]


def _alert_filter(q: Any, reference: str | None, status: str | Sequence[str] | None) -> Any:
    if reference is not None:
        q = q.where(AlertRow.reference == reference)
    if status is not None:
        q = q.where(AlertRow.status.in_([status] if isinstance(status, str) else list(status)))
    return q
