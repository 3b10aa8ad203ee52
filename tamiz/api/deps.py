"""What every route needs: the current lists, the settings, the dataset scope."""

from __future__ import annotations

import asyncio
import functools
import os
import socket
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from fastapi import Request

from tamiz.api import access
from tamiz.api.errors import ApiError
from tamiz.api.settings import ApiSettings
from tamiz.api.state import Loaded, ScreenerHolder
from tamiz.errors import UnknownDataset
from tamiz.screen.collections import resolve_names


def holder(request: Request) -> ScreenerHolder:
    return request.app.state.holder


def settings(request: Request) -> ApiSettings:
    return request.app.state.settings


T = TypeVar("T")


async def run(request: Request, fn: Callable[..., T], *args: Any, inline: bool = False, **kwargs: Any) -> T:
    """Run screening work on the worker's screening thread(s), off the event loop.

    `inline` runs it on the loop itself: for one query (about a millisecond)
    the hand-off to a thread, and the two threads then taking turns at the
    GIL, cost more than the work, and the loop would wait for the GIL anyway.
    """
    executor = getattr(request.app.state, "executor", None)
    if executor is None:
        raise ApiError(503, "the service is starting or stopping", {"Retry-After": "5"})
    if inline:
        return fn(*args, **kwargs)
    return await asyncio.get_running_loop().run_in_executor(executor, functools.partial(fn, *args, **kwargs))


async def audit(request: Request, view: Loaded, payloads: list[dict[str, Any]]) -> None:
    """Record screenings in the audit log (group commit) before the answer goes out. Each record names
    the replica that answered, since several serve from one database behind a load balancer."""
    log = view.screener.audit
    if log is not None and payloads:
        who = access.actor(request)
        here = replica()
        await request.app.state.audit.record(log, [("screen", who, {**p, "served_by": here}) for p in payloads])


def replica() -> str:
    """This server process: host and process id (a replica restarted is a new replica). Not cached: a
    forked worker must not inherit its parent's id."""
    return f"{socket.gethostname()}:{os.getpid()}"



def current(request: Request) -> Loaded:
    """The loaded lists, or 503 while they are still loading (or failed to)."""
    h = holder(request)
    view = h.current
    if view is None:
        detail = f"lists are not loaded: {h.error}" if h.error else "lists are still loading"
        raise ApiError(503, detail, {"Retry-After": "5"})
    return view


def scope(
    view: Loaded,
    dataset: str,
    include: Sequence[str] = (),
    exclude: Sequence[str] = (),
) -> list[str] | None:
    """Dataset names a request screens against; None means every loaded dataset.

    A single dataset that is known but not loaded is a 404, as in yente; a
    collection may legitimately cover nothing that is loaded.
    """
    key = (dataset, tuple(include), tuple(exclude))
    try:
        return view.scopes[key]
    except KeyError:
        pass
    if len(view.scopes) > 1000:
        view.scopes.clear()
    view.scopes[key] = found = _scope(view, dataset, include, exclude)
    return found


def _scope(view: Loaded, dataset: str, include: Sequence[str], exclude: Sequence[str]) -> list[str] | None:
    loaded = view.datasets
    names = resolve_names([dataset], loaded=loaded)
    if dataset not in ("default", "all") and names == [dataset] and dataset not in loaded:
        raise UnknownDataset(f"dataset {dataset!r} is not loaded (loaded: {', '.join(loaded) or 'none'})")
    wanted = [n for n in names if n in loaded]
    if include:
        inc = set(resolve_names(list(include), loaded=loaded))
        wanted = [n for n in wanted if n in inc]
    if exclude:
        exc = set(resolve_names(list(exclude), loaded=loaded))
        wanted = [n for n in wanted if n not in exc]
    return None if wanted == loaded else wanted
