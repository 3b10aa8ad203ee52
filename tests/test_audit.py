"""The hash-chained audit log: appends, tamper detection, concurrency, kills."""

from __future__ import annotations

import io
import json
import multiprocessing as mp
import os
import random
import signal
import time
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import delete, select, text, update

from tamiz.audit import AuditLog
from tamiz.audit.chain import GENESIS, link_hash
from tamiz.audit.migrate import create_all
from tamiz.audit.tables import AuditEntry
from tamiz.audit.testing import backends, private_database
from tamiz.store.engine import make_engine, write_connection

FORK = mp.get_context("fork")


@pytest.fixture(params=backends())
def db_url(request, tmp_path):
    with private_database(request.param, tmp_path) as url:
        engine = make_engine(url)
        create_all(engine)
        engine.dispose()
        yield url


@pytest.fixture
def log(db_url):
    engine = make_engine(db_url)
    yield AuditLog(engine)
    engine.dispose()


def _fill(log: AuditLog, n: int = 10) -> None:
    for i in range(n):
        log.record("screen", f"user{i % 3}", {"query": {"name": f"Name {i}"}, "threshold": 0.7, "results": [i]})


def test_records_chain_and_verify(log):
    first = log.record("screen", "alice", {"query": {"name": "José Ñúñez"}, "score": 0.91})
    assert first.seq == 1 and first.prev_hash == GENESIS
    recs = log.record_many([("decision", "bob", {"alert": 1}), ("list_load", "system", {"dataset": "x"})])
    assert [r.seq for r in recs] == [2, 3]
    assert recs[0].prev_hash == first.hash and recs[1].prev_hash == recs[0].hash
    stored = list(log.records())
    assert [r.seq for r in stored] == [1, 2, 3]
    assert stored[0].payload == {"query": {"name": "José Ñúñez"}, "score": 0.91}
    assert stored[0].hash == link_hash(GENESIS, 1, stored[0].to_dict()["ts"], "alice", "screen",
                                       json.dumps(stored[0].payload, sort_keys=True, ensure_ascii=False,
                                                  separators=(",", ":")))
    result = log.verify()
    assert result.ok and result.checked == 3 and result.first_bad_seq is None
    assert log.head() == (3, recs[1].hash)


def test_empty_log_verifies(log):
    result = log.verify()
    assert result.ok and result.checked == 0


def test_export_jsonl_by_time(log):
    _fill(log, 5)
    buf = io.StringIO()
    now = datetime.now(UTC)
    assert log.export(now - timedelta(minutes=5), now + timedelta(minutes=5), buf) == 5
    lines = [json.loads(line) for line in buf.getvalue().splitlines()]
    assert [row["seq"] for row in lines] == [1, 2, 3, 4, 5]
    assert lines[1]["prev_hash"] == lines[0]["hash"]
    assert log.export(now + timedelta(minutes=5), None, io.StringIO()) == 0


def test_record_in_rolled_back_transaction_leaves_no_trace(log):
    _fill(log, 3)
    with pytest.raises(RuntimeError):
        with write_connection(log.engine) as conn, conn.begin():
            log.record("decision", "eve", {"x": 1}, conn=conn)
            raise RuntimeError("boom")
    assert log.count() == 3 and log.verify().ok
    assert log.record("screen", "a", {}).seq == 4


def _sql(log: AuditLog, stmt) -> None:
    with log.engine.begin() as conn:
        conn.execute(stmt)


def test_altered_payload_is_detected(log):
    _fill(log)
    _sql(log, update(AuditEntry).where(AuditEntry.seq == 6).values(payload='{"results":[999]}'))
    result = log.verify()
    assert not result.ok and result.first_bad_seq == 6 and "altered" in result.problem
    assert result.checked == 5


def test_altered_actor_with_rehash_breaks_next_link(log):
    _fill(log)
    with log.engine.connect() as conn:
        row = conn.execute(select(AuditEntry).where(AuditEntry.seq == 4)).one()
    forged = link_hash(row.prev_hash, 4, row.ts, "mallory", row.kind, row.payload)
    _sql(log, update(AuditEntry).where(AuditEntry.seq == 4).values(actor="mallory", hash=forged))
    result = log.verify()
    assert not result.ok and result.first_bad_seq == 5 and "link" in result.problem


