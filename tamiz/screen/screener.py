"""Screen one party against the current versions of the loaded lists.

`Screener` is the Python API every other surface (CLI, HTTP, batch, messages)
goes through, so they all see the same lists, the same matcher and the same
freshness warnings.
"""

from __future__ import annotations

import gc
import hashlib
import logging
import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tamiz import __version__
from tamiz.audit import AuditLog
from tamiz.audit.buffer import AuditBuffer
from tamiz.cases import CaseManager
from tamiz.config import STALE_AFTER_DAYS, cache_dir
from tamiz.errors import UnknownDataset
from tamiz.match import MATCH_THRESHOLD, Hit, Matcher, Query
from tamiz.model import Entity
from tamiz.normalize.caches import clear_caches
from tamiz.screen.collections import resolve_names
from tamiz.screen.freshness import DatasetStatus, dataset_status
from tamiz.store import Store, VersionInfo

log = logging.getLogger(__name__)


@dataclass(slots=True)
class ScreenHit:
    id: str
    schema: str
    caption: str
    score: float
    match: bool
    datasets: list[str]
    explanation: str
    features: list[dict[str, Any]] = field(default_factory=list)
    entity: Entity | None = field(default=None, repr=False)
    also_on: list[str] = field(default_factory=list)  # the same party on other lists

    @classmethod
    def of(cls, hit: Hit, also_on: Sequence[str] = ()) -> ScreenHit:
        e = hit.entity
        datasets = [e.dataset]
        datasets += sorted({other.split(":", 1)[0] for other in also_on} - {e.dataset})
        return cls(
            id=e.id,
            schema=e.schema,
            caption=e.caption,
            score=round(hit.score, 4),
            match=hit.match,
            datasets=datasets,
            explanation=hit.explanation,
            features=[f.to_dict() for f in hit.features],
            entity=e,
            also_on=list(also_on),
        )

    def to_dict(self, features: bool = True) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": self.id,
            "schema": self.schema,
            "caption": self.caption,
            "score": self.score,
            "match": self.match,
            "datasets": self.datasets,
            "explanation": self.explanation,
        }
        if self.also_on:
            out["also_on"] = self.also_on
        if features:
            out["features"] = self.features
        return out


@dataclass(slots=True)
class ScreenResult:
    query: dict[str, Any]
    datasets: list[DatasetStatus]
    results: list[ScreenHit]
    threshold: float

    @property
    def matches(self) -> list[ScreenHit]:
        return [r for r in self.results if r.match]

    def to_dict(self) -> dict[str, Any]:
        return {
            "query": self.query,
            "threshold": self.threshold,
            "datasets": [d.to_dict() for d in self.datasets],
            "results": [r.to_dict() for r in self.results],
        }


