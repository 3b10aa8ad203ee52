"""The webhook outbox: runs never wait for subscribers, and what a dead endpoint missed is sent later."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import inspect, select
from test_monitor import BASE, CUSTOMERS, NEW, SECRET, Receiver
from typer.testing import CliRunner

from tamiz.audit import AuditLog
from tamiz.audit.migrate import create_all, current, differences, upgrade
from tamiz.cases import CaseManager, Monitor, Webhooks
from tamiz.cases.monitor_runs import run_monitoring
from tamiz.cases.tables import WebhookOutbox
from tamiz.cli.main import app
from tamiz.sources.base import ParsedList
from tamiz.store import Store
from tamiz.store.engine import make_engine


@pytest.fixture
def store(db_url):
    with Store.open(db_url) as st:
        create_all(st.engine)
        st.load(ParsedList(dataset="us_ofac_sdn", entities=BASE, files=[]))
        st.load(ParsedList(dataset="us_ofac_sdn", entities=[*BASE, NEW], files=[]))
        yield st


def _monitor(store: Store, hooks: Webhooks) -> Monitor:
    audit = AuditLog(store.engine)
    return Monitor(store.engine, CaseManager(store.engine, audit), audit, hooks)


def _down_url() -> tuple[str, int]:
    """The URL of an endpoint that is down: a port a server just let go of."""
    with Receiver() as gone:
        return gone.url, gone.server.server_address[1]


def test_endpoint_down_then_up_is_delivered_by_a_later_run_once(store):
    # No backoff wait, so that the next run's pass finds the deliveries due.
    hooks = Webhooks(store.engine, delays=(0.01,), backoff=(0.0,))
    _monitor(store, hooks).add_many(CUSTOMERS)
    url, port = _down_url()
    sub = hooks.subscribe(url, SECRET)
    first = run_monitoring(store, webhooks=hooks)
    assert [(r["dataset"], r["alerts_opened"]) for r in first] == [("us_ofac_sdn", 1)]
    pending = hooks.pending()
    assert [(d.event, d.subscription_id) for d in pending] == [("alerts.opened", sub), ("monitor.completed", sub)]
    # One failure per endpoint per pass: the second delivery was not even tried.
    assert [d.attempts for d in pending] == [2, 0] and "Connect" in pending[0].error
    with Receiver(port=port) as receiver:
        again = run_monitoring(store, webhooks=hooks)  # a later run: nothing new, but it sends what is owed
        assert [r["alerts_opened"] for r in again] == [0]
    assert hooks.pending() == [] and receiver.bad_signatures == 0
    events = [p["event"] for p in receiver.received]
    assert events == ["alerts.opened", "monitor.completed", "monitor.completed"]
    ids = [p["delivery_id"] for p in receiver.received]
    assert len(set(ids)) == 3 and ids[:2] == [d.id for d in pending]  # each owed delivery sent once
    assert [a["reference"] for a in receiver.received[0]["data"]["alerts"]] == ["C-2"]
    final = {d.id: d for d in hooks.deliveries(sub)}
    assert (final[pending[0].id].delivered, final[pending[0].id].attempts) == (True, 3)


def test_cli_deliver_retries_pending_now(store, db_url):
    hooks = Webhooks(store.engine, delays=())
    url, port = _down_url()
    sub = hooks.subscribe(url, SECRET, ["monitor.completed"])
    _monitor(store, hooks).run(store.delta("us_ofac_sdn"))
    assert hooks.deliver_pending()[0].pending
    runner = CliRunner()
    # Waiting out its backoff: a plain `deliver` leaves it alone, `--now` tries it.
    waiting = runner.invoke(app, ["monitor", "deliver", "--db", db_url, "--json"])
    assert waiting.exit_code == 0, waiting.output
    assert json.loads(waiting.stdout)["pending"] == 1 and json.loads(waiting.stdout)["deliveries"] == []
    with Receiver(port=port) as receiver:
        sent = runner.invoke(app, ["monitor", "deliver", "--now", "--db", db_url, "--json"])
    assert sent.exit_code == 0, sent.output
    summary = json.loads(sent.stdout)
    assert (summary["delivered"], summary["pending"]) == (1, 0)
    assert [p["event"] for p in receiver.received] == ["monitor.completed"] and receiver.bad_signatures == 0
    assert [(d.delivered, d.pending) for d in hooks.deliveries(sub)] == [(True, False)]


def test_a_claimed_delivery_is_not_sent_twice(store):
    hooks = Webhooks(store.engine)
    hooks.subscribe("http://127.0.0.1:9/hook", SECRET, ["monitor.completed"])
    (queued,) = hooks.enqueue("monitor.completed", {"run_id": 1})
    other = Webhooks(store.engine)
    assert hooks._claim(queued.id, 0) and not other._claim(queued.id, 0)
    # Claimed rows are leased into the future: another process's pass skips them.
    assert other.deliver_pending() == []


def test_deliveries_of_a_removed_subscription_are_dropped(store):
    hooks = Webhooks(store.engine)
    sub = hooks.subscribe("http://127.0.0.1:9/hook", SECRET)
    queued = hooks.enqueue("monitor.completed", {"run_id": 1})
    hooks.unsubscribe(sub)
    (dropped,) = hooks.deliver_pending()
    assert dropped.id == queued[0].id and not dropped.delivered and not dropped.pending
    assert "removed" in dropped.error and hooks.pending() == []


def test_enqueue_joins_the_callers_transaction(store):
    hooks = Webhooks(store.engine)
    hooks.subscribe("http://127.0.0.1:9/hook", SECRET)
    with store.engine.connect() as conn:
        trans = conn.begin()
        assert len(hooks.enqueue("monitor.completed", {"run_id": 7}, conn)) == 1
        trans.rollback()
    assert hooks.pending() == [] and hooks.deliveries() == []


def test_migration_0002_adds_the_outbox_to_a_0001_database(db_url):
    upgrade(db_url, "0001")
    engine = make_engine(db_url)
    try:
        assert "webhook_outbox" not in inspect(engine).get_table_names()
        upgrade(db_url)
        assert current(db_url) >= "0002" and differences(engine) == []  # head: 0002 or a later revision
        with engine.connect() as conn:
            assert conn.execute(select(WebhookOutbox)).all() == []
    finally:
        engine.dispose()


def test_monitoring_skips_a_dataset_whose_previous_versions_were_pruned(store):
    _monitor(store, Webhooks(store.engine)).add_many(CUSTOMERS)
    store.prune(1, grace=timedelta(0))
    assert [v.version for v in store.versions("us_ofac_sdn")] == [2]
    assert run_monitoring(store) == []  # not the whole list as "added"
