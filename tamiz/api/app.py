"""The FastAPI application: yente-compatible API, tamiz's own endpoints, the analyst's pages."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor

from fastapi import FastAPI

from tamiz import __version__
from tamiz.api import errors, health, own, workflow, yente
from tamiz.api.audit_batch import AuditBatcher
from tamiz.api.limits import BodyLimit, LoadShedding
from tamiz.api.services import LazyKeyStore, Services
from tamiz.api.settings import ApiSettings
from tamiz.api.state import ScreenerHolder

log = logging.getLogger(__name__)

DESCRIPTION = """Sanctions screening over official lists.

`/match/{dataset}`, `/search/{dataset}`, `/entities/{id}`, `/catalog` and `/algorithms`
follow OpenSanctions yente's API, so yente clients work unchanged. `/screen`, `/text`
and `/messages` are tamiz's own. Every answer names the list versions it used; a list
older than 30 days is flagged as stale.

When API keys exist (or `TAMIZ_AUTH=on`), send one as `Authorization: Bearer <key>` or
`X-API-Key`. Roles: `screener` screens and searches; `analyst` also lists and decides
`/alerts` and registers `/monitor/customers`; `approver` also approves or rejects
clearances (four-eyes: never their own); `admin` also loads lists, runs monitoring,
manages webhooks, removes monitored customers and reads the audit log.
"""


def create_app(settings: ApiSettings | None = None) -> FastAPI:
    settings = settings or ApiSettings()
    holder = ScreenerHolder(settings)
    services = Services(settings)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        tasks: list[asyncio.Task[None]] = []
        # Test clients may nest lifespans of one app: each keeps its own executor.
        previous = app.state.executor
        executor = app.state.executor = ThreadPoolExecutor(settings.screen_threads, thread_name_prefix="screen")
        if holder.current is not None:
            pass
        elif settings.wait_for_load:
            await holder.load()
        else:
            tasks.append(asyncio.create_task(holder.load()))
        if settings.reload_interval > 0:
            tasks.append(asyncio.create_task(holder.watch()))
        try:
            yield
        finally:
            for t in tasks:
                t.cancel()
            for t in tasks:
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await t
            for t in list(app.state.background):
                t.cancel()
            executor.shutdown(wait=False, cancel_futures=True)
            if app.state.executor is executor:
                app.state.executor = previous

    app = FastAPI(
        title="tamiz",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
        docs_url=None,  # served by tamiz.web.api_docs: no CDN, works offline
        redoc_url=None,
        openapi_url="/openapi.json",
    )
    app.state.settings = settings
    app.state.holder = holder
    app.state.executor = None
    app.state.audit = AuditBatcher()
    app.state.services = services
    app.state.tamiz_keys = LazyKeyStore(services)
    app.state.background = set()
    errors.install(app)
    app.include_router(yente.router)
    app.include_router(own.router)
    app.include_router(workflow.router)
    app.include_router(health.router)

    from tamiz.web.pages import mount as mount_web

    mount_web(app)
    # Outermost first: shedding refuses before anything reads the body.
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes, large=("/admin/lists/",),
                       large_bytes=settings.max_upload_bytes)
    app.add_middleware(LoadShedding, max_in_flight=settings.max_in_flight)
    return app


def app_from_env() -> FastAPI:
    """Factory for uvicorn workers (`--factory`): settings come from the environment."""
    return create_app(ApiSettings.from_env())
