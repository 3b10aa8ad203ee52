"""Removing old list versions, without losing one that a screening or a case points at.

Audit records and alerts name the list versions they used as
`list_versions: {dataset: {"version": n, ...}}` (or `{dataset: n}`). A version
so named stays, as does the current one and the `keep` newest per dataset, so
an examiner can always open the exact list a recorded screening ran against.
So does a version replaced less than `grace` ago: a server or a resumable
batch run may still be screening against it. Entity records no longer used by
any remaining version (nor by a remaining version's recorded delta) go too.

The store does not import the audit or case rooms: it reads their tables by
name. The audit log is scanned once before the write lock is taken, and only
its tail after, so screenings are not held up by a long scan.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import JSON, BigInteger, Connection, Text, column, delete, func, select, table

from tamiz.store.engine import utc
from tamiz.store.schema import CORE_TABLES

_V, _F, _C, _R, _M, _X = CORE_TABLES

_AUDIT = table("audit_log", column("seq", BigInteger), column("payload", Text))
_ALERTS = table("alerts", column("list_versions", JSON))

IN_CHUNK = 500
PRUNE_GRACE = timedelta(days=1)  # a long batch run may screen against a replaced version that long
_KEY = re.compile(r'"list_versions"\s*:\s*')
_DECODER = json.JSONDecoder()

VersionKey = tuple[str, int]


@dataclass(frozen=True, slots=True)
class PrunedVersion:
    dataset: str
    version: int
    published: str | None
    entity_count: int


@dataclass(slots=True)
class PruneResult:
    removed: list[PrunedVersion] = field(default_factory=list)
    # Versions beyond `keep` that stay, (dataset, version) → why: "audit" / "alert" records name
    # them, or "recent": replaced less than `grace` ago (a running server or batch may still use it).
    kept: dict[VersionKey, list[str]] = field(default_factory=dict)
    records_removed: int = 0  # entity records no remaining version uses
    dry_run: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "dry_run": self.dry_run,
            "removed": [{"dataset": v.dataset, "version": v.version, "published": v.published,
                         "entities": v.entity_count} for v in self.removed],
            "kept": [{"dataset": d, "version": n, "why": why} for (d, n), why in sorted(self.kept.items())],
            "records_removed": self.records_removed,
        }


def versions_named(value: Any) -> Iterator[VersionKey]:
    """(dataset, version) pairs of one `list_versions` value, in either recorded form."""
    if not isinstance(value, Mapping):
        return
    for dataset, v in value.items():
        number = v.get("version") if isinstance(v, Mapping) else v
        if isinstance(number, int) and not isinstance(number, bool):
            yield str(dataset), number


def audit_references(conn: Connection, after_seq: int = 0) -> tuple[set[VersionKey], int]:
    """Versions named by audit records with seq > `after_seq`, and the last seq read.

    Only the `list_versions` values are decoded, not whole payloads (a batch
    chunk's payload holds thousands of rows).
    """
    found: set[VersionKey] = set()
    last = after_seq
    query = (select(_AUDIT.c.seq, _AUDIT.c.payload).where(_AUDIT.c.seq > after_seq)
             .where(_AUDIT.c.payload.like('%"list_versions"%')).order_by(_AUDIT.c.seq)
             .execution_options(yield_per=2000))
    for seq, payload in conn.execute(query):
        last = max(last, seq)
        for match in _KEY.finditer(payload):
            try:
                value, _ = _DECODER.raw_decode(payload, match.end())
            except ValueError:
                continue
            found.update(versions_named(value))
    top = conn.execute(select(func.max(_AUDIT.c.seq))).scalar()
    return found, max(last, top or 0)


def alert_references(conn: Connection) -> set[VersionKey]:
    """Versions named by alerts: open ones, and decided ones (a decision rests on that list)."""
    found: set[VersionKey] = set()
    for value in conn.execute(select(_ALERTS.c.list_versions)).scalars():
        found.update(versions_named(json.loads(value) if isinstance(value, str) else value))
    return found


def plan(conn: Connection, keep: int, datasets: Iterable[str] | None, audit_refs: set[VersionKey],
         alert_refs: set[VersionKey], replaced_before: datetime) -> tuple[list[Any], dict[VersionKey, list[str]]]:
    """The version rows to remove, and those beyond `keep` that stay (with why).

    A version stopped being current when the next one was loaded; if that was
    after `replaced_before`, it stays.
    """
    current = set(conn.execute(select(_C.c.version_id)).scalars())
    query = select(_V.c.id, _V.c.dataset, _V.c.version, _V.c.published, _V.c.entity_count, _V.c.loaded_at)
    if datasets is not None:
        query = query.where(_V.c.dataset.in_(sorted(set(datasets))))
    by_dataset: dict[str, list[Any]] = {}
    for row in conn.execute(query.order_by(_V.c.dataset, _V.c.version.desc())):
        by_dataset.setdefault(row.dataset, []).append(row)
    remove: list[Any] = []
    kept: dict[VersionKey, list[str]] = {}
    for rows in by_dataset.values():
        for newer, row in zip(rows[keep - 1 :], rows[keep:], strict=False):
            key = (row.dataset, row.version)
            why = [name for name, refs in (("audit", audit_refs), ("alert", alert_refs)) if key in refs]
            if utc(newer.loaded_at) > replaced_before:
                why.append("recent")
            if row.id in current:
                continue
            if why:
                kept[key] = why
            else:
                remove.append(row)
    return remove, kept


def delete_versions(conn: Connection, version_ids: list[int]) -> int:
    """Delete the versions and the entity records nothing else uses; returns how many records went."""
    candidates: set[str] = set()
    for chunk in _chunks(version_ids):
        candidates.update(conn.execute(select(_M.c.fingerprint).where(_M.c.version_id.in_(chunk))).scalars())
        for old, new in conn.execute(select(_X.c.old_fingerprint, _X.c.new_fingerprint)
                                     .where(_X.c.version_id.in_(chunk))):
            candidates.update(fp for fp in (old, new) if fp)
        for t in (_M, _X, _F):
            conn.execute(delete(t).where(t.c.version_id.in_(chunk)))
        conn.execute(delete(_V).where(_V.c.id.in_(chunk)))
    if not candidates:
        return 0
    in_deltas: set[str] = set()
    for old, new in conn.execute(select(_X.c.old_fingerprint, _X.c.new_fingerprint)):
        in_deltas.update(fp for fp in (old, new) if fp)
    removed = 0
    for chunk in _chunks(sorted(candidates - in_deltas)):
        used = set(conn.execute(select(_M.c.fingerprint).where(_M.c.fingerprint.in_(chunk))).scalars())
        gone = [fp for fp in chunk if fp not in used]
        if gone:
            removed += conn.execute(delete(_R).where(_R.c.fingerprint.in_(gone))).rowcount
    return removed


def _chunks(items: list[Any]) -> Iterator[list[Any]]:
    for i in range(0, len(items), IN_CHUNK):
        yield items[i : i + IN_CHUNK]
