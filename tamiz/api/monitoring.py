"""Monitoring after a list change, as the CLI runs it (`tamiz monitor run`).

A thin bridge: the function lives in `tamiz.cli.workflow` today; it belongs
in the cases room, and this is the one place to change when it moves there.
"""

from __future__ import annotations

from typing import Any

from tamiz.store import Store


def run_monitoring(store: Store, datasets: list[str] | None = None) -> list[dict[str, Any]]:
    """Re-screen monitored customers against the latest delta of each dataset (version 2 and up)."""
    from tamiz.cli.workflow import run_monitoring as run

    return run(store, datasets)
