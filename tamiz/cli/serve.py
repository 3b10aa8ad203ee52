"""`tamiz serve`: the HTTP API (yente-compatible) and the analyst's web pages.

Register on the main app with `app.command()(serve)`.
"""

from __future__ import annotations

import os
from typing import Annotated

import typer

from tamiz.cli.common import DbOption, err, friendly_errors


@friendly_errors
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on (0.0.0.0 for every interface).")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.", min=1, max=65535)] = 8000,
    workers: Annotated[int, typer.Option(help="Worker processes (about one per core).", min=1)] = 1,
    db: DbOption = None,
    dataset: Annotated[list[str] | None, typer.Option(help="Dataset or collection to serve (default: all loaded).")] = None,
    max_in_flight: Annotated[int, typer.Option(help="Requests per worker at once; more get 503 + Retry-After.", min=1)] = 64,
    max_body: Annotated[int, typer.Option(help="Largest request body in bytes.", min=1024)] = 1_000_000,
    max_batch: Annotated[int, typer.Option(help="Most queries in one /match or /screen request.", min=1)] = 100,
    reload_interval: Annotated[float, typer.Option(help="Seconds between checks for new list versions (0: never).", min=0)] = 5.0,
    log_level: Annotated[str, typer.Option(help="uvicorn log level: critical, error, warning, info, debug.")] = "info",
    access_log: Annotated[bool, typer.Option(help="Log every request.")] = False,
) -> None:
    """Serve the screening API (yente-compatible /match) and the web pages."""
    import uvicorn

    from tamiz.api.settings import ApiSettings
    from tamiz.config import database_url

    settings = ApiSettings(
        db_url=database_url(db),
        datasets=tuple(dataset) if dataset else None,
        max_in_flight=max_in_flight,
        max_body_bytes=max_body,
        max_batch=max_batch,
        reload_interval=reload_interval,
    )
    options = {"host": host, "port": port, "log_level": log_level, "access_log": access_log,
               "timeout_graceful_shutdown": 10}
    if workers == 1:
        from tamiz.api.app import create_app

        uvicorn.run(create_app(settings), **options)  # type: ignore[arg-type]
        return
    # Land the default lists and build the index cache once, so the workers
    # start by reading it instead of racing to build it.
    from tamiz.screen.screener import Screener

    err.print(f"[dim]preparing lists and index for {workers} workers...[/]", highlight=False)
    Screener.open(settings.db_url, datasets=list(settings.datasets) if settings.datasets else None)
    os.environ.update(settings.to_env())
    uvicorn.run("tamiz.api.app:app_from_env", factory=True, workers=workers, **options)  # type: ignore[arg-type]
