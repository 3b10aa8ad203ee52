"""The analyst's workflow pages: log in with an API key, alerts with their decision forms, customers.

Every form posts back here with the CSRF token; the same role rules as the
HTTP API apply (tamiz.api.access), and decisions carry the key owner's name.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, BackgroundTasks, Depends, Form, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from tamiz.api import access
from tamiz.cases.monitor_runs import deliver_webhooks, run_monitoring
from tamiz.cases import CaseError
from tamiz.cases.alerts import DECISIONS, OPEN_STATES
from tamiz.model import SCHEMAS
from tamiz.web import session
from tamiz.web.pages import page

AlertId = Annotated[int, Path(ge=1, le=2**62, description="Alert id")]
router = APIRouter(include_in_schema=False)
STATUSES = ("active", "open", "escalated", "pending_approval", "closed", "all")
PAGE_SIZE = 50


def _safe_next(target: str | None) -> str:
    """Only a path on this site: never `//other.host` or `https://...`."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


def _back(path: str, **params: str) -> RedirectResponse:
    query = urlencode({k: v for k, v in params.items() if v})
    return RedirectResponse(path + ("?" + query if query else ""), status_code=303)


def _csrf(request: Request, token: str) -> None:
    if not session.csrf_ok(request, token):
        raise session.UiDenied(403, "a valid form token (reload the page and try again)")


async def denied(request: Request, exc: session.UiDenied) -> Response:
    if exc.status == 401:
        return page(request, "login.html", 401, next=_safe_next(request.url.path + (
            "?" + request.url.query if request.url.query else "")), problem=None)
    return page(request, "message.html", 403, title="Not allowed",
                message=f"This needs {exc.needed}" + ("" if " " in exc.needed else " role or above") + ".")


# -- log in / out ------------------------------------------------------------------------


@router.get("/ui/login", response_class=HTMLResponse)
def login_page(request: Request, next: Annotated[str, Query(max_length=500)] = "/") -> HTMLResponse:
    return page(request, "login.html", next=_safe_next(next), problem=None)


@router.post("/ui/login")
def login(request: Request, key: Annotated[str, Form(max_length=500)],
          csrf: Annotated[str, Form(max_length=200)] = "",
          next: Annotated[str, Form(max_length=500)] = "/") -> Response:
    _csrf(request, csrf)
    who = request.app.state.tamiz_keys.authenticate(key.strip())
    if who is None:
        return page(request, "login.html", 401, next=_safe_next(next), problem="That key is not valid (or was revoked).")
    response = RedirectResponse(_safe_next(next), status_code=303)
    session.log_in(request, response, key.strip())
    return response


@router.post("/ui/logout")
def logout(request: Request, csrf: Annotated[str, Form(max_length=200)] = "") -> Response:
    _csrf(request, csrf)
    response = RedirectResponse("/ui/login", status_code=303)
    session.log_out(response)
    return response


# -- alerts ------------------------------------------------------------------------------


@router.get("/ui/alerts", response_class=HTMLResponse, dependencies=[Depends(session.ui_role("analyst"))])
def alerts_page(
    request: Request,
    status: Annotated[str, Query(max_length=30)] = "active",
    reference: Annotated[str, Query(max_length=200)] = "",
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
    done: Annotated[str, Query(max_length=300)] = "",
    problem: Annotated[str, Query(max_length=1000)] = "",
) -> HTMLResponse:
    cases = request.app.state.services.cases
    wanted: Any = {"active": list(OPEN_STATES), "all": None}.get(status, status)
    if status not in STATUSES:
        wanted, status = list(OPEN_STATES), "active"
    found = cases.alerts(reference.strip() or None, wanted, limit=PAGE_SIZE + 1, offset=offset)
    shown = found[:PAGE_SIZE]
    items = [{"a": a, "history": cases.history(a.id)} for a in shown]
    return page(request, "alerts.html", items=items, form={"status": status, "reference": reference},
                statuses_filter=STATUSES, decisions=DECISIONS, offset=offset, page_size=PAGE_SIZE,
                more=len(found) > PAGE_SIZE, done=done, problem=problem, today=date.today().isoformat(),
                can_approve=session.can(request, "approver"), four_eyes=cases.four_eyes(),
                runs=request.app.state.services.monitor.recent_runs(3))


def _after(request: Request, alert_id: AlertId, action: Any, status: str, reference: str) -> Response:
    try:
        alert = action()
    except CaseError as exc:
        return _back("/ui/alerts", status=status, reference=reference, problem=str(exc))
    return _back("/ui/alerts", status=status, reference=reference,
                 done=f"Alert {alert_id} ({alert.caption}): now {alert.status.replace('_', ' ')}.")


