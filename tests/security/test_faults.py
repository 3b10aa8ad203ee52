"""Faults: SIGKILL at random points, a full disk, a read-only database.

After a kill the store holds the previous or the new list version whole
(`check_integrity()` empty), a batch run resumes with no row lost or
repeated, and the audit chain verifies. Each kill trial forks a real child
process (cheap: it inherits the parent's imports and opened screener) and
kills it with SIGKILL at a uniformly random moment within the time a full run
takes. 20 trials each by default; 100 in the slow variants.
"""

from __future__ import annotations

import csv
import json
import os
import random
import shutil
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from conftest import LISTS, need
from security.corpus import _trim_xml
from security.servers import Bodies
from tamiz.audit import AuditLog
from tamiz.sources.fetch import FetchLimits
from tamiz.store import Store

FAST_TRIALS = 20
ROWS = 80  # customer rows per batch trial, screened in chunks of 4
SLOW_TRIALS = 100
LIMITS = FetchLimits(tries=1, backoff=0, timeout=30)


def _fork(work: Callable[[], None]) -> int:
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            work()
            code = 0
        finally:
            os._exit(code)
    return pid


def _timed_run(work: Callable[[], None]) -> float:
    """How long one uninterrupted run takes (in a child, like the trials)."""
    t0 = time.monotonic()
    pid = _fork(work)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0, "the uninterrupted run failed"
    return time.monotonic() - t0


def _kill_at_random(work: Callable[[], None], within: float, rng: random.Random) -> bool:
    """Run `work` in a child and SIGKILL it after a random delay; True if it was killed mid-run."""
    pid = _fork(work)
    time.sleep(rng.uniform(0, within))
    os.kill(pid, signal.SIGKILL)
    _, status = os.waitpid(pid, 0)
    return os.WIFSIGNALED(status)


# -- list updates -----------------------------------------------------------------------------


def _versions(db: Path) -> tuple[list[tuple[str, int, int]], list[str], dict[str, int]]:
    with Store.open(f"sqlite:///{db}") as store:
        versions = [(v.dataset, v.version, v.entity_count) for v in store.datasets()]
        counts = {v.dataset: len(store.entities(v.dataset)) for v in store.datasets()}
        return versions, store.check_integrity(), counts


def _update_trials(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, trials: int) -> None:
    from tamiz.sources.update import update_datasets

    # The real 2020 and 2026 UN lists, each cut to its first 250 individuals and entities.
    old = _trim_xml(need(LISTS / "un_sc" / "consolidated_2020-03-20.xml").read_bytes(), 250)
    new = _trim_xml(need(LISTS / "un_sc" / "consolidated_2026-02-27.xml").read_bytes(), 250)
    rng = random.Random(20240601 + trials)
    with Bodies() as srv:
        override = tmp_path / "sources.json"
        override.write_text(json.dumps({"un_sc_sanctions": {"urls": [srv.url("consolidated.xml")]}}))
        monkeypatch.setenv("TAMIZ_SOURCES", str(override))
        base = tmp_path / "base.db"
        srv.routes["consolidated.xml"] = (old, {})
        with Store.open(f"sqlite:///{base}") as store:
            assert update_datasets(store, ["un_sc_sanctions"], limits=LIMITS)[0].status == "updated"
        v1 = _versions(base)[0]
        srv.routes["consolidated.xml"] = (new, {})
        db = tmp_path / "trial.db"

        def work() -> None:
            with Store.open(f"sqlite:///{db}") as store:
                [outcome] = update_datasets(store, ["un_sc_sanctions"], limits=LIMITS)
                assert outcome.status == "updated", outcome.message

        shutil.copy(base, db)
        full = _timed_run(work)
        v2 = _versions(db)[0]
        assert v2 != v1
        seen = {"old": 0, "new": 0}
        for _ in range(trials):
            for suffix in ("", "-wal", "-shm"):
                Path(f"{db}{suffix}").unlink(missing_ok=True)
            shutil.copy(base, db)
            _kill_at_random(work, full * 1.1, rng)
            versions, problems, counts = _versions(db)
            assert problems == []
            assert versions in (v1, v2), versions
            seen["old" if versions == v1 else "new"] += 1
            assert counts["un_sc_sanctions"] == versions[0][2]
        assert seen["old"] > 0, seen  # the kills really landed mid-update


