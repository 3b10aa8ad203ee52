"""Monitoring after a list update: each dataset's latest delta against the monitored customers.

One function for the CLI (`tamiz monitor run`, `tamiz lists update`) and the
HTTP API, so both re-screen the same way. Every run finishes (and queues its
webhooks) before any webhook is sent; one bounded delivery pass follows, which
also retries what earlier runs left pending.
"""

from __future__ import annotations

from typing import Any

from tamiz.audit import AuditLog
from tamiz.cases.manager import CaseManager
from tamiz.cases.monitor import Monitor
from tamiz.cases.webhooks import Delivery, Webhooks
from tamiz.store import Store


def run_monitoring(store: Store, datasets: list[str] | None = None, *, deliver: bool = True,
                   webhooks: Webhooks | None = None) -> list[dict[str, Any]]:
    """Re-screen monitored customers against the added and changed parties of each dataset's last update.

    With `deliver=False` the queued webhooks wait for `deliver_webhooks` (or a later run).
    """
    audit = AuditLog(store.engine)
    cases = CaseManager(store.engine, audit)
    hooks = webhooks or Webhooks(store.engine)
    monitor = Monitor(store.engine, cases, audit, hooks)
    results: list[dict[str, Any]] = []
    for v in store.datasets():
        if (datasets and v.dataset not in datasets) or v.version < 2:
            continue
        delta = store.delta(v.dataset)
        if delta.from_version is None:  # the previous versions were pruned: no delta to re-screen against
            continue
        run = monitor.run(delta, list_versions={v.dataset: {"version": v.version, "published": v.published}})
        results.append({"dataset": v.dataset, "version": v.version, "delta_entities": len(delta.added) + len(delta.changed),
                         "customers": run.customers, "alerts_opened": len(run.alerts)})
    if deliver:
        deliver_webhooks(store, hooks)
    return results


def deliver_webhooks(store: Store, webhooks: Webhooks | None = None, *, force: bool = False) -> dict[str, Any]:
    """One delivery pass over the outbox; a summary for the CLI and the API."""
    hooks = webhooks or Webhooks(store.engine)
    tried = hooks.deliver_pending(force=force)
    return summarise(tried, len(hooks.pending()))


def summarise(tried: list[Delivery], still_pending: int) -> dict[str, Any]:
    return {"delivered": sum(d.delivered for d in tried),
            "failed": sum(not d.delivered and not d.pending for d in tried),
            "retrying": sum(d.pending for d in tried),
            "pending": still_pending,
            "deliveries": [{"id": d.id, "subscription": d.subscription_id, "event": d.event, "delivered": d.delivered,
                            "pending": d.pending, "attempts": d.attempts, "status_code": d.status_code,
                            "error": d.error, "next_attempt": d.due_at.isoformat() if d.due_at else None}
                           for d in tried]}
