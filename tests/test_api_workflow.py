"""The compliance workflow over HTTP with auth on: every endpoint's role, four-eyes, lists, audit.

One private copy of the prepared SDN store; keys for each role; four-eyes on.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest
from api_support import copied_home, db_url
from conftest import MESSAGES, need
from fastapi.testclient import TestClient

from tamiz.api import ApiSettings, create_app
from tamiz.auth import KeyStore
from tamiz.store import Store

ROLES = ("screener", "analyst", "approver", "admin")
MENCHO = {"name": "Nemesio Oseguera Cervantes", "dob": "1966-07-17", "country": "mx", "schema": "Person"}
ACME_V1 = "id,name,schema,birth_date,nationality\nA1,Ivan Petrovich Sidorenko,Person,1970-03-04,ru\n"
ACME_V2 = ACME_V1 + "A2,Blue Falcon Trading LLC,Company,,ae\n"


@dataclass
class Api:
    client: TestClient
    keys: dict[str, dict[str, str]]  # role -> headers
    actors: dict[str, str]  # role -> Principal.actor
    home: Path

    def as_(self, role: str | None) -> dict[str, str]:
        return self.keys[role] if role else {}


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    home = copied_home(tmp_path_factory, "workflow_home")
    keys: dict[str, dict[str, str]] = {}
    actors: dict[str, str] = {}
    with Store.open(db_url(home)) as store:
        ks = KeyStore(store.engine)
        for role in ROLES + ("approver2",):
            key_id, plain = ks.create(f"{role} person", role.rstrip("2"))
            keys[role] = {"Authorization": f"Bearer {plain}"}
            actors[role] = f"{role} person ({key_id})"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("TAMIZ_HOME", str(home))
        mp.setenv("TAMIZ_AUTH", "on")
        app = create_app(ApiSettings(db_url=db_url(home), reload_interval=0, four_eyes=True))
        with TestClient(app) as client:
            yield Api(client, keys, actors, home)


def screen(api: Api, reference: str, role: str = "screener", **query: str) -> dict:
    r = api.client.post("/screen", json={**(query or MENCHO), "reference": reference}, headers=api.as_(role))
    assert r.status_code == 200, r.text
    return r.json()["results"][0]


def alert_for(api: Api, reference: str) -> dict:
    screen(api, reference)
    r = api.client.get("/alerts", params={"reference": reference}, headers=api.as_("analyst"))
    assert r.status_code == 200, r.text
    body = r.json()
    alerts = body["alerts"]
    assert alerts and alerts[0]["entity_id"] == "us_ofac_sdn:17674"
    assert body["total"] == len(alerts) and body["more"] is False
    return alerts[0]


def decide(api: Api, alert_id: int, role: str = "analyst", **body: object) -> httpx.Response:
    return api.client.post(f"/alerts/{alert_id}/decision", headers=api.as_(role),
                           json={"decision": "false_positive", "reason": "born elsewhere", **body})


def test_screen_with_reference_to_suppressed_after_four_eyes(api: Api) -> None:
    first = screen(api, "CUST-42")
    (opened,) = first["alerts"]
    assert opened["new"] and opened["status"] == "open" and opened["entity_id"] == "us_ofac_sdn:17674"
    alert = api.client.get(f"/alerts/{opened['id']}", headers=api.as_("analyst")).json()
    assert alert["reference"] == "CUST-42" and alert["hit"]["explanation"] and alert["hit"]["features"]
    assert alert["list_versions"]["us_ofac_sdn"]["version"] == 1
    # A screening key cannot decide; an analyst clears it (allow-listed) and it waits for approval.
    assert decide(api, opened["id"], "screener", allow_list=True).status_code == 403
    r = decide(api, opened["id"], allow_list=True, expires="2099-12-31")
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "pending_approval" and r.json()["decided_by"] == api.actors["analyst"]
    # Still pending: the same customer screened again is not yet suppressed.
    assert screen(api, "CUST-42")["alerts"][0]["status"] == "pending_approval"
    # The analyst cannot approve (role); an approver who cleared it themself cannot either (four-eyes).
    assert api.client.post(f"/alerts/{opened['id']}/approve", headers=api.as_("analyst")).status_code == 403
    r = api.client.post(f"/alerts/{opened['id']}/approve", headers=api.as_("approver"), json={"reason": "agreed"})
    assert r.status_code == 200, r.text
    done = r.json()
    assert done["status"] == "closed" and done["approved_by"] == api.actors["approver"]
    assert [h["action"] for h in done["history"]] == ["false_positive", "approve"]
    assert [h["actor"] for h in done["history"]] == [api.actors["analyst"], api.actors["approver"]]
    # Re-screening the same customer: the hit is suppressed by the allow-list, no new alert.
    again = screen(api, "CUST-42")
    assert [a["status"] for a in again["alerts"]] == ["suppressed"] and again["alerts"][0]["allow_list_id"]
    assert again["results"][0]["id"] == "us_ofac_sdn:17674"  # still reported as a hit, with its score
    # Another customer with the same name still gets an alert.
    assert screen(api, "CUST-43")["alerts"][0]["status"] == "open"


def test_four_eyes_refuses_self_approval_and_reject_reopens(api: Api) -> None:
    alert = alert_for(api, "CUST-50")
    assert decide(api, alert["id"], "approver").json()["status"] == "pending_approval"
    r = api.client.post(f"/alerts/{alert['id']}/approve", headers=api.as_("approver"))
    assert r.status_code == 403 and "cannot also approve" in r.json()["detail"]
    r = api.client.post(f"/alerts/{alert['id']}/reject", headers=api.as_("approver2"), json={"reason": "check DOB"})
    assert r.status_code == 200 and r.json()["status"] == "open"
    assert api.client.post(f"/alerts/{alert['id']}/reject", headers=api.as_("approver2"),
                           json={"reason": "x"}).status_code == 400  # nothing pending any more
    assert api.client.get("/alerts/999999", headers=api.as_("analyst")).status_code == 404
    bad = decide(api, alert["id"], decision="maybe")
    assert bad.status_code == 422
    assert decide(api, alert["id"], decision="true_match", allow_list=True).status_code == 400


def test_screening_audit_names_the_key_owner(api: Api) -> None:
    from tamiz.audit import AuditLog

    with Store.open(db_url(api.home)) as store:
        audit = AuditLog(store.engine)
        before = audit.count()
        screen(api, "CUST-60")
        records = list(audit.records(first_seq=before + 1))
    kinds = {(r.kind, r.actor) for r in records}
    assert ("screen", api.actors["screener"]) in kinds and ("alert", api.actors["screener"]) in kinds
    screening = next(r for r in records if r.kind == "screen")
    assert screening.payload["reference"] == "CUST-60"


def _acme(tmp: Path, text: str) -> Path:
    path = tmp / "acme.csv"
    path.write_text(text, encoding="utf-8")
    return path


def test_every_endpoint_needs_its_role(api: Api, tmp_path: Path) -> None:
    """No key: 401. A key one role too low: 403. The right role: success."""
    mt103 = need(MESSAGES / "swift_mt103" / "MT103-out-ack.rje").read_bytes()
    a1, a2, a3 = (alert_for(api, f"ROLE-{i}")["id"] for i in range(3))
    assert decide(api, a2).status_code == 200 and decide(api, a3).status_code == 200  # both pending now
    api.client.post("/monitor/customers", headers=api.as_("analyst"), json={"reference": "GONE-1", "name": "X Y"})
    csv = _acme(tmp_path, ACME_V1)

    def upload(headers: dict[str, str]) -> httpx.Response:
        with open(csv, "rb") as fh:
            return api.client.post("/admin/lists/acme_watch", headers=headers, data={"format": "internal"},
                                   files={"files": ("acme.csv", fh, "text/csv")})

    def call(method: str, path: str, **kw: object):
        return lambda headers: api.client.request(method, path, headers=headers, **kw)

    endpoints = [
        ("screener", call("POST", "/match/default", json={"queries": {"q": {"schema": "Person", "properties": {"name": ["Arkady Rotenberg"]}}}})),
        ("screener", call("POST", "/screen", json={"name": "Arkady Rotenberg"})),
        ("screener", call("POST", "/text", json={"text": "paid to Nemesio Oseguera Cervantes"})),
        ("screener", lambda h: api.client.post("/messages", content=mt103, headers={**h, "content-type": "text/plain"})),
        ("screener", call("GET", "/search/default", params={"q": "cartel"})),
        ("screener", call("GET", "/entities/us_ofac_sdn:17674")),
        ("screener", call("GET", "/catalog")),
        ("screener", call("GET", "/", params={"q": "Rotenberg"})),
        ("analyst", call("GET", "/alerts", params={"status": "active"})),
        ("analyst", call("GET", f"/alerts/{a1}")),
        ("analyst", call("POST", f"/alerts/{a1}/decision", json={"decision": "escalate", "reason": "needs KYC"})),
        ("analyst", call("GET", "/monitor/customers")),
        ("analyst", call("POST", "/monitor/customers", json={"customers": [{"reference": "C-1", "name": "Ivan Sidorenko"}]})),
        ("analyst", call("GET", "/ui/alerts")),
        ("analyst", call("GET", "/ui/customers")),
        ("approver", call("POST", f"/alerts/{a2}/approve", json={"reason": "ok"})),
        ("approver", call("POST", f"/alerts/{a3}/reject", json={"reason": "not convinced"})),
        ("admin", call("DELETE", "/monitor/customers/GONE-1")),
        ("admin", call("POST", "/monitor/run")),
        ("admin", call("POST", "/monitor/deliver")),
        ("admin", call("POST", "/monitor/webhooks", json={"url": "http://127.0.0.1:9/hook", "secret": "s" * 20})),
        ("admin", call("GET", "/monitor/webhooks")),
        ("admin", upload),
        ("admin", call("GET", "/audit/verify")),
        ("admin", call("GET", "/audit/export")),
        ("admin", call("GET", "/admin/policy")),
        ("admin", call("PUT", "/admin/policy", json={"four_eyes": True})),
    ]
    for role, request in endpoints:
        anonymous = request({})
        assert anonymous.status_code == 401, (role, anonymous.request.url, anonymous.text[:200])
        if role != "screener":
            below = ROLES[ROLES.index(role) - 1]
            refused = request(api.as_(below))
            assert refused.status_code == 403, (below, refused.request.url, refused.text[:200])
        ok = request(api.as_(role))
        assert ok.status_code == 200, (role, ok.request.url, ok.text[:300])
    with Store.open(db_url(api.home)) as store:  # the hook above listens nowhere: stop retrying it later
        from tamiz.cases import Webhooks

        hooks = Webhooks(store.engine)
        for sub in hooks.subscriptions():
            hooks.unsubscribe(sub.id)
    # Read-only screening keys can neither decide alerts nor load lists.
    assert decide(api, a1, "screener").status_code == 403
    assert upload(api.as_("screener")).status_code == 403
    assert api.client.post("/admin/lists/update", headers=api.as_("screener"), json={}).status_code == 403
    assert api.client.post("/admin/lists/update", headers=api.as_("approver"), json={}).status_code == 403
    assert api.client.post("/admin/lists/update").status_code == 401
    # Probes and the docs stay open.
    assert api.client.get("/healthz").status_code == 200 and api.client.get("/docs").status_code == 200
    assert api.client.get("/readyz").status_code == 200


def test_only_admin_stores_the_four_eyes_policy_and_it_is_audited(api: Api) -> None:
    from tamiz.audit import AuditLog
    from tamiz.cases import CaseManager

    for role in (None, "screener", "analyst", "approver"):
        refused = api.client.put("/admin/policy", headers=api.as_(role), json={"four_eyes": False})
        assert refused.status_code == (401 if role is None else 403), (role, refused.text)
    admin = api.as_("admin")
    before = api.client.get("/admin/policy", headers=admin).json()
    assert before["forced_by_env"] is True and before["four_eyes"] is True  # this service runs with four-eyes
    with Store.open(db_url(api.home)) as store:
        audit = AuditLog(store.engine)
        other = CaseManager(store.engine, audit)  # another process's view: no TAMIZ_API_FOUR_EYES
        first_seq = audit.count() + 1
        for value in (not before["stored"], before["stored"]):
            r = api.client.put("/admin/policy", headers=admin, json={"four_eyes": value})
            assert r.status_code == 200, r.text
            assert r.json()["changed"] and r.json()["stored"] is value and r.json()["updated_by"] == api.actors["admin"]
            assert other.four_eyes() is value  # stored in the database, seen at once by every process
        again = api.client.put("/admin/policy", headers=admin, json={"four_eyes": before["stored"]}).json()
        assert again["changed"] is False
        changes = [(r.actor, r.payload["old"], r.payload["new"]) for r in audit.records(kind="admin", first_seq=first_seq)
                   if r.payload["action"] == "policy_changed"]
    assert changes == [(api.actors["admin"], before["stored"], not before["stored"]),
                       (api.actors["admin"], not before["stored"], before["stored"])]
    assert api.client.put("/admin/policy", headers=admin, json={"four_eyes": "maybe"}).status_code == 422
    assert api.client.put("/admin/policy", headers=admin, json={}).status_code == 422
    # Stored off, the service's own TAMIZ_API_FOUR_EYES still holds a clearance for approval.
    assert api.client.put("/admin/policy", headers=admin, json={"four_eyes": False}).status_code == 200
    alert = alert_for(api, "POLICY-1")
    assert decide(api, alert["id"]).json()["status"] == "pending_approval"
    assert api.client.get("/audit/verify", headers=admin).json()["ok"] is True
    # The rule switched on with SQL behind the log's back: the API's verify reports it too.
    from sqlalchemy import text

    with Store.open(db_url(api.home)) as store, store.engine.begin() as conn:
        conn.execute(text("UPDATE workflow_settings SET value = 'true' WHERE key = 'four_eyes'"))
    tampered = api.client.get("/audit/verify", headers=admin).json()
    assert tampered["ok"] is False and tampered["first_bad_seq"] is None
    assert any("four_eyes" in f for f in tampered["findings"])
    with Store.open(db_url(api.home)) as store, store.engine.begin() as conn:
        conn.execute(text("UPDATE workflow_settings SET value = 'false' WHERE key = 'four_eyes'"))
    assert api.client.get("/audit/verify", headers=admin).json()["ok"] is True


def test_audit_verify_and_export(api: Api) -> None:
    screen(api, "CUST-70")
    verify = api.client.get("/audit/verify", headers=api.as_("admin")).json()
    assert verify["ok"] is True and verify["checked"] == verify["head_seq"] > 0
    r = api.client.get("/audit/export", params={"from": "2000-01-01", "to": "2999-01-01"}, headers=api.as_("admin"))
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/x-ndjson")
    lines = [json.loads(line) for line in r.text.splitlines()]
    assert [x["seq"] for x in lines] == list(range(lines[0]["seq"], lines[0]["seq"] + len(lines)))
    assert any(x["payload"].get("reference") == "CUST-70" for x in lines if x["kind"] == "screen")
    assert api.client.get("/audit/export", params={"from": "2999-01-01"}, headers=api.as_("admin")).text == ""
    assert api.client.get("/audit/export", params={"from": "yesterday"}, headers=api.as_("admin")).status_code == 400


class Receiver:
    """A webhook subscriber on 127.0.0.1 that keeps what it is sent."""

    def __init__(self) -> None:
        received = self.received = []

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["content-length"]))
                received.append((dict(self.headers), body))
                self.send_response(204)
                self.end_headers()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def test_upload_a_second_version_runs_monitoring(api: Api, tmp_path: Path) -> None:
    from tamiz.cases import Webhooks, signature_ok

    admin = api.as_("admin")
    receiver = Receiver()
    secret = "a-webhook-secret-of-some-length"
    hook = api.client.post("/monitor/webhooks", headers=admin, json={"url": receiver.url, "secret": secret})
    assert hook.status_code == 200, hook.text
    r = api.client.post("/monitor/customers", headers=api.as_("analyst"), json={
        "reference": "FALCON-1", "name": "Blue Falcon Trading", "schema": "Company"})
    assert r.status_code == 200 and r.json()["added"] == 1

    def upload(text: str) -> dict:
        with open(_acme(tmp_path, text), "rb") as fh:
            r = api.client.post("/admin/lists/acme_watch", headers=admin, data={"format": "internal"},
                                files={"files": ("acme.csv", fh, "text/csv")})
        assert r.status_code == 200, r.text
        return r.json()

    upload(ACME_V1)  # v1 (the role test may already have landed it)
    second = upload(ACME_V2)
    assert second["created"] and second["version"] >= 2 and second["added"] == 1
    (run,) = second["monitoring"]
    assert run["dataset"] == "acme_watch" and run["delta_entities"] == 1 and run["alerts_opened"] == 1
    alerts = api.client.get("/alerts", params={"reference": "FALCON-1"}, headers=api.as_("analyst")).json()["alerts"]
    assert [a["entity_id"] for a in alerts] == ["acme_watch:A2"]
    # The analyst's alerts page announces the run and its new alert.
    page = api.client.get("/ui/alerts", headers=api.as_("analyst")).text
    announced = page.split('aria-label="Recent monitoring runs"', 1)[1].split("</section>", 1)[0]
    first = announced.split("</li>", 1)[0]
    assert f"acme_watch v{second['version']}" in first and "<strong>1 new alert</strong>" in first
    receiver.close()
    with Store.open(db_url(api.home)) as store:
        Webhooks(store.engine).unsubscribe(hook.json()["id"])
    events = {h["X-Tamiz-Event"]: (h, body) for h, body in receiver.received}
    headers, body = events["alerts.opened"]
    assert signature_ok(secret, body, headers["X-Tamiz-Signature"])
    assert json.loads(body)["data"]["alerts"][0]["reference"] == "FALCON-1" and "monitor.completed" in events
    again = upload(ACME_V2)
    assert not again["created"] and again["monitoring"] == []
    with open(_acme(tmp_path, "id,name\n"), "rb") as fh:
        bad = api.client.post("/admin/lists/acme_watch", headers=admin, data={"format": "internal"},
                              files={"files": ("../../evil.csv", fh, "text/csv")})
    assert bad.status_code == 400 and bad.json()["detail"]
    unknown = api.client.post("/admin/lists/nowhere", headers=admin,
                              files={"files": ("x.csv", b"id,name\n", "text/csv")})
    assert unknown.status_code in (400, 404) and unknown.json()["detail"]


def test_lists_update_from_a_local_publisher(api: Api, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from test_fetch import ListServer

    published = tmp_path / "published"
    published.mkdir()
    (published / "acme.csv").write_text(ACME_V2, encoding="utf-8")
    with ListServer(published) as srv:
        override = tmp_path / "sources.json"
        override.write_text(json.dumps({"acme_remote": {"title": "ACME watch list", "parser": "tamiz.sources.internal:parse",
                                                        "urls": [srv.url("acme.csv")]}}))
        monkeypatch.setenv("TAMIZ_SOURCES", str(override))
        r = api.client.post("/admin/lists/update", headers=api.as_("admin"), json={"datasets": ["acme_remote"]})
    assert r.status_code == 200, r.text
    (outcome,) = r.json()["outcomes"]
    assert outcome["dataset"] == "acme_remote" and outcome["status"] == "updated", outcome
    assert outcome["entity_count"] == 2 and r.json()["monitoring"] == []  # a first version has no delta


def test_docs_need_no_internet(api: Api) -> None:
    r = api.client.get("/docs")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    page = r.text
    assert "://" not in page  # no CDN script, stylesheet or font: the page renders air-gapped
    for must in ("/match/{dataset}", "/alerts/{alert_id}/decision", "/admin/lists/{dataset}", 'id="schema-MatchRequest"',
                 'href="#schema-DecisionRequest"'):
        assert must in page, must
    assert api.client.get("/openapi.json").json()["paths"]["/alerts"]["get"]


def test_ui_login_cookie_csrf_and_decision(api: Api) -> None:
    alert = alert_for(api, "UI-<b>1</b>")
    ui = TestClient(api.client.app, follow_redirects=False)
    first = ui.get("/ui/alerts")
    assert first.status_code == 401 and 'action="/ui/login"' in first.text
    csrf = ui.cookies.get("tamiz_csrf")
    assert csrf and f'value="{csrf}"' in first.text
    key = api.keys["analyst"]["Authorization"].split(" ", 1)[1]
    assert ui.post("/ui/login", data={"key": key, "csrf": "forged", "next": "/ui/alerts"}).status_code == 403
    bad = ui.post("/ui/login", data={"key": key + "x", "csrf": csrf})
    assert bad.status_code == 401 and "not valid" in bad.text
    r = ui.post("/ui/login", data={"key": key, "csrf": csrf, "next": "//evil.example/x"})
    assert r.status_code == 303 and r.headers["location"] == "/"
    cookies = r.headers.get_list("set-cookie")
    key_cookie = next(c for c in cookies if c.startswith("tamiz_key="))
    assert "httponly" in key_cookie.lower() and "samesite=strict" in key_cookie.lower()
    csrf = ui.cookies.get("tamiz_csrf")  # a fresh token with the new session
    page = ui.get("/ui/alerts", params={"reference": "UI-<b>1</b>"})
    assert page.status_code == 200 and f"alert-{alert['id']}" in page.text
    assert "UI-&lt;b&gt;1&lt;/b&gt;" in page.text and "UI-<b>1</b>" not in page.text
    assert "OSEGUERA CERVANTES" in page.text and 'role="meter"' in page.text and "Why this score" in page.text
    form = {"decision": "escalate", "reason": "needs source of funds", "status": "all", "reference": "UI-<b>1</b>"}
    assert ui.post(f"/ui/alerts/{alert['id']}/decision", data=form).status_code == 403  # no token
    assert ui.post(f"/ui/alerts/{alert['id']}/decision", data={**form, "csrf": "x" * 43}).status_code == 403
    done = ui.post(f"/ui/alerts/{alert['id']}/decision", data={**form, "csrf": csrf})
    assert done.status_code == 303 and "done=" in done.headers["location"]
    detail = api.client.get(f"/alerts/{alert['id']}", headers=api.as_("analyst")).json()
    assert detail["status"] == "escalated" and detail["decided_by"] == api.actors["analyst"]
    # An analyst's session cannot approve, remove customers or run monitoring.
    assert ui.post(f"/ui/alerts/{alert['id']}/approve", data={"csrf": csrf}).status_code == 403
    assert ui.post("/ui/monitor/run", data={"csrf": csrf}).status_code == 403
    added = ui.post("/ui/customers", data={"reference": "UI-C1", "name": "<img src=x onerror=alert(1)>", "csrf": csrf})
    assert added.status_code == 303
    customers = ui.get("/ui/customers").text
    assert "&lt;img src=x onerror=alert(1)&gt;" in customers and "<img src=x" not in customers
    out = ui.post("/ui/logout", data={"csrf": csrf})
    assert out.status_code == 303 and ui.get("/ui/alerts").status_code == 401


def _ui_session(api: Api, role: str) -> tuple[TestClient, str]:
    """A browser session logged in with `role`'s key: the client and its form token."""
    ui = TestClient(api.client.app, follow_redirects=False)
    csrf = ui.get("/ui/login").cookies.get("tamiz_csrf") or ui.cookies.get("tamiz_csrf")
    key = api.keys[role]["Authorization"].split(" ", 1)[1]
    assert ui.post("/ui/login", data={"key": key, "csrf": csrf}).status_code == 303
    return ui, ui.cookies.get("tamiz_csrf")


