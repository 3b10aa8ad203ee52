"""Group commit of audit records: nothing lost, order kept, chain valid."""

from __future__ import annotations

import subprocess
import sys
import textwrap

from tamiz.audit import AuditLog
from tamiz.audit.buffer import AuditBuffer
from tamiz.store import Store


def test_buffered_records_land_in_order_on_flush(tmp_path):
    store = Store.open(str(tmp_path / "a.db"))
    log = AuditLog(store.engine)
    buf = AuditBuffer(log, max_delay=60, max_records=10_000)
    for i in range(250):
        buf.add("screen", "tester", {"i": i})
    assert log.count() == 0  # nothing written yet: one group later
    buf.flush()
    assert [r.payload["i"] for r in log.records(None, None, "screen")] == list(range(250))
    assert log.verify().ok


def test_background_thread_writes_after_the_delay(tmp_path):
    store = Store.open(str(tmp_path / "b.db"))
    log = AuditLog(store.engine)
    buf = AuditBuffer(log, max_delay=0.05)
    buf.add("screen", "tester", {"i": 1})
    import time

    deadline = time.monotonic() + 10
    while log.count() == 0 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert log.count() == 1
    buf.close()


def test_zero_delay_writes_synchronously(tmp_path):
    store = Store.open(str(tmp_path / "c.db"))
    log = AuditLog(store.engine)
    AuditBuffer(log, max_delay=0).add("screen", "tester", {"i": 1})
    assert log.count() == 1


def test_records_are_flushed_at_interpreter_exit(tmp_path):
    db = tmp_path / "d.db"
    code = textwrap.dedent(f"""
        from tamiz.audit import AuditLog
        from tamiz.audit.buffer import AuditBuffer
        from tamiz.store import Store
        buf = AuditBuffer(AuditLog(Store.open({str(db)!r}).engine), max_delay=60)
        for i in range(40):
            buf.add("screen", "exit-test", {{"i": i}})
    """)
    subprocess.run([sys.executable, "-c", code], check=True)
    log = AuditLog(Store.open(str(db)).engine)
    assert log.count() == 40 and log.verify().ok