@pytest.mark.timeout(300)
def test_sigkill_during_list_update_keeps_a_whole_version(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _update_trials(tmp_path, monkeypatch, FAST_TRIALS)


@pytest.mark.slow
@pytest.mark.timeout(1800)
def test_sigkill_during_list_update_keeps_a_whole_version_100(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _update_trials(tmp_path, monkeypatch, SLOW_TRIALS)


# -- batch runs -----------------------------------------------------------------------------


def _customers(path: Path, screener, rows: int) -> None:  # type: ignore[no-untyped-def]
    listed = sorted(e.caption for e in screener.entities.values() if e.schema == "Person")[:: 97][: rows // 4]
    rng = random.Random(5)
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["customer_id", "name", "country"])
        for i in range(rows):
            name = listed[i % len(listed)] if i % 4 == 0 else f"Customer {rng.choice('ABCDEFGH')}{i} Ltd"
            w.writerow([f"C{i:05d}", name, "mx"])


def _batch_trials(tmp_path: Path, trials: int) -> None:
    from tamiz.screen.batch import screen_file
    from tamiz.screen.screener import Screener

    screener = Screener.open(str(tmp_path / "tamiz.db"), audit=False)
    source = tmp_path / "customers.csv"
    _customers(source, screener, ROWS)
    reference = tmp_path / "reference.csv"
    out = tmp_path / "out" / "hits.csv"
    out.parent.mkdir()

    def run(target: Path) -> None:
        screen_file(source, target, screener=screener, workers=1, chunk_size=4)

    run(reference)
    expected = reference.read_bytes()
    assert expected.count(b"\n") > 10  # there are hits to lose or repeat
    # The quickest of three runs: a run slowed by a busy machine would set kill times after most trials end.
    full = min(_timed_run(lambda: run(out)) for _ in range(3))
    rng = random.Random(77 + trials)
    interrupted = 0
    for _ in range(trials):
        for p in out.parent.iterdir():
            p.unlink()
        if _kill_at_random(lambda: run(out), full * 1.1, rng) and out.with_name(out.name + ".summary.json").exists() is False:
            interrupted += 1
        summary = screen_file(source, out, screener=screener, workers=1, chunk_size=4)  # resume
        assert summary.rows == ROWS
        assert out.read_bytes() == expected  # no row lost, none repeated, same order
    assert interrupted > trials // 3


@pytest.mark.timeout(300)
def test_sigkill_during_batch_run_resumes_without_loss_or_duplicates(tmp_path: Path) -> None:
    _batch_trials(tmp_path, FAST_TRIALS)


@pytest.mark.slow
@pytest.mark.timeout(1800)
def test_sigkill_during_batch_run_resumes_without_loss_or_duplicates_100(tmp_path: Path) -> None:
    _batch_trials(tmp_path, SLOW_TRIALS)


# -- audit writes ---------------------------------------------------------------------------


def _audit_trials(tmp_path: Path, trials: int) -> None:
    db = tmp_path / "audit.db"
    url = f"sqlite:///{db}"
    Store.open(url).close()

    def work() -> None:
        with Store.open(url) as store:
            log = AuditLog(store.engine)
            for i in range(60):
                if i % 3:
                    log.record("screen", "faults", {"i": i, "input": {"name": f"NAME {i}"}})
                else:
                    log.record_many([("screen", "faults", {"i": i, "j": j}) for j in range(5)])

    full = _timed_run(work)
    rng = random.Random(99 + trials)
    for _ in range(trials):
        with Store.open(url) as store:
            before = AuditLog(store.engine).count()
        _kill_at_random(work, full * 1.1, rng)
        with Store.open(url) as store:
            log = AuditLog(store.engine)
            verdict = log.verify()
            assert verdict.ok, verdict
            assert log.count() >= before


@pytest.mark.timeout(300)
def test_sigkill_during_audit_writes_keeps_the_chain_valid(tmp_path: Path) -> None:
    _audit_trials(tmp_path, FAST_TRIALS)


@pytest.mark.slow
@pytest.mark.timeout(1800)
def test_sigkill_during_audit_writes_keeps_the_chain_valid_100(tmp_path: Path) -> None:
    _audit_trials(tmp_path, SLOW_TRIALS)


# -- full disk, read-only database -----------------------------------------------------------


def _cli(args: list[str]) -> tuple[int, str]:
    from tamiz.cli.main import app

    result = CliRunner().invoke(app, args)
    text = result.output
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        text += f"\nUNCAUGHT {type(result.exception).__name__}: {result.exception}"
    return result.exit_code, text


@pytest.fixture
def tiny_disk(tmp_path: Path):  # type: ignore[no-untyped-def]
    mount = tmp_path / "tiny"
    mount.mkdir()
    proc = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(mount)], capture_output=True)
    if proc.returncode != 0:
        pytest.skip(f"cannot mount a tiny tmpfs here: {proc.stderr.decode(errors='replace').strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], capture_output=True)



@pytest.mark.timeout(120)
def test_full_disk_gives_one_clear_error(tiny_disk: Path) -> None:
    un = need(LISTS / "un_sc" / "consolidated_2020-03-20.xml")
    db = tiny_disk / "tamiz.db"
    code, text = _cli(["lists", "load", "un_sc_sanctions", str(un), "--db", str(db)])
    assert code == 1, text
    assert "Traceback" not in text and "UNCAUGHT" not in text, text[-2000:]
    assert "full" in text.lower()
    assert len(text.strip().splitlines()) <= 3, text


@pytest.mark.timeout(120)
def test_read_only_database_gives_one_clear_error(tmp_path: Path) -> None:
    un = need(LISTS / "un_sc" / "consolidated_2020-03-20.xml")
    db = tmp_path / "tamiz.db"
    code, text = _cli(["lists", "load", "un_sc_sanctions", str(un), "--db", str(db)])
    assert code == 0, text
    ro = f"sqlite:///file:{db}?mode=ro&uri=true"
    before = _versions(db)
    code, text = _cli(["lists", "load", "un_sc_sanctions", str(need(LISTS / "un_sc" / "consolidated_2026-02-27.xml")),
                       "--db", ro])
    assert _versions(db) == before
    assert code == 1, text
    assert "Traceback" not in text and "UNCAUGHT" not in text, text[-2000:]
    assert "read" in text.lower() and len(text.strip().splitlines()) <= 3, text
