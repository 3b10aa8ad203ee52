"""Ongoing monitoring: re-screen customers against a list delta, alert, and send signed webhooks."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tamiz.audit import AuditLog
from tamiz.audit.migrate import create_all
from tamiz.audit.testing import backends, private_database
from tamiz.cases import CaseError, CaseManager, Monitor, Webhooks, signature_ok
from tamiz.cases.webhooks import DEFAULT_BACKOFF
from tamiz.model import Entity, FuzzyDate, Name
from tamiz.sources.base import ParsedList
from tamiz.store import Store

SECRET = "s3cret-for-tests-only"


def _person(sid: str, given: str, family: str, dob: str, country: str) -> Entity:
    full = f"{family}, {given}"
    return Entity(id=f"us_ofac_sdn:{sid}", dataset="us_ofac_sdn", schema="Person", caption=full,
                  names=[Name(full, given=given, family=family)], birth_dates=[FuzzyDate.exact(dob)],
                  nationalities=[country], programs=["SDGT"])


BASE = [
    _person("100", "Viktor Anatolyevich", "BOUT", "1967-01-13", "ru"),
    _person("101", "Joaquin", "GUZMAN LOERA", "1957-04-04", "mx"),
    _person("102", "Mohammed", "AL-ZAWAHIRI", "1951-06-19", "eg"),
]
NEW = _person("200", "Dawood", "IBRAHIM KASKAR", "1955-12-26", "in")

CUSTOMERS = [
    {"reference": "C-1", "name": "Viktor Bout", "dob": "1967-01-13", "country": "ru"},  # matches an old party
    {"reference": "C-2", "name": "Dawood Ibrahim Kaskar", "dob": "1955-12-26"},  # matches the new party
    {"reference": "C-3", "name": "Maria Fernanda Lopez", "country": "es", "segment": "retail"},
    {"reference": "C-4", "name": "Acme Shipping Ltd", "schema": "Company"},
]


class Receiver:
    """A webhook endpoint on 127.0.0.1 that checks signatures and can fail on purpose."""

    def __init__(self, fail_first: int = 0, port: int = 0):
        self.received: list[dict] = []
        self.bad_signatures = 0
        self.calls = 0
        self.fail_first = fail_first
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers["Content-Length"]))
                outer.calls += 1
                if not signature_ok(SECRET, body, self.headers.get("X-Tamiz-Signature")):
                    outer.bad_signatures += 1
                    self.send_response(401)
                elif outer.calls <= outer.fail_first:
                    self.send_response(503)
                else:
                    payload = json.loads(body)
                    assert self.headers["X-Tamiz-Timestamp"] == str(payload["sent_at"])
                    outer.received.append(payload)
                    self.send_response(204)
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> "Receiver":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(params=backends())
def store(request, tmp_path):
    with private_database(request.param, tmp_path) as url:
        with Store.open(url) as st:
            create_all(st.engine)
            yield st


@pytest.fixture
def monitor(store):
    audit = AuditLog(store.engine)
    cases = CaseManager(store.engine, audit)
    return Monitor(store.engine, cases, audit, Webhooks(store.engine, delays=(0.01, 0.02, 0.04)))


def test_customer_register(monitor):
    assert monitor.add_many(CUSTOMERS) == 4
    monitor.add("C-5", "Jane Doe", dob="1980", country="gb", id_number="X123", extra={"branch": "leeds"})
    assert monitor.count() == 5
    c3 = monitor.get("C-3")
    assert c3.extra == {"segment": "retail"} and c3.schema == "Person"
    monitor.add("C-5", "Jane Q. Doe")  # re-adding updates
    assert monitor.get("C-5").name == "Jane Q. Doe" and monitor.count() == 5
    assert monitor.remove("C-5") and not monitor.remove("C-5")
    assert [c.reference for c in monitor.list()] == ["C-1", "C-2", "C-3", "C-4"]
    with pytest.raises(CaseError):
        monitor.add_many([{"reference": "C-9", "name": ""}])
    with pytest.raises(CaseError):
        monitor.add("C-9", "X", schema="Spaceship")


def test_delta_with_one_new_party_alerts_once_and_signs_one_webhook_each(store, monitor):
    store.load(ParsedList(dataset="us_ofac_sdn", entities=BASE, files=[]))
    monitor.add_many(CUSTOMERS)
    changed = _person("102", "Mohammed", "AL-ZAWAHIRI", "1951-06-19", "af")  # a changed party nobody matches
    store.load(ParsedList(dataset="us_ofac_sdn", entities=[*BASE[:2], changed, NEW], files=[]))
    delta = store.delta("us_ofac_sdn", 1, 2)
    assert [e.id for e in delta.added] == [NEW.id] and len(delta.changed) == 1
    with Receiver() as r1, Receiver() as r2:
        monitor.webhooks.subscribe(r1.url, SECRET, ["alerts.opened"])
        monitor.webhooks.subscribe(r2.url, SECRET, ["alerts.opened"])
        run = monitor.run(delta)
        # The run only queued its webhooks; one delivery pass sends them.
        assert r1.calls == r2.calls == 0 and [d.pending for d in run.deliveries] == [True, True]
        monitor.webhooks.deliver_pending()
    # C-1 matches BOUT, who is in the list but not in the delta: only C-2 is alerted.
    assert [(a.reference, a.entity_id) for a in run.alerts] == [("C-2", NEW.id)]
    assert run.customers == 4 and run.delta_entities == 2 and run.list_versions == {"us_ofac_sdn": 2}
    for receiver in (r1, r2):
        assert receiver.bad_signatures == 0 and len(receiver.received) == 1
        (payload,) = receiver.received
        assert payload["event"] == "alerts.opened"
        assert [(a["reference"], a["entity_id"]) for a in payload["data"]["alerts"]] == [("C-2", NEW.id)]
    assert [(d.delivered, d.attempts, d.status_code) for d in monitor.webhooks.deliveries()] == [(True, 1, 204)] * 2
    # Running the same delta again opens nothing new and sends no alert webhook.
    again = monitor.run(delta)
    assert again.alerts == [] and [a.reference for a in again.already_open] == ["C-2"]
    assert [a.reference for a in monitor.cases.alerts()] == ["C-2"]
    runs = [r.payload for r in monitor.audit.records(kind="monitor") if r.payload["action"] == "run"]
    assert [len(p["alerts_opened"]) for p in runs] == [1, 0]
    assert monitor.audit.verify().ok


def test_allow_listed_customer_is_suppressed_until_party_changes(store, monitor):
    monitor.add_many(CUSTOMERS)
    first = monitor.run([NEW])
    (alert,) = first.alerts
    monitor.cases.decide(alert.id, "ana", "false_positive", "different person, dob checked", allow_list=True)
    quiet = monitor.run([NEW])
    assert quiet.alerts == [] and [a.reference for a in quiet.suppressed] == ["C-2"]
    amended = _person("200", "Dawood", "IBRAHIM KASKAR", "1955-12-26", "pk")
    loud = monitor.run([amended])
    assert [(a.reference, a.reopened) for a in loud.alerts] == [("C-2", True)]


def test_webhook_retries_then_delivers_and_logs(monitor):
    monitor.add_many(CUSTOMERS)
    with Receiver(fail_first=2) as receiver:
        sub = monitor.webhooks.subscribe(receiver.url, SECRET, ["alerts.opened"])
        monitor.run([NEW])
        tried = monitor.webhooks.deliver_pending()
    assert len(receiver.received) == 1 and receiver.calls == 3
    (delivery,) = [d for d in tried if d.subscription_id == sub]
    assert (delivery.delivered, delivery.attempts, delivery.status_code, delivery.error) == (True, 3, 204, None)
    assert monitor.webhooks.deliveries(sub) == [delivery]


def test_webhook_retries_are_bounded_per_pass_then_backed_off_then_given_up(store, monitor):
    monitor.add_many(CUSTOMERS)
    with Receiver(fail_first=100) as receiver:
        sub = monitor.webhooks.subscribe(receiver.url, SECRET, ["alerts.opened"])
        monitor.run([NEW])
        before = datetime.now(UTC)
        monitor.webhooks.deliver_pending()
        (delivery,) = monitor.webhooks.deliveries(sub)
        assert (delivery.delivered, delivery.attempts, delivery.status_code) == (False, 4, 503)
        assert receiver.calls == 4 and "503" in delivery.error
        # Still owed, but not before the first backoff step has passed.
        assert delivery.pending and delivery.due_at >= before + timedelta(seconds=DEFAULT_BACKOFF[0])
        assert monitor.webhooks.deliver_pending() == [] and receiver.calls == 4
        # Past `give_up_after`, a failing pass is the last one.
        late = Webhooks(store.engine, delays=(), give_up_after=timedelta(0))
        (final,) = late.deliver_pending(force=True)
    assert (final.delivered, final.pending, final.attempts) == (False, False, 5) and "given up" in final.error
    assert monitor.webhooks.pending() == [] and receiver.calls == 5


def test_wrong_secret_is_rejected_by_receiver_and_not_retried(monitor):
    monitor.add_many(CUSTOMERS)
    with Receiver() as receiver:
        sub = monitor.webhooks.subscribe(receiver.url, "another-secret-of-16+", ["*"])
        monitor.run([NEW])
        monitor.webhooks.deliver_pending()
    deliveries = monitor.webhooks.deliveries(sub)
    assert not any(d.pending for d in deliveries)  # a refusal is final
    assert [(d.event, d.attempts, d.status_code, d.delivered) for d in deliveries] == [
        ("alerts.opened", 1, 401, False), ("monitor.completed", 1, 401, False)]
    assert receiver.bad_signatures == 2 and receiver.received == []


def test_unreachable_receiver_is_logged(monitor):
    monitor.add_many(CUSTOMERS)
    with Receiver() as receiver:
        url = receiver.url
    sub = monitor.webhooks.subscribe(url, SECRET, ["alerts.opened"])  # server now closed
    monitor.run([NEW])
    monitor.webhooks.deliver_pending()
    (delivery,) = monitor.webhooks.deliveries(sub)
    assert not delivery.delivered and delivery.attempts == 4 and delivery.status_code is None
    assert "Connect" in delivery.error and delivery.pending


def test_subscription_validation(monitor):
    with pytest.raises(CaseError):
        monitor.webhooks.subscribe("ftp://127.0.0.1/x", SECRET)
    with pytest.raises(CaseError):
        monitor.webhooks.subscribe("http://127.0.0.1/x", "short")
    with pytest.raises(CaseError):
        monitor.webhooks.subscribe("http://127.0.0.1/x", SECRET, ["everything"])
    sub = monitor.webhooks.subscribe("http://127.0.0.1/x", SECRET)
    assert [s.id for s in monitor.webhooks.subscriptions("alerts.opened")] == [sub]
    assert monitor.webhooks.unsubscribe(sub) and monitor.webhooks.subscriptions() == []


def test_empty_delta_screens_nobody(monitor):
    monitor.add_many(CUSTOMERS)
    run = monitor.run([])
    assert run.customers == 0 and run.alerts == []