def test_deleted_record_is_detected(log):
    _fill(log)
    _sql(log, delete(AuditEntry).where(AuditEntry.seq == 7))
    result = log.verify()
    assert not result.ok and result.first_bad_seq == 7 and "missing" in result.problem


def test_deleted_tail_is_detected(log):
    _fill(log)
    _sql(log, delete(AuditEntry).where(AuditEntry.seq >= 9))
    result = log.verify()
    assert not result.ok and result.first_bad_seq == 9 and "truncated" in result.problem


def test_inserted_record_is_detected(log):
    _fill(log)
    # Make room at seq 5 by renumbering the later records, then insert a forged record there.
    with log.engine.begin() as conn:
        for seq in range(10, 4, -1):
            conn.execute(update(AuditEntry).where(AuditEntry.seq == seq).values(seq=seq + 1))
        prev = conn.execute(select(AuditEntry.hash).where(AuditEntry.seq == 4)).scalar_one()
        ts = conn.execute(select(AuditEntry.ts).where(AuditEntry.seq == 4)).scalar_one()
        payload = '{"forged":true}'
        conn.execute(AuditEntry.__table__.insert().values(
            seq=5, ts=ts, actor="mallory", kind="decision", payload=payload, prev_hash=prev,
            hash=link_hash(prev, 5, ts, "mallory", "decision", payload)))
    result = log.verify()
    assert not result.ok and result.first_bad_seq == 5 and "inserted" in result.problem


def test_record_appended_behind_the_logs_back_is_detected(log):
    _fill(log, 3)
    last = list(log.records())[-1]
    ts = last.to_dict()["ts"]
    _sql(log, AuditEntry.__table__.insert().values(
        seq=4, ts=ts, actor="mallory", kind="admin", payload="{}", prev_hash=last.hash,
        hash=link_hash(last.hash, 4, ts, "mallory", "admin", "{}")))
    result = log.verify()
    assert not result.ok and result.first_bad_seq == 4


def _append_worker(url: str, tag: str, n: int, start) -> None:
    engine = make_engine(url)
    log = AuditLog(engine)
    start.wait(30)
    for i in range(n):
        log.record("screen", tag, {"i": i})
    engine.dispose()


def test_two_processes_appending_keep_one_chain(db_url):
    n = 2000  # enough that neither process finishes before the other starts
    start = FORK.Event()
    procs = [FORK.Process(target=_append_worker, args=(db_url, tag, n, start)) for tag in ("p1", "p2")]
    for p in procs:
        p.start()
    start.set()
    for p in procs:
        p.join(120)
        assert p.exitcode == 0
    engine = make_engine(db_url)
    log = AuditLog(engine)
    result = log.verify()
    assert result.ok and result.checked == 2 * n
    actors = [r.actor for r in log.records()]
    assert actors.count("p1") == n and actors.count("p2") == n
    # Interleaved: the processes really did run at the same time.
    switches = sum(1 for a, b in zip(actors, actors[1:]) if a != b)
    assert switches > 1
    engine.dispose()


def _endless_worker(url: str, ready) -> None:
    engine = make_engine(url)
    log = AuditLog(engine)
    i = 0
    while True:
        log.record("screen", "victim", {"i": i, "pad": "x" * 200})
        log.record_many([("batch", "victim", {"i": i, "j": j}) for j in range(25)])
        if i == 0:
            ready.set()
        i += 1


def test_kill_mid_write_leaves_a_valid_chain(db_url):
    rng = random.Random(7)
    engine = make_engine(db_url)
    log = AuditLog(engine)
    counts = []
    for _ in range(20):
        ready = FORK.Event()
        proc = FORK.Process(target=_endless_worker, args=(db_url, ready))
        proc.start()
        assert ready.wait(30)
        time.sleep(rng.uniform(0.01, 0.12))
        os.kill(proc.pid, signal.SIGKILL)
        proc.join(10)
        result = log.verify()
        assert result.ok, result
        counts.append(result.checked)
    assert all(b > a for a, b in zip(counts, counts[1:]))
    # The chain still takes appends after all those kills.
    log.record("admin", "root", {"after": "kills"})
    assert log.verify().ok
    engine.dispose()


def test_backend_specific_tamper_via_raw_sql(log):
    _fill(log, 4)
    _sql(log, text("UPDATE audit_log SET kind = 'admin' WHERE seq = 2"))
    assert log.verify().first_bad_seq == 2