class Screener:
    """Holds the matcher for one consistent set of list versions.

    Every screening is written to the hash-chained audit log (who, when, input,
    list versions, engine version, threshold, results) unless the caller turns
    auditing off to record in bulk itself, as batch runs do.
    """

    def __init__(
        self,
        store: Store,
        versions: list[VersionInfo],
        matcher: Matcher,
        entities: dict[str, Entity],
        *,
        audit: bool = True,
        actor: str | None = None,
    ):
        self.store = store
        self.versions = versions
        self.matcher = matcher
        self.entities = entities
        self.opened_at = datetime.now(UTC)
        self.actor = actor or default_actor()
        self.audit: AuditLog | None = AuditLog(store.engine) if audit else None
        self._audit_buffer = AuditBuffer(self.audit) if self.audit is not None else None
        self._cases: CaseManager | None = None
        self._list_versions: dict[str, Any] | None = None
        self._status: tuple[Any, list[DatasetStatus]] | None = None

    @classmethod
    def open(
        cls,
        db: str | None = None,
        datasets: Sequence[str] | None = None,
        *,
        store: Store | None = None,
        load_default: bool = True,
        audit: bool = True,
        actor: str | None = None,
    ) -> Screener:
        store = store or Store.open(db)
        if load_default and not store.datasets():
            load_default_snapshot(store)
        versions = select_versions(store, datasets)
        entities: list[Entity] = []
        for v in versions:
            entities.extend(store.entities(v.dataset, v.version))
        matcher = _cached_matcher(versions, entities)
        screener = cls(store, versions, matcher, {e.id: e for e in entities}, audit=audit, actor=actor)
        clear_caches()  # the build's listed names, not what queries will ask: a server starts flat either way
        # The lists and index live as long as the process: move them out of the
        # cyclic collector's sight, or every collection re-scans millions of them.
        gc.collect()
        gc.freeze()
        return screener

    @property
    def cases(self) -> CaseManager:
        if self._cases is None:
            self._cases = CaseManager(self.store.engine, self.audit or AuditLog(self.store.engine))
        return self._cases

    def also_on(self, entity_id: str) -> list[str]:
        """Ids of the same party on the other loaded lists (strong evidence only)."""
        if len(self.versions) < 2:
            return []
        from tamiz.screen.crosslist import also_on

        return also_on(self, entity_id)

    def list_versions(self) -> dict[str, Any]:
        """The list versions this screener answers from (fixed for its lifetime)."""
        if self._list_versions is None:
            self._list_versions = {v.dataset: {"version": v.version, "published": v.published} for v in self.versions}
        return self._list_versions

    @property
    def state(self) -> str:
        """Which list versions this screener answers from."""
        return ",".join(f"{v.dataset}:{v.version}" for v in self.versions)

    def status(self, now: datetime | None = None) -> list[DatasetStatus]:
        """Freshness of each list; ages are in days, so today's answer is kept for the day."""
        if now is not None:
            return [dataset_status(v, now=now, stale_after_days=STALE_AFTER_DAYS) for v in self.versions]
        today = datetime.now(UTC).date()
        if self._status is None or self._status[0] != today:
            self._status = (today, [dataset_status(v, stale_after_days=STALE_AFTER_DAYS) for v in self.versions])
        return self._status[1]

    def screen(
        self,
        name: str,
        schema: str | None = None,
        dob: str | Sequence[str] | None = None,
        country: str | Sequence[str] | None = None,
        id_number: str | Sequence[str] | None = None,
        gender: str | None = None,
        limit: int = 10,
        threshold: float | None = None,
        weights: dict[str, float] | None = None,
        datasets: Sequence[str] | None = None,
        reference: str | None = None,
        audit: bool = True,
        actor: str | None = None,
    ) -> ScreenResult:
        query = Query(
            name=name,
            schema=schema,
            birth_dates=_as_list(dob),
            countries=[c.lower() for c in _as_list(country)],
            identifiers=_as_list(id_number),
            gender=gender,
        )
        return self.screen_query(
            query, limit=limit, threshold=threshold, weights=weights, datasets=datasets, reference=reference, audit=audit,
            actor=actor,
        )

    def screen_query(
        self,
        query: Query,
        limit: int = 10,
        threshold: float | None = None,
        weights: dict[str, float] | None = None,
        datasets: Sequence[str] | None = None,
        reference: str | None = None,
        audit: bool = True,
        actor: str | None = None,
    ) -> ScreenResult:
        """Screen one query; with a `reference` (a customer id) matches open alerts. `actor` names who asked,
        for a screener shared by many users (a service); by default the screener's own actor."""
        who = actor or self.actor
        threshold = MATCH_THRESHOLD if threshold is None else threshold
        wanted = set(datasets) if datasets else None
        fetch = limit if wanted is None else limit * 4
        hits = self.matcher.search(query, limit=fetch, threshold=threshold, weights=weights)
        if wanted is not None:
            hits = [h for h in hits if h.entity.dataset in wanted][:limit]
        result = ScreenResult(
            query=_query_dict(query),
            datasets=self.status(),
            results=[ScreenHit.of(h, self.also_on(h.entity.id)) for h in hits],
            threshold=threshold,
        )
        if reference is not None and result.matches:
            self.cases.open_alerts(
                reference,
                result.query,
                [r.to_dict(features=False) | {"fingerprint": r.entity.fingerprint()} for r in result.matches if r.entity],
                self.list_versions(),
                threshold=threshold,
                actor=who,
            )
        if audit and self._audit_buffer is not None:
            self._audit_buffer.add("screen", who, self.audit_payload(result, reference))
        return result

    def record(self, kind: str, payload: dict[str, Any], durable: bool = False) -> None:
        """Audit something screened outside `screen_query` (batch chunks, messages).

        `durable` writes before returning (batch runs record before their
        checkpoint); otherwise the record joins the group commit.
        """
        if self.audit is None or self._audit_buffer is None:
            return
        if durable:
            self._audit_buffer.flush()
            self.audit.record(kind, self.actor, payload)
        else:
            self._audit_buffer.add(kind, self.actor, payload)

    def batch_audit_payload(self, source: str, rows: list[dict[str, Any]], threshold: float | None,
                            chunk: int | None = None) -> dict[str, Any]:
        """One audit record for many screened rows: each row's reference, input and scores."""
        payload: dict[str, Any] = {
            "source": source,
            "list_versions": self.list_versions(),
            "engine": f"tamiz {__version__}",
            "threshold": MATCH_THRESHOLD if threshold is None else threshold,
            "rows": rows,
        }
        if chunk is not None:
            payload["chunk"] = chunk
        return payload

    def flush(self) -> None:
        """Make every screening so far durable in the audit log."""
        if self._audit_buffer is not None:
            self._audit_buffer.flush()

    def close(self) -> None:
        if self._audit_buffer is not None:
            self._audit_buffer.close()

    def __enter__(self) -> "Screener":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def audit_payload(self, result: ScreenResult, reference: str | None = None) -> dict[str, Any]:
        """What an examiner needs to replay a screening: input, lists, engine, outcome."""
        payload: dict[str, Any] = {
            "input": result.query,
            "list_versions": self.list_versions(),
            "engine": f"tamiz {__version__}",
            "threshold": result.threshold,
            "results": [{"id": r.id, "score": r.score, "match": r.match} for r in result.results],
        }
        if reference is not None:
            payload["reference"] = reference
        return payload


