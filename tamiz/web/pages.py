"""The analyst's pages: search, one party, the lists and what changed in them.

Server-rendered with Jinja2 (autoescaped: every list field is data, never
markup) so the pages work without JavaScript and with a keyboard alone.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from tamiz import __version__
from tamiz.api.state import Loaded
from tamiz.model import SCHEMAS, Entity
from tamiz.screen.countries import query_countries
from tamiz.web import session
from tamiz.web.graph import Neighbour, circle_layout

HERE = Path(__file__).parent
templates = Jinja2Templates(directory=str(HERE / "templates"))
templates.env.globals["tamiz_version"] = __version__
router = APIRouter(include_in_schema=False)

MAX_DIFF_LINES = 600


def _view(request: Request) -> Loaded | None:
    return request.app.state.holder.current


def _page(request: Request, template: str, status: int = 200, **context: Any) -> HTMLResponse:
    view = _view(request)
    statuses = view.screener.status() if view else []
    base = {"statuses": statuses, "principal": getattr(request.state, "principal", None),
            "auth_on": session.auth_enabled(request.app.state.tamiz_keys), "csrf": session.csrf_token(request)}
    response = templates.TemplateResponse(request, template, {**base, **context}, status_code=status)
    return session.finish(request, response)  # type: ignore[return-value]


page = _page  # for the other page modules

Screening = [Depends(session.ui_role("screener"))]


def _loading(request: Request) -> HTMLResponse:
    h = request.app.state.holder
    return _page(request, "message.html", 503, title="Lists loading",
                 message=f"The lists are not loaded: {h.error}" if h.error else "The lists are still loading; try again in a few seconds.")


@router.get("/", response_class=HTMLResponse, dependencies=Screening)
def search_page(
    request: Request,
    q: Annotated[str, Query(max_length=500)] = "",
    dob: Annotated[str, Query(max_length=40)] = "",
    country: Annotated[str, Query(max_length=100)] = "",
    schema: Annotated[str, Query(max_length=40)] = "",
    threshold: Annotated[float | None, Query(ge=0.0, le=1.0, allow_inf_nan=False)] = None,
) -> HTMLResponse:
    view = _view(request)
    if view is None:
        return _loading(request)
    form = {"q": q, "dob": dob, "country": country, "schema": schema}
    problems: list[str] = []
    result = None
    if q.strip():
        if schema and schema not in SCHEMAS:
            problems.append(f"Unknown type {schema!r}.")
        countries = query_countries([country]) if country.strip() else []
        if country.strip() and not countries:
            problems.append(f"Country {country!r} was not recognised and is ignored.")
        result = view.screener.screen(q.strip(), schema=schema if schema in SCHEMAS else None, dob=dob.strip() or None,
                                      country=countries, limit=20, threshold=threshold)
    return _page(request, "search.html", form=form, schemas=SCHEMAS, result=result, problems=problems)


def _neighbours(view: Loaded, e: Entity) -> list[Neighbour]:
    out = []
    for r in e.relations:
        target = view.entity(r.target_id) if r.target_id else None
        out.append(Neighbour(target.id if target else None, target.caption if target else r.target_name,
                             target.schema if target else "LegalEntity", r.type, incoming=False))
    known = {n.entity_id for n in out}
    for inc in view.incoming.get(e.id, []):
        source = view.entity(inc.source_id)
        if source is not None and source.id not in known:
            known.add(source.id)
            out.append(Neighbour(source.id, source.caption, source.schema, inc.type, incoming=True))
    return out


@router.get("/ui/entity/{entity_id}", response_class=HTMLResponse, dependencies=Screening)
def entity_page(request: Request, entity_id: str) -> HTMLResponse:
    view = _view(request)
    if view is None:
        return _loading(request)
    e = view.entity(entity_id)
    if e is None:
        return _page(request, "message.html", 404, title="Not found",
                     message=f"No party with id {entity_id} is on the loaded lists.")
    version = next((v for v in view.screener.versions if v.dataset == e.dataset), None)
    neighbours = _neighbours(view, e)
    from tamiz.sources.registry import load_registry

    spec = load_registry().get(e.dataset)
    return _page(request, "entity.html", e=e, version=version, title=spec.title if spec else e.dataset,
                 neighbours=neighbours, graph=circle_layout(e, neighbours))


@router.get("/ui/lists", response_class=HTMLResponse, dependencies=Screening)
def lists_page(
    request: Request,
    dataset: Annotated[str | None, Query(max_length=200)] = None,
    to: Annotated[int | None, Query(ge=1)] = None,
) -> HTMLResponse:
    from tamiz.store.diff_report import render_diff

    view = _view(request)
    if view is None:
        return _loading(request)
    store = view.screener.store
    lists = []
    for current in store.datasets():
        versions = store.versions(current.dataset)
        chosen = to if dataset == current.dataset and to else current.version
        diff = None
        if any(v.version < chosen for v in versions) and any(v.version == chosen for v in versions):
            delta = store.delta(current.dataset, to_version=chosen)
            lines = render_diff(delta).splitlines()
            diff = {"from": delta.from_version, "to": chosen, "counts": delta.counts,
                    "text": "\n".join(lines[:MAX_DIFF_LINES]), "cut": max(0, len(lines) - MAX_DIFF_LINES)}
        lists.append({"current": current, "versions": list(reversed(versions)), "diff": diff, "chosen": chosen})
    return _page(request, "lists.html", lists=lists)


@router.get("/ui", include_in_schema=False)
def ui_root() -> RedirectResponse:
    return RedirectResponse("/")


def mount(app: FastAPI) -> None:
    from tamiz.web import api_docs, workflow_pages

    templates.env.filters["type_links"] = api_docs.type_links
    app.include_router(router)
    app.include_router(workflow_pages.router)
    app.include_router(api_docs.router)
    app.add_exception_handler(session.UiDenied, workflow_pages.denied)  # type: ignore[arg-type]
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")