def test_every_ui_action_needs_its_role(api: Api) -> None:
    """Each form of the analyst's pages: a session one role too low gets 403 and changes nothing."""
    a1, a2, a3 = (alert_for(api, f"UIROLE-{i}")["id"] for i in range(3))
    assert decide(api, a2).status_code == 200 and decide(api, a3).status_code == 200  # pending approval
    api.client.post("/monitor/customers", headers=api.as_("analyst"), json={"reference": "UIROLE-C", "name": "X Y"})
    actions = [
        ("analyst", f"/ui/alerts/{a1}/decision", {"decision": "escalate", "reason": "needs KYC"}),
        ("approver", f"/ui/alerts/{a2}/approve", {"reason": "ok"}),
        ("approver", f"/ui/alerts/{a3}/reject", {"reason": "check again"}),
        ("analyst", "/ui/customers", {"reference": "UIROLE-D", "name": "Jane Roe"}),
        ("admin", "/ui/customers/UIROLE-C/remove", {}),
        ("admin", "/ui/monitor/run", {}),
    ]
    sessions = {role: _ui_session(api, role) for role in ROLES}
    for role, path, form in actions:
        below = ROLES[ROLES.index(role) - 1]
        ui, csrf = sessions[below]
        assert ui.post(path, data={**form, "csrf": csrf}).status_code == 403, (below, path)
    statuses = {a: api.client.get(f"/alerts/{a}", headers=api.as_("analyst")).json()["status"] for a in (a1, a2, a3)}
    assert statuses == {a1: "open", a2: "pending_approval", a3: "pending_approval"}
    for role, path, form in actions:
        ui, csrf = sessions[role]
        done = ui.post(path, data={**form, "csrf": csrf})
        assert done.status_code == 303 and "problem=" not in done.headers["location"], (role, path, done.headers)
    statuses = {a: api.client.get(f"/alerts/{a}", headers=api.as_("analyst")).json()["status"] for a in (a1, a2, a3)}
    assert statuses == {a1: "escalated", a2: "closed", a3: "open"}
    refs = {c["reference"] for c in api.client.get("/monitor/customers", headers=api.as_("analyst")).json()["customers"]}
    assert "UIROLE-D" in refs and "UIROLE-C" not in refs