def select_versions(store: Store, datasets: Sequence[str] | None) -> list[VersionInfo]:
    """Current versions of the named datasets or collections (all when None)."""
    current = {v.dataset: v for v in store.datasets()}
    if not datasets:
        return sorted(current.values(), key=lambda v: v.dataset)
    names = resolve_names(datasets, loaded=list(current))
    missing = [n for n in names if n not in current]
    if missing:
        loaded = ", ".join(sorted(current)) or "none"
        raise UnknownDataset(f"dataset not loaded: {', '.join(missing)} (loaded: {loaded})")
    return [current[n] for n in names]


def load_default_snapshot(store: Store) -> None:
    """First use: land the packaged OFAC SDN snapshot so screening works offline."""
    from tamiz.sources.snapshot import parse_snapshot

    log.warning("no lists loaded yet: loading the packaged OFAC SDN snapshot")
    store.load(parse_snapshot())


def _cached_matcher(versions: list[VersionInfo], entities: list[Entity]) -> Matcher:
    """Build the index once per set of list versions and keep it on disk."""
    key_src = "|".join(f"{v.dataset}:{v.version}:{','.join(f.sha256 for f in v.files)}" for v in versions)
    engine = f"{__version__}:{getattr(Matcher, 'CACHE_VERSION', '')}"
    key = hashlib.sha256((engine + key_src).encode()).hexdigest()[:24]
    path = Path(cache_dir()) / "index" / f"{key}.idx"
    if path.exists():
        try:
            return Matcher.load(path, entities)
        except Exception as exc:  # a corrupt or outdated cache is rebuilt, never fatal
            log.warning("rebuilding index cache %s: %s", path, exc)
    matcher = Matcher.build(entities)
    path.parent.mkdir(parents=True, exist_ok=True)
    # A private temporary name: processes sharing the cache never write one file.
    fd, tmp_name = tempfile.mkstemp(prefix=path.name, suffix=".tmp", dir=path.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        matcher.save(tmp)
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)
    return matcher


def default_actor() -> str:
    """Who screens: TAMIZ_ACTOR, else the operating-system user."""
    import getpass

    return os.environ.get("TAMIZ_ACTOR") or getpass.getuser()


def _as_list(value: str | Sequence[str] | None) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value] if value.strip() else []
    return [v for v in value if v]


def _query_dict(query: Query) -> dict[str, Any]:
    out: dict[str, Any] = {"name": query.name}
    if query.schema:
        out["schema"] = query.schema
    if query.birth_dates:
        out["dob"] = query.birth_dates
    if query.countries:
        out["country"] = query.countries
    if query.identifiers:
        out["id_number"] = query.identifiers
    if query.gender:
        out["gender"] = query.gender
    return out
