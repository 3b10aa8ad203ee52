"""The compliance workflow over HTTP: alerts and decisions, the four-eyes policy, monitoring, list loads, the audit log.

Each route names the role it needs (see `tamiz.api.access`); decisions and
approvals carry the caller's key owner as actor, so four-eyes compares
people, not processes.
"""

from __future__ import annotations

import asyncio
import shutil
import tempfile
from dataclasses import asdict
from datetime import date
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, BackgroundTasks, File, Form, Query, Request, UploadFile
from fastapi import Path as InPath
from fastapi.responses import StreamingResponse

from tamiz.api import access
from tamiz.api.errors import ApiError
from tamiz.api.responses import FastJSONResponse as JSONResponse
from tamiz.api.services import Services
from tamiz.api.workflow_models import (
    CustomerIn,
    CustomersIn,
    DecisionRequest,
    MonitorRunRequest,
    PolicyRequest,
    ReviewRequest,
    UpdateRequest,
    WebhookRequest,
)
from tamiz.audit.chain import canonical
from tamiz.cases import Alert, CaseError
from tamiz.cases.alerts import OPEN_STATES
from tamiz.cases.monitor_runs import deliver_webhooks, run_monitoring

AlertId = Annotated[int, InPath(ge=1, le=2**62, description="Alert id")]
router = APIRouter()

STATUSES = ("open", "escalated", "pending_approval", "closed", "suppressed")
MAX_FILES = 20


def services(request: Request) -> Services:
    return request.app.state.services


def alert_json(alert: Alert) -> dict[str, Any]:
    return alert.to_dict()


def _iso(value: Any) -> Any:
    return value.isoformat() if hasattr(value, "isoformat") else value


def history(svc: Services, alert_id: AlertId) -> list[dict[str, Any]]:
    return [{k: _iso(v) for k, v in h.items()} for h in svc.cases.history(alert_id)]


def get_alert(svc: Services, alert_id: AlertId) -> Alert:
    try:
        return svc.cases.get(alert_id)
    except CaseError:
        raise ApiError(404, f"no alert {alert_id}") from None


def schedule_reload(request: Request) -> None:
    """Swap in the new lists now rather than at the watcher's next check.

    With `reload_interval=0` the operator asked for no reloads at all; one
    running reload is enough, since the watcher sees any later change.
    """
    if request.app.state.settings.reload_interval <= 0:
        return
    tasks: set[asyncio.Task[Any]] = request.app.state.background
    if any(not t.done() for t in tasks):
        return
    task = asyncio.get_running_loop().create_task(request.app.state.holder.check())
    tasks.add(task)
    task.add_done_callback(tasks.discard)


# -- alerts ------------------------------------------------------------------------------


