"""What every command shares: options, error handling, the freshness banner."""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console

from tamiz.errors import TamizError

out = Console()
err = Console(stderr=True)

DbOption = Annotated[
    str | None,
    typer.Option("--db", envvar="TAMIZ_DB", help="Database: a SQLite file path or a SQLAlchemy URL."),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")]

F = TypeVar("F", bound=Callable[..., Any])


def friendly_errors(fn: F) -> F:
    """A user error is one clear line and exit code 1, never a traceback."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except TamizError as exc:
            err.print(f"[bold red]error:[/] {exc}", highlight=False)
            raise typer.Exit(1) from None

    return wrapper  # type: ignore[return-value]


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2, default=str) + "\n")


def warn_freshness(statuses: list[Any]) -> None:
    """Always name the list versions used; warn on stderr when one is stale."""
    for s in statuses:
        published = s.published or "publication date unknown"
        err.print(f"[dim]list {s.name} v{s.version}, {published}, {s.entity_count} entities[/]", highlight=False)
        if s.warning:
            err.print(f"[bold yellow]WARNING:[/] {s.warning}", highlight=False)
