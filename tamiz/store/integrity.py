"""Consistency checks over the store's tables, for `Store.check_integrity()`.

Loads are atomic, so these should never fire; they exist to prove it after a
crash or a restore, and to catch hand edits or a damaged file.
"""

from __future__ import annotations

import hashlib

from sqlalchemy import Connection, func, select

from tamiz.store.schema import CurrentVersion, EntityRecord, ListVersion, VersionMember

_V = ListVersion.__table__
_C = CurrentVersion.__table__
_R = EntityRecord.__table__
_M = VersionMember.__table__


def find_problems(conn: Connection) -> list[str]:
    """Problems found, or [] when the database is sound."""
    problems: list[str] = []
    if conn.dialect.name == "sqlite":
        result = [r[0] for r in conn.exec_driver_sql("PRAGMA integrity_check").all()]
        if result != ["ok"]:
            problems += [f"sqlite integrity_check: {r}" for r in result]
        for r in conn.exec_driver_sql("PRAGMA foreign_key_check").all():
            problems.append(f"foreign key violation: table {r[0]} rowid {r[1]} → {r[2]}")
    orphans = conn.execute(
        select(_M.c.version_id, _M.c.entity_id)
        .outerjoin(_R, _R.c.fingerprint == _M.c.fingerprint)
        .where(_R.c.fingerprint.is_(None))
        .limit(10)
    ).all()
    problems += [f"version row {v}: member {e} has no stored record" for v, e in orphans]
    mismatched = conn.execute(
        select(_M.c.version_id, _M.c.entity_id)
        .join(_R, _R.c.fingerprint == _M.c.fingerprint)
        .where(_R.c.entity_id != _M.c.entity_id)
        .limit(10)
    ).all()
    problems += [f"version row {v}: member {e} points to another entity's record" for v, e in mismatched]
    counts = dict(conn.execute(select(_M.c.version_id, func.count()).group_by(_M.c.version_id)).all())
    versions = conn.execute(select(_V.c.id, _V.c.dataset, _V.c.version, _V.c.entity_count)).all()
    for vid, dataset, number, expected in versions:
        if counts.get(vid, 0) != expected:
            problems.append(f"{dataset} v{number}: {counts.get(vid, 0)} members stored, {expected} recorded")
    current = dict(conn.execute(select(_C.c.dataset, _C.c.version_id)).all())
    by_id = {vid: dataset for vid, dataset, _, _ in versions}
    for dataset in sorted({d for _, d, _, _ in versions}):
        if dataset not in current:
            problems.append(f"{dataset}: no current version")
    for dataset, vid in current.items():
        if by_id.get(vid) != dataset:
            problems.append(f"{dataset}: current version points to version row {vid} of {by_id.get(vid)!r}")
    for fp, data in conn.execute(select(_R.c.fingerprint, _R.c.data)):
        if hashlib.sha256(data.encode("utf-8")).hexdigest() != fp:
            problems.append(f"entity record {fp[:12]}…: content does not match its fingerprint")
    return problems
