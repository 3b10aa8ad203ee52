"""Liveness and readiness: a load balancer sends traffic only when lists and index are in."""

from __future__ import annotations

import importlib
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from tamiz import __version__
from tamiz.api import deps

router = APIRouter(tags=["health"])


@router.get("/healthz")
def healthz() -> dict[str, Any]:
    """The process is up (it may still be loading lists)."""
    return {"status": "ok", "version": __version__}


def _fetch_status() -> dict[str, Any] | None:
    try:
        module = importlib.import_module("tamiz.sources.update")
        return module.fetch_status()
    except Exception as exc:  # noqa: BLE001 - readiness must answer even if the state file is unreadable
        return {"error": f"{type(exc).__name__}: {exc}"}


@router.get("/readyz", responses={503: {"description": "Lists or index not loaded"}})
def readyz(request: Request) -> JSONResponse:
    """200 only when lists and index are loaded; always lists freshness and last update failures."""
    h = deps.holder(request)
    view = h.current
    body: dict[str, Any] = {"version": __version__, "fetch": _fetch_status()}
    if view is None:
        detail = f"lists are not loaded: {h.error}" if h.error else "lists and index are still loading"
        return JSONResponse({"status": 503, "detail": detail, **body}, status_code=503,
                            headers={"Retry-After": "5"})
    statuses = [s.to_dict() for s in view.screener.status()]
    body.update(
        status="ok",
        datasets=statuses,
        entities=len(view.screener.entities),
        index={"state": view.screener.state, "loaded_at": view.loaded_at.isoformat(timespec="seconds"),
               "reloads": h.reloads, "last_check": h.last_check.isoformat(timespec="seconds") if h.last_check else None},
        warnings=[s["warning"] for s in statuses if s["warning"]] + ([h.error] if h.error else []),
    )
    if not statuses:
        return JSONResponse({**body, "status": 503, "detail": "no lists are loaded"}, status_code=503)
    return JSONResponse(body)
