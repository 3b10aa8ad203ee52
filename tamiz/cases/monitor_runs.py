"""Monitoring after a list update: each dataset's latest delta against the monitored customers.

One function for the CLI (`tamiz monitor run`, `tamiz lists update`) and the
HTTP API, so both re-screen the same way.
"""

from __future__ import annotations

from typing import Any

from tamiz.audit import AuditLog
from tamiz.cases.manager import CaseManager
from tamiz.cases.monitor import Monitor
from tamiz.store import Store


def run_monitoring(store: Store, datasets: list[str] | None = None) -> list[dict[str, Any]]:
    """Re-screen monitored customers against the added and changed parties of each dataset's last update."""
    audit = AuditLog(store.engine)
    cases = CaseManager(store.engine, audit)
    monitor = Monitor(store.engine, cases, audit)
    results: list[dict[str, Any]] = []
    for v in store.datasets():
        if (datasets and v.dataset not in datasets) or v.version < 2:
            continue
        delta = store.delta(v.dataset)
        run = monitor.run(delta, list_versions={v.dataset: {"version": v.version, "published": v.published}})
        results.append({"dataset": v.dataset, "version": v.version, "delta_entities": len(delta.added) + len(delta.changed),
                        "customers": run.customers, "alerts_opened": len(run.alerts)})
    return results
