"""Screen rows with one screener: the work each pool worker does on a chunk."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from tamiz.screen.batch.mapping import ColumnMapping
from tamiz.screen.batch.readers import RawRow
from tamiz.screen.countries import query_countries


class _Screener(Protocol):
    def screen(self, name: str, schema: str | None = ..., dob: Any = ..., country: Any = ..., id_number: Any = ...,
               limit: int = ..., threshold: float | None = ..., audit: bool = ...) -> Any: ...


@dataclass(slots=True)
class ChunkResult:
    index: int
    rows: int
    screened: int
    hits: list[dict[str, Any]] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)
    # Per screened row: reference, input and every result's (id, score, match),
    # written to the audit log by the parent in one record per chunk.
    audit: list[dict[str, Any]] = field(default_factory=list)


class QueryCache(OrderedDict):
    """Matches per distinct query, least recently used dropped: customer files repeat names."""

    def __init__(self, size: int = 50_000):
        super().__init__()
        self.size = size

    def get_matches(self, key: tuple) -> Any | None:
        found = self.get(key)
        if found is not None:
            self.move_to_end(key)
        return found

    def put(self, key: tuple, matches: Any) -> None:
        self[key] = matches
        if len(self) > self.size:
            self.popitem(last=False)


def screen_chunk(index: int, rows: Sequence[RawRow], screener: _Screener, mapping: ColumnMapping,
                 threshold: float | None = None, limit: int = 10, cache: QueryCache | None = None) -> ChunkResult:
    """Screen each readable row; unreadable or nameless rows become error records."""
    result = ChunkResult(index=index, rows=len(rows), screened=0)
    seen = cache if cache is not None else QueryCache()
    for row in rows:
        if row.values is None:
            result.errors.append({"line": row.line, "key": "", "problem": row.problem or "unreadable row",
                                  "excerpt": row.excerpt})
            continue
        q = mapping.query(row.values)
        key = q["key"] or str(row.line)
        if not q["name"]:
            result.errors.append({"line": row.line, "key": key, "problem": "no name in this row", "excerpt": row.excerpt})
            continue
        countries = query_countries([q["country"]]) if q["country"] else []
        cache_key = (q["name"], q["schema"], q["dob"], tuple(countries), q["id_number"])
        cached = seen.get_matches(cache_key)
        if cached is None:
            try:
                found = screener.screen(q["name"], schema=q["schema"], dob=q["dob"], country=countries,
                                        id_number=q["id_number"], limit=limit, threshold=threshold, audit=False)
            except Exception as exc:  # one bad row must not stop a million-row run
                result.errors.append({"line": row.line, "key": key, "problem": f"screening failed: {exc}",
                                      "excerpt": row.excerpt})
                continue
            # Compact: the entity side of each match once, and (id, score, match) per result.
            cached = (tuple(match_record(r) for r in found.results if r.match),
                      [[r.id, r.score, r.match] for r in found.results])
            seen.put(cache_key, cached)
        matches, scored = cached
        result.audit.append({"reference": key, "line": row.line, "input": {k: v for k, v in q.items() if v and k != "key"},
                             "results": scored})
        result.screened += 1
        for m in matches:
            result.hits.append({"key": key, "line": row.line, "name": q["name"], **m})
    return result


def match_record(r: Any) -> dict[str, Any]:
    """The listed side of a hit record: the same for every row that screens to it."""
    entity = getattr(r, "entity", None)
    return {
        "entity_id": r.id,
        "caption": r.caption,
        "schema": r.schema,
        "score": round(float(r.score), 4),
        "match": bool(r.match),
        "datasets": list(r.datasets),
        "programs": list(entity.programs) if entity is not None else [],
        "explanation": r.explanation,
    }


def hit_record(key: str, line: int, name: str, r: Any) -> dict[str, Any]:
    return {"key": key, "line": line, "name": name, **match_record(r)}


def screen_rows(rows: Iterable[dict[str, Any]], screener: _Screener, *, mapping: ColumnMapping | None = None,
                threshold: float | None = None, limit: int = 10,
                errors: list[dict[str, Any]] | None = None) -> Iterator[dict[str, Any]]:
    """Hit records for in-memory rows (dicts); the mapping is guessed from the first row's keys.

    Rows that cannot be screened (no name) are appended to `errors` when given.
    """
    resolved: ColumnMapping | None = None
    for number, values in enumerate(rows, start=1):
        if resolved is None:
            resolved = (mapping or ColumnMapping()).resolve(list(values), "rows")
        result = screen_chunk(0, [RawRow(number, dict(values))], screener, resolved, threshold, limit)
        if result.audit and hasattr(screener, "record"):
            screener.record("batch", screener.batch_audit_payload("rows", result.audit, threshold))
        if errors is not None:
            errors.extend(result.errors)
        yield from result.hits
