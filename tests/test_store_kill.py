"""SIGKILL during a load of the real SDN never leaves a broken or half-loaded store."""

from __future__ import annotations

import dataclasses
import os
import random
import shutil
import signal
import time
from pathlib import Path

from conftest import LISTS, need
from sqlalchemy import select
from test_store_data import DATASET, parse_sdn

from tamiz.model import Name, NameKind
from tamiz.sources.base import ParsedList, SourceFile
from tamiz.store import Store
from tamiz.store.schema import CurrentVersion, VersionMember

REPETITIONS = 20


def _start(db: Path, parsed: ParsedList) -> tuple[int, int]:
    """Fork a loader process (a real, separate process, cheap to start); returns (pid, pipe)."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # child: load, report, and leave without running any of pytest's cleanup
        code = 1
        try:
            os.close(read_end)
            store = Store.open(f"sqlite:///{db}")
            os.write(write_end, b"R")
            t0 = time.perf_counter()
            store.load(parsed)
            os.write(write_end, f"{time.perf_counter() - t0:.4f}".encode())
            code = 0
        finally:
            os._exit(code)
    os.close(write_end)
    assert os.read(read_end, 1) == b"R"
    return pid, read_end


def test_sigkill_mid_load_leaves_old_or_new_version_whole(tmp_path):
    base = need(LISTS / "us_ofac_sdn")
    new = parse_sdn([base / n for n in ("sdn.csv", "add.csv", "alt.csv", "sdn_comments.csv")])
    # The previous version: 600 fewer parties and every third one carrying an extra alias,
    # so the load of the real list has thousands of records and memberships to write.
    marker = tmp_path / "previous.csv"
    marker.write_text("previous release\n")
    old_entities = [
        dataclasses.replace(e, names=e.names + [Name(f"PREVIOUS ALIAS {i}", NameKind.ALIAS)])
        if i % 3 == 0
        else e
        for i, e in enumerate(new.entities[600:])
    ]
    old = ParsedList(DATASET, old_entities, [SourceFile.of(marker)])
    old_ids = {e.id for e in old.entities}
    new_ids = {e.id for e in new.entities}

    template = tmp_path / "template.db"
    with Store.open(f"sqlite:///{template}") as s:
        s.load(old)
    assert not Path(f"{template}-wal").exists() or Path(f"{template}-wal").stat().st_size == 0

    # Measure one uninterrupted load, and check it really lands.
    probe = tmp_path / "probe.db"
    shutil.copy(template, probe)
    pid, pipe = _start(probe, new)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    duration = float(os.read(pipe, 64).decode())
    os.close(pipe)
    with Store.open(f"sqlite:///{probe}") as s:
        assert s.current(DATASET).version == 2

    t_start = time.perf_counter()
    rng = random.Random(os.environ.get("TAMIZ_TEST_SEED"))
    outcomes = {1: 0, 2: 0}
    for i in range(REPETITIONS):
        db = tmp_path / f"kill{i}.db"
        shutil.copy(template, db)
        pid, pipe = _start(db, new)
        time.sleep(rng.uniform(0.0, duration * 1.1))
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        os.close(pipe)
        with Store.open(f"sqlite:///{db}") as s:
            problems = s.check_integrity()
            assert problems == [], f"after kill {i}: {problems}"
            cur = s.current(DATASET)
            with s.engine.connect() as conn:
                ids = set(
                    conn.execute(
                        select(VersionMember.entity_id)
                        .join(CurrentVersion, CurrentVersion.version_id == VersionMember.version_id)
                        .where(CurrentVersion.dataset == DATASET)
                    ).scalars()
                )
            assert len(ids) == cur.entity_count
            assert (cur.version, ids) in ((1, old_ids), (2, new_ids)), (
                f"kill {i}: v{cur.version}, {len(ids)} ids"
            )
            assert [v.version for v in s.versions(DATASET)] == list(range(1, cur.version + 1))
            if cur.version == 1 and not outcomes[1]:  # the store still takes loads after a crash
                assert s.load(new).version.version == 2
        outcomes[cur.version] += 1
    print(
        f"load {duration:.2f}s; kills leaving v1: {outcomes[1]}, v2: {outcomes[2]}; total {time.perf_counter() - t_start:.1f}s"
    )
    assert outcomes[1] > 0, f"no kill landed before the commit: {outcomes} (load took {duration:.2f}s)"
