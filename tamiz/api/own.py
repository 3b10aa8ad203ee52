"""tamiz's own endpoints: /screen (names), /text (free text), /messages (payment files)."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request

from tamiz.api import access, deps
from tamiz.api.errors import ApiError
from tamiz.api.models import ScreenQuery, ScreenRequest, TextRequest
from tamiz.api.responses import FastJSONResponse as JSONResponse
from tamiz.api.state import Loaded
from tamiz.api.yente import ERRORS
from tamiz.match import DEFAULT_WEIGHTS
from tamiz.match import Query as MatchQuery
from tamiz.model import SCHEMAS
from tamiz.screen.countries import query_countries

router = APIRouter()

MAX_TEXT = 20_000


def _list(value: list[str] | str | None) -> list[str]:
    if value is None:
        return []
    return [value] if isinstance(value, str) else list(value)


@router.post("/screen", tags=["tamiz"], responses=ERRORS, dependencies=[access.NeedScreener])
async def screen(request: Request, body: ScreenRequest) -> JSONResponse:
    """Screen one name (`name`, `dob`, `country`...) or a batch (`queries`); returns tamiz's results."""
    view = deps.current(request)
    settings = deps.settings(request)
    queries = list(body.queries or [])
    if body.name:
        queries.insert(0, ScreenQuery(name=body.name, schema=body.schema_, dob=body.dob, country=body.country,
                                      id_number=body.id_number, gender=body.gender, reference=body.reference))
    if not queries:
        raise ApiError(400, "give a `name` to screen, or `queries`: a list of {name, dob, country, id_number, schema}")
    if len(queries) > settings.max_batch:
        raise ApiError(400, f"too many queries: {len(queries)} in one request, the limit is {settings.max_batch}")
    for q in queries:
        if q.schema_ is not None and q.schema_ not in SCHEMAS:
            raise ApiError(400, f"unknown schema {q.schema_!r}; use one of {', '.join(SCHEMAS)}")
    datasets = deps.scope(view, "default", include=body.datasets or ())
    weights = {k: v for k, v in body.weights.items() if k in DEFAULT_WEIGHTS} or None

    payloads: list[dict[str, Any]] = []
    who = access.actor(request)
    cases = request.app.state.services.cases if any(q.reference for q in queries) else None

    def work() -> list[dict[str, Any]]:
        out = []
        for q in queries:
            query = MatchQuery(name=q.name, schema=q.schema_, birth_dates=_list(q.dob),
                          countries=query_countries(_list(q.country)), identifiers=_list(q.id_number), gender=q.gender)
            result = view.screener.screen_query(query, limit=body.limit, threshold=body.threshold, weights=weights,
                                                datasets=datasets, audit=False)
            payloads.append(view.screener.audit_payload(result, q.reference))
            item = result.to_dict()
            if q.reference is not None and cases is not None:
                item["reference"] = q.reference
                item["alerts"] = [_alert_summary(a) for a in open_alerts(cases, view, result, q.reference, who)]
            out.append(item)
        return out

    results = await deps.run(request, work, inline=len(queries) == 1 and cases is None)
    await deps.audit(request, view, payloads)
    return JSONResponse({"results": results})


def open_alerts(cases: Any, view: Loaded, result: Any, reference: str, actor: str) -> list[Any]:
    """Alerts for a customer's matches, opened in the caller's name (the allow-list applies)."""
    if not result.matches:
        return []
    hits = [r.to_dict() | {"fingerprint": r.entity.fingerprint()} for r in result.matches if r.entity]
    return cases.open_alerts(reference, result.query, hits, view.screener.list_versions(),
                             threshold=result.threshold, actor=actor)


def _alert_summary(a: Any) -> dict[str, Any]:
    return {"id": a.id, "entity_id": a.entity_id, "status": a.status, "new": a.new, "score": a.score,
            "allow_list_id": a.allow_list_id}


def _mention_finder() -> Callable[..., Any] | None:
    """The free-text screener, wherever the screen room provides it."""
    for module, name in (("tamiz.screen.text", "find_mentions"), ("tamiz.screen.message_screening", "text_mentions")):
        try:
            return getattr(importlib.import_module(module), name)
        except (ImportError, AttributeError):
            continue
    return None


def _mention_dict(item: Any) -> dict[str, Any]:
    if hasattr(item, "to_dict"):
        return item.to_dict()
    words, hit = item
    return {"text": words, **hit.to_dict()}


@router.post("/text", tags=["tamiz"], responses={**ERRORS, 501: {"description": "Free-text screening not available"}},
             dependencies=[access.NeedScreener])
async def text(request: Request, body: TextRequest) -> JSONResponse:
    """Find listed parties named anywhere in a free text (remittance info, a news paragraph...)."""
    view = deps.current(request)
    if len(body.text) > MAX_TEXT:
        raise ApiError(400, f"text is {len(body.text)} characters; the limit is {MAX_TEXT}")
    finder = _mention_finder()
    if finder is None:
        raise ApiError(501, "free-text screening is not available in this build")
    found = await deps.run(request, finder, body.text, view.screener, body.threshold)
    return JSONResponse({"mentions": [_mention_dict(m) for m in found],
                         "datasets": [s.to_dict() for s in view.screener.status()]})


@router.post(
    "/messages",
    tags=["tamiz"],
    dependencies=[access.NeedScreener],
    responses=ERRORS,
    openapi_extra={"requestBody": {"required": True, "content": {
        "text/plain": {"schema": {"type": "string"}, "example": "{1:F01BANKBEBBAXXX0000000000}{2:I103...}{4:\n:20:REF\n-}"},
        "application/xml": {"schema": {"type": "string"}},
    }}},
)
async def messages(
    request: Request,
    threshold: Annotated[float | None, Query(ge=0.0, le=1.0, allow_inf_nan=False)] = None,
    limit: Annotated[int, Query(ge=1, le=50)] = 5,
) -> JSONResponse:
    """Screen every party and free-text field of payment messages (SWIFT MT103, ISO 20022 pacs.008 / pain.001).

    The body is the raw file content, as it would be saved to disk.
    """
    from tamiz.screen.message_screening import messages_to_json, screen_messages
    from tamiz.screen.messages import parse_messages

    view = deps.current(request)
    data = await request.body()
    if not data.strip():
        raise ApiError(400, "empty body: send the payment message file content (MT103, pacs.008 or pain.001)")

    def work() -> dict[str, Any]:
        parsed = parse_messages(data, source="request body")
        return messages_to_json(screen_messages(parsed, view.screener, threshold=threshold, limit=limit))

    return JSONResponse(await deps.run(request, work))
