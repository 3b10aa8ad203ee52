"""The versioned list store: every loaded version of every dataset, and deltas.

A load is one transaction: the new version's rows and the switch of the
"current" pointer commit together, so a crash, an exception or Ctrl-C leaves
the previous version current. Rows are written with executemany in batches
(Core, not ORM objects) so the 9k-entity SDN loads in about a second.
"""

from __future__ import annotations

import gc
import hashlib
import importlib
import json
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Self

from sqlalchemy import Connection, Engine, Row, func, insert, inspect, select, text, update
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, SQLAlchemyError

from tamiz.config import database_url
from tamiz.errors import StoreError
from tamiz.model import Entity
from tamiz.sources.base import ParsedList, SourceFile
from tamiz.store.delta import Change, Delta, changed_fields, diff_ids
from tamiz.store.engine import make_engine, utc, write_connection
from tamiz.store.info import LoadResult, VersionInfo
from tamiz.store.integrity import find_problems
from tamiz.store.prune import (
    PRUNE_GRACE,
    PrunedVersion,
    PruneResult,
    alert_references,
    audit_references,
    delete_versions,
    plan,
)
from tamiz.store.schema import (
    CORE_TABLES,
    SCHEMA_VERSION,
    Base,
    StoreMeta,
)
from tamiz.store.validate import validate

_V, _F, _C, _R, _M, _X = CORE_TABLES

BATCH = 2000  # rows per executemany while loading
IN_CHUNK = 500  # values per IN (...) list: well under every backend's parameter limit


_META = StoreMeta.__table__


