"""yente's /match semantics over `Screener.screen_query`: one FtM query in, scored entities out.

A query with several names (name, alias...) runs once per name and keeps each
entity's best score, which is how a yente client expects multi-valued names
to behave.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tamiz.api.ftm import FtmQuery
from tamiz.api.state import Loaded
from tamiz.screen.screener import ScreenHit

ALGORITHM = "tamiz"
# Names yente clients send; all are answered by tamiz's one calibrated matcher.
ALGORITHM_ALIASES = ("best", "tamiz", "logic-v2", "logic-v1", "name-based", "name-qualified", "regression-v1",
                     "regression-v2")


@dataclass(slots=True)
class MatchOptions:
    limit: int = 5
    threshold: float | None = None
    cutoff: float = 0.0
    weights: dict[str, float] = field(default_factory=dict)
    datasets: list[str] | None = None
    exclude_schema: set[str] = field(default_factory=set)
    exclude_ids: set[str] = field(default_factory=set)
    topics: set[str] = field(default_factory=set)
    changed_since: str | None = None


def _allowed(view: Loaded, hit: ScreenHit, opts: MatchOptions) -> bool:
    if hit.score < opts.cutoff or hit.id in opts.exclude_ids or hit.schema in opts.exclude_schema:
        return False
    if opts.topics and "sanction" not in opts.topics:
        return False  # every party tamiz lists carries the one topic "sanction"
    if opts.changed_since and view.ctx is not None:
        changed = view.ctx.dates.get(hit.entity.dataset if hit.entity else "", {}).get("last_change")
        if changed and changed < opts.changed_since:
            return False
    return True


def scored(view: Loaded, hit: ScreenHit) -> dict[str, Any]:
    assert hit.entity is not None
    out = view.ftm(hit.entity)
    features: dict[str, float] = {}
    explanations: dict[str, dict[str, Any]] = {}
    for f in hit.features:
        name = f["name"]
        if name not in features:
            features[name] = f["value"]
            explanations[name] = {k: f.get(k) for k in ("detail", "weight", "query", "candidate")}
    out.update(score=hit.score, match=hit.match, features=features, explanations=explanations,
               explanation=hit.explanation, token=None)
    return out


def match_one(view: Loaded, key: str, fq: FtmQuery, opts: MatchOptions,
              audit: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """One query's yente response; each screening's audit payload is appended to `audit`."""
    fetch = opts.limit + len(opts.exclude_ids) + (opts.limit if opts.exclude_schema else 0)
    best: dict[str, ScreenHit] = {}
    for query in fq.queries:
        result = view.screener.screen_query(query, limit=fetch, threshold=opts.threshold, weights=opts.weights or None,
                                            datasets=opts.datasets, audit=False)
        if audit is not None:
            audit.append(view.screener.audit_payload(result))
        for hit in result.results:
            if hit.id not in best or hit.score > best[hit.id].score:
                best[hit.id] = hit
    hits = sorted((h for h in best.values() if _allowed(view, h, opts)), key=lambda h: (-h.score, h.id))
    results = [scored(view, h) for h in hits[: opts.limit]]
    return {
        "status": 200,
        "results": results,
        "total": {"value": len(results), "relation": "eq"},
        "query": fq.echo(key),
    }
