"""Two processes screening and deciding the same customers at once: nothing lost, one valid chain."""

from __future__ import annotations

import json
import multiprocessing as mp
import time
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import func, select

from tamiz.audit import AuditLog
from tamiz.audit.migrate import create_all
from tamiz.audit.testing import backends, private_database
from tamiz.cases import CaseError, CaseManager
from tamiz.cases.tables import AlertRow, DecisionRow
from tamiz.model import Entity, FuzzyDate, Name
from tamiz.screen.screener import Screener
from tamiz.sources.base import ParsedList
from tamiz.store import Store

FORK = mp.get_context("fork")
ROUNDS = 30  # screenings per process
REFERENCES = 4  # shared by both processes, so they race for the same alerts


def _person(sid: str, given: str, family: str, dob: str) -> Entity:
    full = f"{family}, {given}"
    return Entity(id=f"us_ofac_sdn:{sid}", dataset="us_ofac_sdn", schema="Person", caption=full,
                  names=[Name(full, given=given, family=family)], birth_dates=[FuzzyDate.exact(dob)],
                  programs=["SDGT"])


PARTIES = [_person("100", "Viktor Anatolyevich", "BOUT", "1967-01-13"),
           _person("101", "Joaquin", "GUZMAN LOERA", "1957-04-04")]


@pytest.fixture(params=backends())
def db_url(request, tmp_path):
    with private_database(request.param, tmp_path) as url:
        with Store.open(url) as store:
            store.load(ParsedList(dataset="us_ofac_sdn", entities=PARTIES, files=[]))
            create_all(store.engine)
            Screener.open(store=store, load_default=False, audit=False)  # build the cached index once
        yield url


def _worker(url: str, tag: str, start, out: Path) -> None:
    """Screen with a customer reference, then decide the alert: alternately confirm and escalate."""
    decided = lost = 0
    with Store.open(url) as store:
        screener = Screener.open(store=store, load_default=False, actor=tag)
        start.wait(30)
        began = time.time()
        for i in range(ROUNDS):
            reference = f"CUST-{i % REFERENCES}"
            result = screener.screen("Viktor Bout", schema="Person", dob="1967-01-13", reference=reference)
            assert result.matches, "the listed party must be found"
            for alert in screener.cases.alerts(reference=reference, status=("open", "escalated")):
                try:
                    screener.cases.decide(alert.id, tag, "true_match" if i % 2 else "escalate", f"{tag} round {i}")
                    decided += 1
                except CaseError:  # the other process closed it first
                    lost += 1
        screener.close()
    out.write_text(json.dumps({"decided": decided, "raced": lost, "began": began, "ended": time.time()}))


def test_two_processes_screening_and_deciding_lose_nothing(db_url, tmp_path):
    start = FORK.Event()
    outs = {tag: tmp_path / f"{tag}.json" for tag in ("p1", "p2")}
    procs = [FORK.Process(target=_worker, args=(db_url, tag, start, out)) for tag, out in outs.items()]
    for p in procs:
        p.start()
    start.set()
    try:
        for p in procs:
            p.join(300)
            assert p.exitcode == 0
    finally:  # a failed worker must not leave the other writing while its database is dropped
        for p in procs:
            if p.is_alive():
                p.kill()
                p.join(10)
    done = {tag: json.loads(out.read_text()) for tag, out in outs.items()}

    with Store.open(db_url) as store:
        audit = AuditLog(store.engine)
        result = audit.verify()
        assert result.ok, result
        records = list(audit.records())
        # Every screening is recorded, by the process that made it.
        screens = Counter(r.actor for r in records if r.kind == "screen")
        assert screens == {"p1": ROUNDS, "p2": ROUNDS}
        assert all(r.payload["results"][0]["id"] == "us_ofac_sdn:100" for r in records if r.kind == "screen")
        # Every screening with a reference and a hit wrote its alert record; every alert row is in one.
        alert_records = [r for r in records if r.kind == "alert"]
        assert len(alert_records) == 2 * ROUNDS
        opened = [o["alert_id"] for r in alert_records for o in r.payload["opened"]]
        with store.engine.connect() as conn:
            alert_ids = conn.execute(select(AlertRow.id).order_by(AlertRow.id)).scalars().all()
            decisions = conn.execute(select(DecisionRow)).all()
            open_now = conn.execute(select(AlertRow.reference, func.count()).where(AlertRow.open_key.is_not(None))
                                    .group_by(AlertRow.reference)).all()
        assert sorted(opened) == alert_ids and len(set(opened)) == len(opened)
        # Never two open alerts for one (customer, party), however the processes interleaved.
        assert all(n == 1 for _, n in open_now)
        # Every decision a process made is stored once, and in the chain at the seq it names.
        decision_records = {r.seq: r for r in records if r.kind == "decision"}
        assert len(decisions) == len(decision_records) == sum(d["decided"] for d in done.values())
        for row in decisions:
            rec = decision_records[row.audit_seq]
            assert (rec.actor, rec.payload["alert_id"], rec.payload["decision"]) == (row.actor, row.alert_id,
                                                                                      row.action)
        cases = CaseManager(store.engine, audit)
        closed = cases.alerts(status="closed")
        assert closed and all(a.decision == "true_match" for a in closed)
    # The two processes really ran at the same time (SQLite may still let one take the lock many times in a row).
    assert max(d["began"] for d in done.values()) < min(d["ended"] for d in done.values())
