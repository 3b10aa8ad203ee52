"""The endpoints a yente client calls: /match, /search, /entities, /catalog, /algorithms."""

from __future__ import annotations

import functools
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request

from tamiz import __version__
from tamiz.api import access, deps
from tamiz.api.errors import ApiError
from tamiz.api.fastpath import FastBodyRoute
from tamiz.api.ftm import QueryError, is_unicode, our_schema, parse_query
from tamiz.api.matching import ALGORITHM, ALGORITHM_ALIASES, MatchOptions, match_one
from tamiz.api.models import EntityResponse, ErrorResponse, MatchRequest, MatchResponse, SearchResponse
from tamiz.api.responses import FastJSONResponse as JSONResponse
from tamiz.match import DEFAULT_WEIGHTS, MATCH_THRESHOLD
from tamiz.match import Query as MatchQuery
from tamiz.model import Entity
from tamiz.screen.freshness import dataset_status

router = APIRouter()

ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorResponse, "description": "Missing or invalid API key (when auth is on)"},
    403: {"model": ErrorResponse, "description": "The key's role may not do this"},
    400: {"model": ErrorResponse, "description": "Invalid query (unknown schema or property, batch too large)"},
    404: {"model": ErrorResponse, "description": "Unknown dataset, collection or entity"},
    413: {"model": ErrorResponse, "description": "Request body too large"},
    422: {"model": ErrorResponse, "description": "Request does not fit the schema"},
    503: {"model": ErrorResponse, "description": "Lists still loading, or too many requests in flight"},
}

Unit = Annotated[float, Query(ge=0.0, le=1.0, allow_inf_nan=False)]
DatasetPath = Annotated[str, Path(description="A dataset name or a collection (`default`: every loaded list)",
                                  max_length=200)]
Names = Annotated[list[str], Query(max_length=100)]

FEATURE_HELP = {
    "name": "Similarity of the best-matching pair of names, by aligned name parts",
    "weak_alias": "The match is on a weak (low-quality) alias",
    "dob_match": "A date of birth agrees to the day (or month)",
    "dob_year_match": "A year of birth agrees",
    "dob_clash": "Dates of birth disagree",
    "country_match": "A country (nationality, address) agrees",
    "country_clash": "Countries disagree",
    "gender_clash": "Genders disagree",
    "identifier_match": "An identifier (passport, national id, registration...) agrees",
    "identifier_clash": "An identifier of the same kind disagrees",
    "legal_form_person": "The query ends in a legal form (a company) but the listed party is a person",
}


@functools.cache
def algorithm_info() -> dict[str, Any]:
    return {
        "name": ALGORITHM,
        "description": "tamiz's calibrated matcher: aligned name parts with token weights, plus date of birth, "
        "country, gender and identifier evidence; every score comes with its features and a sentence.",
        "version": __version__,
        "threshold": MATCH_THRESHOLD,
        "features": {k: {"description": FEATURE_HELP.get(k, k), "coefficient": v} for k, v in DEFAULT_WEIGHTS.items()},
    }


async def match(
    request: Request,
    dataset: DatasetPath,
    body: MatchRequest,
    limit: Annotated[int, Query(ge=1, le=500)] = 5,
    threshold: Unit | None = None,
    cutoff: Unit = 0.0,
    algorithm: Annotated[str, Query(max_length=50)] = "best",
    include_dataset: Names = [],  # noqa: B006 - FastAPI copies defaults
    exclude_dataset: Names = [],  # noqa: B006
    exclude_schema: Names = [],  # noqa: B006
    exclude_entity_ids: Names = [],  # noqa: B006
    changed_since: Annotated[str | None, Query(max_length=40)] = None,
    topics: Names = [],  # noqa: B006
) -> JSONResponse:
    """Match up to 100 FollowTheMoney query entities against the lists (yente's `/match`)."""
    view = deps.current(request)
    settings = deps.settings(request)
    if algorithm not in ALGORITHM_ALIASES:
        raise ApiError(400, f"unknown algorithm {algorithm!r}; use one of: {', '.join(ALGORITHM_ALIASES)}")
    if len(body.queries) > settings.max_batch:
        raise ApiError(400, f"too many queries: {len(body.queries)} in one request, the limit is {settings.max_batch}")
    parsed = {}
    for key, q in body.queries.items():
        if not is_unicode(key):
            raise ApiError(400, f"query key {key!r} is not valid Unicode text (lone surrogate escape)")
        try:
            parsed[key] = parse_query(q.schema_, q.properties)
        except QueryError as exc:
            raise ApiError(400, f"query {key!r}: {exc}") from None
    opts = MatchOptions(
        limit=limit,
        threshold=threshold,
        cutoff=cutoff,
        weights={k: v for k, v in body.weights.items() if k in DEFAULT_WEIGHTS},
        datasets=deps.scope(view, dataset, include_dataset, exclude_dataset),
        exclude_schema=set(exclude_schema),
        exclude_ids=set(exclude_entity_ids),
        topics=set(topics),
        changed_since=changed_since,
    )

    payloads: list[dict[str, Any]] = []

    def work() -> dict[str, Any]:
        return {key: match_one(view, key, fq, opts, payloads) for key, fq in parsed.items()}

    responses = await deps.run(request, work, inline=len(parsed) == 1)
    await deps.audit(request, view, payloads)
    info = {**algorithm_info(), "requested": algorithm}
    return JSONResponse({"responses": responses, "matcher": info, "limit": limit})