class Store:
    """Open with `Store.open(url)`; safe to share one file between processes."""

    def __init__(self, engine: Engine, url: str):
        self._engine = engine
        self.url = url

    # -- opening ---------------------------------------------------------------

    @classmethod
    def open(cls, url: str | None = None) -> Store:
        resolved = database_url(url)
        store = cls(make_engine(resolved), resolved)
        try:
            _ensure_sqlite_dir(resolved)
            store._create_tables()
        except StoreError:
            store.close()
            raise
        except (SQLAlchemyError, OSError) as exc:
            store.close()
            raise StoreError(f"cannot open database {_safe_url(resolved)}: {_first_line(exc)}") from exc
        return store

    @property
    def engine(self) -> Engine:
        """The engine, for rooms (cases, audit) that keep their tables in the same database."""
        return self._engine

    def close(self) -> None:
        self._engine.dispose()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _create_tables(self) -> None:
        # One database holds every room's tables (as the Alembic migration does):
        # register the side rooms' tables by name, without the store depending on them.
        for module in _TABLE_MODULES:
            importlib.import_module(module)
        with self._engine.connect() as conn:  # the common case: all there, no write lock needed
            if set(Base.metadata.tables) <= set(inspect(conn).get_table_names()):
                found = conn.execute(select(_META.c.value).where(_META.c.key == "schema_version")).scalar()
                if found is not None and int(found) == SCHEMA_VERSION:
                    return
        for attempt in range(2):  # two processes creating a fresh PostgreSQL schema may race once
            try:
                with write_connection(self._engine) as conn, conn.begin():
                    Base.metadata.create_all(conn)
                    found = conn.execute(
                        select(_META.c.value).where(_META.c.key == "schema_version")
                    ).scalar()
                    if found is None:
                        conn.execute(insert(_META).values(key="schema_version", value=str(SCHEMA_VERSION)))
                    elif int(found) > SCHEMA_VERSION:
                        raise StoreError(
                            f"database {_safe_url(self.url)} has schema version {found}, newer than this "
                            f"tamiz supports ({SCHEMA_VERSION}): upgrade tamiz"
                        )
                return
            except DBAPIError:
                if attempt:
                    raise

    # -- loading ---------------------------------------------------------------

    def load(self, parsed: ParsedList, *, force: bool = False) -> LoadResult:
        """Store `parsed` as the dataset's new current version, in one transaction.

        The same source files (same set of sha256) as the current version create
        no new version unless `force`.
        """
        try:
            with _gc_paused():
                return self._load(parsed, force)
        except (SQLAlchemyError, OSError) as exc:
            # A full disk or a read-only database: one clear line, the previous version stays.
            raise StoreError(f"cannot store {parsed.dataset} in {_safe_url(self.url)}: {_first_line(exc)}") from exc

    def _load(self, parsed: ParsedList, force: bool) -> LoadResult:
        validate(parsed)
        dataset = parsed.dataset
        prepared: list[tuple[str, str, str]] | None = None
        if parsed.files:
            key = _hash_lines(sorted(f.sha256 for f in parsed.files))
        else:  # no files to go by: the content itself is the identity
            prepared = list(_records(parsed.entities))
            key = _hash_lines(sorted(r[1] for r in prepared))

        with write_connection(self._engine) as conn, conn.begin():
            self._lock_for_load(conn)
            cur = conn.execute(
                select(_V).join(_C, _C.c.version_id == _V.c.id).where(_C.c.dataset == dataset)
            ).first()
            if cur is not None and cur.content_key == key and not force:
                return LoadResult(dataset, self._infos(conn, [cur], {cur.id})[0], created=False)

            number = (
                conn.execute(select(func.max(_V.c.version)).where(_V.c.dataset == dataset)).scalar() or 0
            ) + 1
            loaded_at = datetime.now(UTC)
            vid = conn.execute(
                insert(_V).values(
                    dataset=dataset,
                    version=number,
                    published=parsed.published,
                    loaded_at=loaded_at,
                    entity_count=len(parsed.entities),
                    content_key=key,
                    stats=dict(parsed.stats),
                    added=0,
                    removed=0,
                    changed=0,
                )
            ).inserted_primary_key[0]
            if parsed.files:
                conn.execute(
                    insert(_F),
                    [
                        {
                            "version_id": vid,
                            "position": i,
                            "name": f.name,
                            "sha256": f.sha256,
                            "size": f.size,
                            "origin": f.origin,
                        }
                        for i, f in enumerate(parsed.files)
                    ],
                )

            old: dict[str, str] = {}
            if cur is not None:
                old = dict(
                    conn.execute(
                        select(_M.c.entity_id, _M.c.fingerprint).where(_M.c.version_id == cur.id)
                    ).all()
                )
            new: dict[str, str] = {}
            changed_dicts: dict[str, dict[str, Any]] = {}
            records = prepared if prepared is not None else _records(parsed.entities)
            for batch in _batches(records, BATCH):
                unseen = [r for r in batch if old.get(r[0]) != r[1]]
                known = _existing_fingerprints(conn, [r[1] for r in unseen])
                fresh = [
                    {"fingerprint": fp, "entity_id": eid, "data": data}
                    for eid, fp, data in unseen
                    if fp not in known
                ]
                if fresh:
                    conn.execute(insert(_R), fresh)
                start = len(new)
                conn.execute(
                    insert(_M),
                    [
                        {"version_id": vid, "entity_id": eid, "fingerprint": fp, "position": start + i}
                        for i, (eid, fp, _) in enumerate(batch)
                    ],
                )
                for eid, fp, data in batch:
                    new[eid] = fp
                    if eid in old and old[eid] != fp:
                        changed_dicts[eid] = json.loads(data)

            ids = diff_ids(old, new)
            old_dicts = _load_dicts(conn, [old[eid] for eid in ids.changed])
            changes = (
                [
                    {
                        "version_id": vid,
                        "entity_id": e,
                        "change": "added",
                        "old_fingerprint": None,
                        "new_fingerprint": new[e],
                        "fields": [],
                    }
                    for e in ids.added
                ]
                + [
                    {
                        "version_id": vid,
                        "entity_id": e,
                        "change": "removed",
                        "old_fingerprint": old[e],
                        "new_fingerprint": None,
                        "fields": [],
                    }
                    for e in ids.removed
                ]
                + [
                    {
                        "version_id": vid,
                        "entity_id": e,
                        "change": "changed",
                        "old_fingerprint": old[e],
                        "new_fingerprint": new[e],
                        "fields": changed_fields(old_dicts[old[e]], changed_dicts[e]),
                    }
                    for e in ids.changed
                ]
            )
            for batch in _batches(changes, BATCH):
                conn.execute(insert(_X), batch)
            counts = {"added": len(ids.added), "removed": len(ids.removed), "changed": len(ids.changed)}
            conn.execute(update(_V).where(_V.c.id == vid).values(**counts))
            if cur is None:
                conn.execute(insert(_C).values(dataset=dataset, version_id=vid))
            else:
                conn.execute(update(_C).where(_C.c.dataset == dataset).values(version_id=vid))
            row = conn.execute(select(_V).where(_V.c.id == vid)).one()
            info = self._infos(conn, [row], {vid})[0]
        return LoadResult(dataset, info, created=True, **counts)

    def _lock_for_load(self, conn: Connection) -> None:
        # SQLite already holds the write lock (BEGIN IMMEDIATE). PostgreSQL: make
        # concurrent loaders queue here (readers are not blocked) so version
        # numbers and the "same files" check cannot race.
        if conn.dialect.name == "postgresql":
            conn.execute(text("LOCK TABLE list_versions IN SHARE ROW EXCLUSIVE MODE"))

    # -- pruning ---------------------------------------------------------------

    def prune(self, keep: int, datasets: Sequence[str] | None = None, *, grace: timedelta = PRUNE_GRACE,
              dry_run: bool = False) -> PruneResult:
        """Remove versions beyond the `keep` newest of each dataset, in one transaction.

        Never the current version, one an audit record or an alert names, nor
        one replaced less than `grace` ago (see prune.py). `dry_run` reports
        what would go and changes nothing.
        """
        if keep < 1:
            raise StoreError("prune: keep at least 1 version per dataset")
        try:
            with self._engine.connect() as conn:  # the long scan, before taking the write lock
                audit_refs, seen = audit_references(conn)
            with write_connection(self._engine) as conn, conn.begin():
                self._lock_for_load(conn)
                tail, _ = audit_references(conn, after_seq=seen)
                remove, kept = plan(conn, keep, datasets, audit_refs | tail, alert_references(conn),
                                    datetime.now(UTC) - grace)
                result = PruneResult(
                    removed=[PrunedVersion(r.dataset, r.version, r.published, r.entity_count) for r in remove],
                    kept=kept, dry_run=dry_run)
                if not dry_run:
                    result.records_removed = delete_versions(conn, [r.id for r in remove])
                return result
        except SQLAlchemyError as exc:
            raise StoreError(f"cannot prune {_safe_url(self.url)}: {_first_line(exc)}") from exc

    # -- reading ---------------------------------------------------------------

    def datasets(self) -> list[VersionInfo]:
        """The current version of every dataset, by dataset name."""
        with self._engine.connect() as conn:
            rows = conn.execute(select(_V).join(_C, _C.c.version_id == _V.c.id).order_by(_V.c.dataset)).all()
            return self._infos(conn, rows, {r.id for r in rows})

    def current(self, dataset: str) -> VersionInfo | None:
        with self._engine.connect() as conn:
            row = conn.execute(
                select(_V).join(_C, _C.c.version_id == _V.c.id).where(_C.c.dataset == dataset)
            ).first()
            return self._infos(conn, [row], {row.id})[0] if row else None

    def versions(self, dataset: str) -> list[VersionInfo]:
        """Every stored version of `dataset`, oldest first."""
        with self._engine.connect() as conn:
            rows = conn.execute(select(_V).where(_V.c.dataset == dataset).order_by(_V.c.version)).all()
            cur = conn.execute(select(_C.c.version_id).where(_C.c.dataset == dataset)).scalar()
            return self._infos(conn, rows, {cur} if cur is not None else set())

    def entities(self, dataset: str, version: int | None = None) -> list[Entity]:
        """All entities of a version (default: current), in the order the parser gave them."""
        with self._engine.connect() as conn:
            vid = self._version_id(conn, dataset, version)
            rows = conn.execute(
                select(_R.c.data)
                .join(_M, _M.c.fingerprint == _R.c.fingerprint)
                .where(_M.c.version_id == vid)
                .order_by(_M.c.position)
            ).scalars()
            with _gc_paused():
                return [Entity.from_dict(json.loads(data)) for data in rows]

    def entity(self, entity_id: str, version: int | None = None) -> Entity | None:
        """One entity as it stands in the current (or given) version of its dataset."""
        dataset = entity_id.split(":", 1)[0]
        query = (
            select(_R.c.data)
            .join(_M, _M.c.fingerprint == _R.c.fingerprint)
            .where(_M.c.entity_id == entity_id)
        )
        if version is None:
            query = query.join(_C, _C.c.version_id == _M.c.version_id).where(_C.c.dataset == dataset)
        else:
            query = query.join(_V, _V.c.id == _M.c.version_id).where(
                _V.c.dataset == dataset, _V.c.version == version
            )
        with self._engine.connect() as conn:
            data = conn.execute(query).scalar()
        return Entity.from_dict(json.loads(data)) if data is not None else None

    def delta(self, dataset: str, from_version: int | None = None, to_version: int | None = None) -> Delta:
        """What changed from one version to another (default: previous → current).

        With no version before `to_version`, every entity counts as added.
        """
        with self._engine.connect() as conn:
            if to_version is None:
                to_version = self._require_current(conn, dataset).version
            to_vid = self._version_id(conn, dataset, to_version)
            if from_version is None:
                from_version = conn.execute(
                    select(func.max(_V.c.version)).where(_V.c.dataset == dataset, _V.c.version < to_version)
                ).scalar()
            old: dict[str, str] = {}
            if from_version is not None:
                old = self._members(conn, self._version_id(conn, dataset, from_version))
            new = self._members(conn, to_vid)
            ids = diff_ids(old, new)
            wanted = [new[e] for e in ids.added] + [old[e] for e in ids.removed]
            wanted += [fp for e in ids.changed for fp in (old[e], new[e])]
            dicts = _load_dicts(conn, wanted)
        changes = []
        for e in ids.changed:
            before, after = dicts[old[e]], dicts[new[e]]
            changes.append(
                Change(Entity.from_dict(before), Entity.from_dict(after), changed_fields(before, after))
            )
        return Delta(
            added=[Entity.from_dict(dicts[new[e]]) for e in ids.added],
            removed=[Entity.from_dict(dicts[old[e]]) for e in ids.removed],
            changed=changes,
            dataset=dataset,
            from_version=from_version,
            to_version=to_version,
        )

    def state_token(self) -> str:
        """Changes whenever any dataset's current version changes (cache key for indexes)."""
        with self._engine.connect() as conn:
            rows = conn.execute(
                select(_C.c.dataset, _V.c.id, _V.c.version, _V.c.content_key, _V.c.loaded_at)
                .join(_V, _V.c.id == _C.c.version_id)
                .order_by(_C.c.dataset)
            ).all()
        return _hash_lines("|".join(str(v) for v in r) for r in rows)[:24]

    def check_integrity(self) -> list[str]:
        """Problems found, or [] when the database is sound (see integrity.py)."""
        with self._engine.connect() as conn:
            return find_problems(conn)

    def _require_current(self, conn: Connection, dataset: str) -> Row[Any]:
        row = conn.execute(
            select(_V).join(_C, _C.c.version_id == _V.c.id).where(_C.c.dataset == dataset)
        ).first()
        if row is None:
            raise StoreError(f"dataset {dataset!r} is not loaded in {_safe_url(self.url)}")
        return row

    def _version_id(self, conn: Connection, dataset: str, version: int | None) -> int:
        if version is None:
            return self._require_current(conn, dataset).id
        vid = conn.execute(select(_V.c.id).where(_V.c.dataset == dataset, _V.c.version == version)).scalar()
        if vid is None:
            raise StoreError(f"dataset {dataset!r} has no version {version} in {_safe_url(self.url)}")
        return vid

    @staticmethod
    def _members(conn: Connection, vid: int) -> dict[str, str]:
        rows = conn.execute(
            select(_M.c.entity_id, _M.c.fingerprint).where(_M.c.version_id == vid).order_by(_M.c.position)
        ).all()
        return dict(rows)

    @staticmethod
    def _infos(conn: Connection, rows: Sequence[Row[Any]], current: set[int]) -> list[VersionInfo]:
        files: dict[int, list[SourceFile]] = {}
        ids = [r.id for r in rows]
        for chunk in _chunks(ids, IN_CHUNK):
            for f in conn.execute(
                select(_F).where(_F.c.version_id.in_(chunk)).order_by(_F.c.version_id, _F.c.position)
            ):
                files.setdefault(f.version_id, []).append(
                    SourceFile(f.name, f.sha256, f.size, f.origin or "")
                )
        return [
            VersionInfo(
                dataset=r.dataset,
                version=r.version,
                published=r.published,
                loaded_at=utc(r.loaded_at),
                entity_count=r.entity_count,
                files=files.get(r.id, []),
                stats=dict(r.stats or {}),
                current=r.id in current,
                added=r.added,
                removed=r.removed,
                changed=r.changed,
            )
            for r in rows
        ]