@router.get("/alerts", tags=["alerts"], dependencies=[access.NeedAnalyst])
def list_alerts(
    request: Request,
    reference: Annotated[str | None, Query(max_length=200)] = None,
    status: Annotated[list[str], Query(max_length=5, description=f"One or more of {', '.join(STATUSES)}; "
                                       "`active` means every open state")] = [],  # noqa: B006
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> JSONResponse:
    """Alerts, oldest first, filtered by customer reference and status (analyst)."""
    wanted: list[str] = []
    for s in status:
        if s == "active":
            wanted.extend(OPEN_STATES)
        elif s in STATUSES:
            wanted.append(s)
        else:
            raise ApiError(400, f"unknown status {s!r}; use one of {', '.join(STATUSES)} or active")
    cases = services(request).cases
    found = cases.alerts(reference, wanted or None, limit=limit + 1, offset=offset)
    total = cases.count_alerts(reference, wanted or None)
    return JSONResponse({"alerts": [alert_json(a) for a in found[:limit]], "limit": limit, "offset": offset,
                         "total": total, "more": len(found) > limit})


@router.get("/alerts/{alert_id}", tags=["alerts"], dependencies=[access.NeedAnalyst])
def one_alert(request: Request, alert_id: AlertId) -> JSONResponse:
    """One alert with the hit, the query, the list versions and its decision history (analyst)."""
    svc = services(request)
    alert = get_alert(svc, alert_id)
    return JSONResponse({**alert_json(alert), "history": history(svc, alert_id)})


@router.post("/alerts/{alert_id}/decision", tags=["alerts"], dependencies=[access.NeedAnalyst])
def decide(request: Request, alert_id: AlertId, body: DecisionRequest) -> JSONResponse:
    """Decide an alert: true_match, false_positive (optionally allow-listed until `expires`) or escalate."""
    svc = services(request)
    get_alert(svc, alert_id)
    alert = svc.cases.decide(alert_id, access.actor(request), body.decision, body.reason,
                             allow_list=body.allow_list, expires=body.expires)
    return JSONResponse({**alert_json(alert), "history": history(svc, alert_id)})


@router.post("/alerts/{alert_id}/approve", tags=["alerts"], dependencies=[access.NeedApprover])
def approve(request: Request, alert_id: AlertId, body: ReviewRequest | None = None) -> JSONResponse:
    """Four-eyes: approve a pending clearance made by someone else (approver)."""
    svc = services(request)
    get_alert(svc, alert_id)
    alert = svc.cases.approve(alert_id, access.actor(request), (body.reason if body else ""))
    return JSONResponse({**alert_json(alert), "history": history(svc, alert_id)})


@router.post("/alerts/{alert_id}/reject", tags=["alerts"], dependencies=[access.NeedApprover])
def reject(request: Request, alert_id: AlertId, body: ReviewRequest) -> JSONResponse:
    """Send a pending clearance back to the analysts: the alert is open again (approver)."""
    svc = services(request)
    get_alert(svc, alert_id)
    alert = svc.cases.reject(alert_id, access.actor(request), body.reason)
    return JSONResponse({**alert_json(alert), "history": history(svc, alert_id)})


# -- policy ------------------------------------------------------------------------------


@router.get("/admin/policy", tags=["admin"], dependencies=[access.NeedAdmin])
def get_policy(request: Request) -> JSONResponse:
    """The stored workflow policy, and whether this service's TAMIZ_API_FOUR_EYES adds four-eyes (admin)."""
    return JSONResponse(services(request).cases.policy.get().to_dict())


@router.put("/admin/policy", tags=["admin"], dependencies=[access.NeedAdmin])
def set_policy(request: Request, body: PolicyRequest) -> JSONResponse:
    """Store the four-eyes rule for every process on this database; audited with who, old and new (admin)."""
    before, after = services(request).cases.policy.set_four_eyes(access.actor(request), body.four_eyes)
    return JSONResponse({**after.to_dict(), "changed": after != before})


# -- monitoring --------------------------------------------------------------------------


@router.get("/monitor/customers", tags=["monitoring"], dependencies=[access.NeedAnalyst])
def list_customers(
    request: Request,
    limit: Annotated[int, Query(ge=1, le=5000)] = 100,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> JSONResponse:
    """Monitored customers, by reference (analyst)."""
    monitor = services(request).monitor
    found = monitor.list(limit=offset + limit)
    return JSONResponse({"customers": [asdict(c) for c in found[offset:]], "total": monitor.count(),
                         "limit": limit, "offset": offset})


@router.post("/monitor/customers", tags=["monitoring"], dependencies=[access.NeedAnalyst])
def add_customers(request: Request, body: CustomerIn | CustomersIn) -> JSONResponse:
    """Register one customer or `{"customers": [...]}` for re-screening when lists change (analyst)."""
    rows = [body.record()] if isinstance(body, CustomerIn) else [c.record() for c in body.customers]
    monitor = services(request).monitor
    added = monitor.add_many(rows, actor=access.actor(request))
    return JSONResponse({"added": added, "total": monitor.count()})


@router.delete("/monitor/customers/{reference}", tags=["monitoring"], dependencies=[access.NeedAdmin])
def remove_customer(request: Request, reference: Annotated[str, InPath(max_length=200)]) -> JSONResponse:
    """Stop monitoring a customer (admin: it ends their screening)."""
    if not services(request).monitor.remove(reference, actor=access.actor(request)):
        raise ApiError(404, f"no monitored customer {reference!r}")
    return JSONResponse({"removed": reference})


async def _monitor(store: Any, datasets: list[str] | None, background: BackgroundTasks) -> list[dict[str, Any]]:
    """Run monitoring now; deliver its webhooks after the answer is sent, so a slow receiver never holds it."""
    runs = await asyncio.to_thread(run_monitoring, store, datasets, deliver=False)
    background.add_task(deliver_webhooks, store)
    return runs


@router.post("/monitor/run", tags=["monitoring"], dependencies=[access.NeedAdmin])
async def monitor_run(request: Request, background: BackgroundTasks,
                      body: MonitorRunRequest | None = None) -> JSONResponse:
    """Re-screen monitored customers against the latest delta of each dataset; webhooks follow (admin)."""
    svc = services(request)
    datasets = body.datasets if body else None
    return JSONResponse({"runs": await _monitor(svc.store, datasets, background)})


@router.post("/monitor/deliver", tags=["monitoring"], dependencies=[access.NeedAdmin])
async def monitor_deliver(request: Request, now: bool = False) -> JSONResponse:
    """One delivery pass over the webhook outbox; `now` also tries deliveries still in backoff (admin)."""
    svc = services(request)
    return JSONResponse(await asyncio.to_thread(deliver_webhooks, svc.store, force=now))


@router.post("/monitor/webhooks", tags=["monitoring"], dependencies=[access.NeedAdmin])
def add_webhook(request: Request, body: WebhookRequest) -> JSONResponse:
    """Subscribe a URL to HMAC-signed notifications of monitoring runs and new alerts (admin)."""
    svc = services(request)
    kwargs = {"events": body.events} if body.events else {}
    sub_id = svc.webhooks.subscribe(body.url, body.secret, **kwargs)
    svc.audit.record("admin", access.actor(request), {"action": "webhook_subscribed", "subscription": sub_id,
                                                       "url": body.url})
    return JSONResponse({"id": sub_id, "url": body.url})


@router.get("/monitor/webhooks", tags=["monitoring"], dependencies=[access.NeedAdmin])
def list_webhooks(request: Request) -> JSONResponse:
    """Active webhook subscriptions (their secrets are never shown) (admin)."""
    subs = services(request).webhooks.subscriptions()
    return JSONResponse({"subscriptions": [{"id": s.id, "url": s.url, "events": s.events} for s in subs]})


# -- lists -------------------------------------------------------------------------------


@router.post("/admin/lists/update", tags=["admin"], dependencies=[access.NeedAdmin])
async def update_lists(request: Request, background: BackgroundTasks, body: UpdateRequest | None = None) -> JSONResponse:
    """Download, check and load new versions of the official lists, then run monitoring (admin)."""
    from tamiz.sources.update import update_datasets

    svc = services(request)
    body = body or UpdateRequest()
    svc.audit.record("admin", access.actor(request), {"action": "lists_update", "datasets": body.datasets,
                                                       "force": body.force})
    outcomes = await asyncio.to_thread(update_datasets, svc.store, body.datasets, force=body.force)
    updated = [o.dataset for o in outcomes if o.status == "updated"]
    runs = await _monitor(svc.store, updated, background) if updated else []
    if updated:
        schedule_reload(request)
    return JSONResponse({"outcomes": [asdict(o) for o in outcomes], "monitoring": runs})


def _save(files: list[UploadFile], folder: Path) -> list[Path]:
    paths = []
    for f in files:
        name = Path(f.filename or "").name
        if not name or name.startswith("."):
            raise ApiError(400, f"upload has no usable file name: {f.filename!r}")
        target = folder / name
        if target in paths:
            raise ApiError(400, f"file {name!r} is uploaded twice")
        with open(target, "wb") as out:
            shutil.copyfileobj(f.file, out)
        paths.append(target)
    return paths


@router.post("/admin/lists/{dataset}", tags=["admin"], dependencies=[access.NeedAdmin])
async def upload_list(
    request: Request,
    background: BackgroundTasks,
    dataset: Annotated[str, InPath(max_length=100)],
    files: Annotated[list[UploadFile], File(description="The list's files, under their published names")],
    format: Annotated[str | None, Form(description="Parser for a firm's own list (e.g. `internal`); "
                                       "default: the dataset's registered parser", max_length=50)] = None,
) -> JSONResponse:
    """Load a list version from uploaded files (multipart), then run monitoring on its delta (admin)."""
    from tamiz.sources.registry import parse_files

    if not files or len(files) > MAX_FILES:
        raise ApiError(400, f"send between 1 and {MAX_FILES} files")
    svc = services(request)
    with tempfile.TemporaryDirectory(prefix="tamiz-upload-") as tmp:
        paths = _save(files, Path(tmp))

        def load() -> Any:
            return svc.store.load(parse_files(dataset, paths, format=format))

        result = await asyncio.to_thread(load)
    svc.audit.record("admin", access.actor(request), {
        "action": "list_uploaded", "dataset": dataset, "files": [p.name for p in paths],
        "version": result.version.version, "created": result.created})
    runs = await _monitor(svc.store, [dataset], background) if result.created else []
    if result.created:
        schedule_reload(request)
    return JSONResponse({"dataset": dataset, "version": result.version.version, "created": result.created,
                         "entities": result.version.entity_count, "added": result.added, "removed": result.removed,
                         "changed": result.changed, "monitoring": runs})


# -- audit -------------------------------------------------------------------------------


@router.get("/audit/verify", tags=["admin"], dependencies=[access.NeedAdmin])
def audit_verify(request: Request) -> JSONResponse:
    """Recompute the audit log's hash chain; name the first altered, inserted or deleted record, and any
    workflow setting that differs from the audit record of its change (admin)."""
    from tamiz.cases.policy import check_settings

    r = services(request).audit.verify(checks=[check_settings])
    return JSONResponse({"ok": r.ok, "checked": r.checked, "first_bad_seq": r.first_bad_seq, "problem": r.problem,
                         "head_seq": r.head_seq, "head_hash": r.head_hash, "findings": list(r.findings)})


def _day(value: str | None, name: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ApiError(400, f"{name}: {value!r} is not a date (YYYY-MM-DD)") from None


@router.get("/audit/export", tags=["admin"], dependencies=[access.NeedAdmin],
            responses={200: {"content": {"application/x-ndjson": {}}, "description": "One record per line"}})
def audit_export(
    request: Request,
    start: Annotated[str | None, Query(alias="from", max_length=10, description="First day, included")] = None,
    end: Annotated[str | None, Query(alias="to", max_length=10, description="Last day, excluded")] = None,
) -> StreamingResponse:
    """The audit records of a date range as JSON lines, for an examiner (admin)."""
    svc = services(request)
    lo, hi = _day(start, "from"), _day(end, "to")
    svc.audit.record("admin", access.actor(request), {"action": "audit_export", "from": start, "to": end})

    def lines() -> Any:
        for rec in svc.audit.records(lo, hi):
            yield canonical(rec.to_dict()) + "\n"

    return StreamingResponse(lines(), media_type="application/x-ndjson",
                             headers={"Content-Disposition": 'attachment; filename="tamiz-audit.jsonl"'})