@router.post("/ui/alerts/{alert_id}/decision", dependencies=[Depends(session.ui_role("analyst"))])
def decide(
    request: Request,
    alert_id: AlertId,
    decision: Annotated[str, Form(max_length=30)],
    reason: Annotated[str, Form(max_length=4000)] = "",
    allow_list: Annotated[str, Form(max_length=5)] = "",
    expires: Annotated[str, Form(max_length=10)] = "",
    csrf: Annotated[str, Form(max_length=200)] = "",
    status: Annotated[str, Form(max_length=30)] = "active",
    reference: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    _csrf(request, csrf)
    cases = request.app.state.services.cases

    def act() -> Any:
        try:
            until = date.fromisoformat(expires) if expires else None
        except ValueError:
            raise CaseError(f"alert {alert_id}: expiry {expires!r} is not a date (YYYY-MM-DD)") from None
        return cases.decide(alert_id, access.actor(request), decision, reason, allow_list=bool(allow_list),
                            expires=until)

    return _after(request, alert_id, act, status, reference)


@router.post("/ui/alerts/{alert_id}/approve", dependencies=[Depends(session.ui_role("approver"))])
def approve(request: Request, alert_id: AlertId, reason: Annotated[str, Form(max_length=4000)] = "",
            csrf: Annotated[str, Form(max_length=200)] = "", status: Annotated[str, Form(max_length=30)] = "active",
            reference: Annotated[str, Form(max_length=200)] = "") -> Response:
    _csrf(request, csrf)
    cases = request.app.state.services.cases
    return _after(request, alert_id, lambda: cases.approve(alert_id, access.actor(request), reason), status, reference)


@router.post("/ui/alerts/{alert_id}/reject", dependencies=[Depends(session.ui_role("approver"))])
def reject(request: Request, alert_id: AlertId, reason: Annotated[str, Form(max_length=4000)] = "",
           csrf: Annotated[str, Form(max_length=200)] = "", status: Annotated[str, Form(max_length=30)] = "active",
           reference: Annotated[str, Form(max_length=200)] = "") -> Response:
    _csrf(request, csrf)
    cases = request.app.state.services.cases
    return _after(request, alert_id, lambda: cases.reject(alert_id, access.actor(request), reason), status, reference)


# -- customers and monitoring ------------------------------------------------------------


@router.get("/ui/customers", response_class=HTMLResponse, dependencies=[Depends(session.ui_role("analyst"))])
def customers_page(request: Request, done: Annotated[str, Query(max_length=300)] = "",
                   problem: Annotated[str, Query(max_length=1000)] = "") -> HTMLResponse:
    monitor = request.app.state.services.monitor
    return page(request, "customers.html", customers=monitor.list(limit=500), total=monitor.count(),
                schemas=SCHEMAS, done=done, problem=problem, is_admin=session.can(request, "admin"))


@router.post("/ui/customers", dependencies=[Depends(session.ui_role("analyst"))])
def add_customer(
    request: Request,
    reference: Annotated[str, Form(max_length=200)],
    name: Annotated[str, Form(max_length=500)],
    kind: Annotated[str, Form(alias="schema", max_length=40)] = "Person",
    dob: Annotated[str, Form(max_length=40)] = "",
    country: Annotated[str, Form(max_length=100)] = "",
    id_number: Annotated[str, Form(max_length=200)] = "",
    csrf: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    _csrf(request, csrf)
    try:
        request.app.state.services.monitor.add_many([{
            "reference": reference, "name": name, "schema": kind, "dob": dob or None, "country": country or None,
            "id_number": id_number or None}], actor=access.actor(request))
    except CaseError as exc:
        return _back("/ui/customers", problem=str(exc))
    return _back("/ui/customers", done=f"Customer {reference} is monitored.")


@router.post("/ui/customers/{reference}/remove", dependencies=[Depends(session.ui_role("admin"))])
def remove_customer(request: Request, reference: Annotated[str, Path(max_length=200)], csrf: Annotated[str, Form(max_length=200)] = "") -> Response:
    _csrf(request, csrf)
    gone = request.app.state.services.monitor.remove(reference, actor=access.actor(request))
    return _back("/ui/customers", **({"done": f"Customer {reference} is no longer monitored."} if gone
                                     else {"problem": f"No monitored customer {reference}."}))


@router.post("/ui/monitor/run", dependencies=[Depends(session.ui_role("admin"))])
def monitor_run(request: Request, background: BackgroundTasks, csrf: Annotated[str, Form(max_length=200)] = "") -> Response:
    _csrf(request, csrf)
    store = request.app.state.services.store
    runs = run_monitoring(store, deliver=False)
    background.add_task(deliver_webhooks, store)  # after the page answers: a slow receiver never holds it
    opened = sum(r["alerts_opened"] for r in runs)
    summary = "; ".join(f"{r['dataset']} v{r['version']}: {r['delta_entities']} changed parties, "
                        f"{r['customers']} customers" for r in runs) or "no list has an update to re-screen"
    return _back("/ui/customers", done=f"Monitoring run: {opened} new alerts ({summary}).")