# Registered by hand for its route class: the plain request takes FastBodyRoute's short path.
router.add_api_route("/match/{dataset}", match, methods=["POST"], tags=["yente"],
                     responses={200: {"model": MatchResponse}, **ERRORS}, dependencies=[access.NeedScreener],
                     route_class_override=FastBodyRoute)


def _countries(e: Entity) -> set[str]:
    out = set(e.nationalities) | set(e.citizenships) | set(e.countries)
    out.update(a.country for a in e.addresses if a.country)
    return out


@router.get("/search/{dataset}", tags=["yente"], responses={200: {"model": SearchResponse}, **ERRORS},
            dependencies=[access.NeedScreener])
async def search(
    request: Request,
    dataset: DatasetPath,
    q: Annotated[str, Query(max_length=500, description="Text to search for in names")] = "",
    schema: Annotated[str | None, Query(max_length=100)] = None,
    countries: Names = [],  # noqa: B006
    limit: Annotated[int, Query(ge=0, le=500)] = 10,
    offset: Annotated[int, Query(ge=0, le=9499)] = 0,
) -> JSONResponse:
    """Ranked name search with schema and country filters, in pages (yente's `/search`)."""
    from followthemoney import model

    from tamiz.screen.countries import query_countries

    view = deps.current(request)
    wanted = deps.scope(view, dataset)
    allowed = set(wanted) if wanted is not None else None
    target = None
    if schema:
        ftm_schema = model.get(schema)
        if ftm_schema is None:
            raise ApiError(400, f"unknown schema {schema!r}")
        target = ftm_schema
    codes = set(query_countries(countries))

    def keep(e: Entity) -> bool:
        if allowed is not None and e.dataset not in allowed:
            return False
        if target is not None and not ((model.get(e.schema) or target).is_a(target)):
            return False
        return not codes or bool(codes & _countries(e))

    def work() -> tuple[int, list[dict[str, Any]]]:
        if q.strip():
            fetch = min(1000, (offset + limit) * 2 + 20)
            query = MatchQuery(name=q.strip(), schema=our_schema(target.name) if target else None)
            hits = view.screener.matcher.search(query, limit=fetch, threshold=0.0)
            ranked = [(h.entity, h.score) for h in hits if keep(h.entity)]
            return len(ranked), [{**view.ftm(e), "score": round(s, 4)} for e, s in ranked[offset: offset + limit]]
        entities = [e for e in view.screener.entities.values() if keep(e)]
        return len(entities), [view.ftm(e) for e in entities[offset: offset + limit]]

    total, results = await deps.run(request, work)
    return JSONResponse({
        "results": results,
        "total": {"value": total, "relation": "eq"},
        "limit": limit,
        "offset": offset,
        "facets": {},
    })


@router.get("/entities/{entity_id}", tags=["yente"], responses={200: {"model": EntityResponse}, **ERRORS},
            dependencies=[access.NeedScreener])
def entity(
    request: Request,
    entity_id: Annotated[str, Path(max_length=300)],
    nested: bool = True,
) -> JSONResponse:
    """One listed party, with linked parties nested in its link properties (yente's `/entities`)."""
    view = deps.current(request)
    e = view.entity(entity_id)
    if e is None:
        raise ApiError(404, f"no entity with id {entity_id!r} in the loaded lists")
    return JSONResponse(view.ftm(e, nested=nested))


@router.get("/catalog", tags=["yente"], dependencies=[access.NeedScreener])
def catalog(request: Request) -> dict[str, Any]:
    """Every loaded list with its version, publication date, age and staleness."""
    from tamiz.sources.registry import collections, load_registry

    view = deps.current(request)
    registry = load_registry()
    now = datetime.now(UTC)
    out = []
    for v in view.screener.versions:
        status = dataset_status(v, now=now)
        spec = registry.get(v.dataset)
        out.append({
            "name": v.dataset,
            "title": spec.title if spec else v.dataset,
            "publisher": spec.publisher if spec else None,
            "type": "source",
            "load": True,
            "version": str(v.version),
            "published": v.published,
            "loaded_at": v.loaded_at.isoformat(timespec="seconds"),
            "updated_at": v.published or v.loaded_at.isoformat(timespec="seconds"),
            "last_export": v.loaded_at.isoformat(timespec="seconds"),
            "entity_count": v.entity_count,
            "age_days": status.age_days,
            "stale": status.stale,
            "warning": status.warning,
            "collections": spec.collections if spec else [],
        })
    loaded = [v.dataset for v in view.screener.versions]
    for name, spec in registry.items():
        if name not in loaded:
            out.append({"name": name, "title": spec.title, "publisher": spec.publisher, "type": "source",
                        "load": False, "version": None, "entity_count": 0, "collections": spec.collections})
    for name, members in collections(registry).items():
        out.append({"name": name, "title": f"Collection: {name}", "type": "collection", "load": True,
                    "children": members, "entity_count": sum(v.entity_count for v in view.screener.versions
                                                             if v.dataset in members)})
    return {
        "datasets": out,
        "current": loaded,
        "outdated": [d["name"] for d in out if d.get("stale")],
        "index_stale": False,
        "index_loaded_at": view.loaded_at.isoformat(timespec="seconds"),
    }


@router.get("/algorithms", tags=["yente"])
def algorithms() -> dict[str, Any]:
    """The matching algorithm; yente's algorithm names are accepted and answered by it."""
    return {"algorithms": [algorithm_info()], "default": ALGORITHM, "best": ALGORITHM, "aliases": list(ALGORITHM_ALIASES)}