_TABLE_MODULES = ("tamiz.audit.tables", "tamiz.cases.tables", "tamiz.auth.tables")


def _records(entities: Iterable[Entity]) -> Iterator[tuple[str, str, str]]:
    """(id, fingerprint, canonical JSON) per entity: the fingerprint is Entity.fingerprint()'s,
    computed from the one canonical_json() call instead of two."""
    for e in entities:
        data = e.canonical_json()
        yield e.id, hashlib.sha256(data.encode("utf-8")).hexdigest(), data


def _existing_fingerprints(conn: Connection, fps: list[str]) -> set[str]:
    found: set[str] = set()
    for chunk in _chunks(fps, IN_CHUNK):
        found.update(conn.execute(select(_R.c.fingerprint).where(_R.c.fingerprint.in_(chunk))).scalars())
    return found


def _load_dicts(conn: Connection, fps: list[str]) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for chunk in _chunks(sorted(set(fps)), IN_CHUNK):
        for fp, data in conn.execute(select(_R.c.fingerprint, _R.c.data).where(_R.c.fingerprint.in_(chunk))):
            out[fp] = json.loads(data)
    return out


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Building ~10^5 small objects in a row triggers repeated full GC passes over
    everything alive (2-3x the decode time); nothing built here is cyclic garbage."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _batches(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    batch: list[Any] = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def _chunks(items: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def _hash_lines(lines: Iterable[str]) -> str:
    return hashlib.sha256("\n".join(lines).encode("utf-8")).hexdigest()


def _ensure_sqlite_dir(url: str) -> None:
    parsed = make_url(url)
    db = parsed.database
    if parsed.get_backend_name() == "sqlite" and db and db != ":memory:" and not db.startswith("file:"):
        Path(parsed.database).expanduser().parent.mkdir(parents=True, exist_ok=True)


def _safe_url(url: str) -> str:
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "<invalid url>"


def _first_line(exc: BaseException) -> str:
    return str(getattr(exc, "orig", None) or exc).splitlines()[0]
