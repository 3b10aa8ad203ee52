"""The versioned list store on the real OFAC SDN: versions, deltas, atomic loads."""

from __future__ import annotations

import dataclasses
import os
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select, text
from test_store_data import DATASET, parse_sdn

from tamiz.errors import StoreError
from tamiz.model import Entity, FuzzyDate, Name, NameKind
from tamiz.sources.base import ParsedList, SourceFile
from tamiz.store import Delta, LoadResult, Store, VersionInfo
from tamiz.store.diff_report import delta_to_dict, render_diff
from tamiz.store.schema import EntityRecord, VersionMember
from tamiz.store.store import BATCH

PG_URL = os.environ.get("TAMIZ_TEST_PG_URL")


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request, tmp_path):
    """A private empty database: a SQLite file, or a fresh schema on the test PostgreSQL."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'store.db'}"
        return
    if not PG_URL:
        pytest.skip("TAMIZ_TEST_PG_URL not set: no PostgreSQL server to test against")
    schema = f"tamiz_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_URL)
    with admin.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    sep = "&" if "?" in PG_URL else "?"
    yield f"{PG_URL}{sep}options=-csearch_path%3D{schema}"
    with admin.begin() as conn:
        conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
    admin.dispose()


@pytest.fixture
def store(db_url):
    with Store.open(db_url) as s:
        yield s


@pytest.fixture(scope="module")
def sdn_v1() -> ParsedList:
    from conftest import LISTS, need

    base = need(LISTS / "us_ofac_sdn")
    return parse_sdn([base / n for n in ("sdn.csv", "add.csv", "alt.csv", "sdn_comments.csv")])


@pytest.fixture(scope="module")
def sdn_part(sdn_v1) -> ParsedList:
    """The first 3,000 SDN parties: real data where full volume is not the point."""
    return dataclasses.replace(sdn_v1, entities=sdn_v1.entities[:3000])


def _count(store: Store, model) -> int:
    with store.engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(model)).scalar()


def _with_dob(e: Entity) -> Entity:
    return next(x for x in [e] if x.schema == "Person" and x.birth_dates)


def _modified(v1: ParsedList, tmp_path: Path) -> tuple[ParsedList, dict]:
    """v2: drop three parties, change one DOB, add one alias, add one party."""
    people = [e for e in v1.entities if e.schema == "Person" and e.birth_dates]
    orgs = [e for e in v1.entities if e.schema != "Person"]
    dropped = {people[0].id, orgs[0].id, orgs[1].id}
    dob_target, alias_target = people[10], orgs[5]
    old_dob = dob_target.birth_dates[0]
    new_year = str(int(old_dob.start[:4]) + 1)
    new_dob = FuzzyDate(text=new_year, start=new_year, end=new_year, precision=old_dob.precision)
    added = dataclasses.replace(
        people[20],
        id=f"{DATASET}:99999001",
        caption="NEWLY LISTED, Person",
        names=[Name("NEWLY LISTED, Person")],
    )
    entities = []
    for e in v1.entities:
        if e.id in dropped:
            continue
        if e.id == dob_target.id:
            e = dataclasses.replace(e, birth_dates=[new_dob] + e.birth_dates[1:])
        elif e.id == alias_target.id:
            e = dataclasses.replace(e, names=e.names + [Name("TAMIZ TEST ALIAS", NameKind.ALIAS)])
        entities.append(e)
    entities.append(added)
    changed_file = tmp_path / "sdn.csv"
    changed_file.write_bytes(b"v2 of the list\n")
    files = [SourceFile.of(changed_file)] + v1.files[1:]
    expect = {
        "added": [added.id],
        "removed": sorted(dropped),
        "changed": {dob_target.id: ["birth_dates"], alias_target.id: ["names"]},
        "old_dob": old_dob,
        "new_dob": new_dob,
    }
    return ParsedList(
        DATASET, entities, files, published="2021-07-08", stats={"entries": len(entities)}
    ), expect


def test_load_real_sdn_then_same_files_makes_no_new_version(store, sdn_v1):
    # CPU time of this process: a fair measure of our cost on a busy shared machine
    # (the PostgreSQL server's own work is not counted, the SQLite engine's is).
    t0 = time.process_time()
    first = store.load(sdn_v1)
    load_s = time.process_time() - t0
    assert isinstance(first, LoadResult) and first.created
    assert first.version.version == 1 and first.version.current
    assert first.version.entity_count == len(sdn_v1.entities) > 8000
    assert first.added == len(sdn_v1.entities) and first.removed == first.changed == 0
    assert [f.sha256 for f in first.version.files] == [f.sha256 for f in sdn_v1.files]
    assert first.version.stats == sdn_v1.stats
    print(f"SDN load {load_s:.2f}s CPU")
    assert load_s < 10, f"loading the SDN took {load_s:.1f}s"

    token = store.state_token()
    again = store.load(sdn_v1)
    assert not again.created and again.version.version == 1 and again.added == 0
    assert len(store.versions(DATASET)) == 1
    assert store.state_token() == token

    t0 = time.process_time()
    back = store.entities(DATASET)
    read_s = time.process_time() - t0
    print(f"SDN read {read_s:.2f}s CPU")
    assert read_s < 1.5, f"reading the SDN back took {read_s:.2f}s"
    assert [e.to_dict() for e in back] == [e.to_dict() for e in sdn_v1.entities]
    probe = sdn_v1.entities[len(sdn_v1.entities) // 2]
    assert store.entity(probe.id) == probe
    assert store.entity(f"{DATASET}:does-not-exist") is None
    with store.engine.connect() as conn:
        stored = dict(conn.execute(select(VersionMember.entity_id, VersionMember.fingerprint)).all())
    assert stored == {e.id: e.fingerprint() for e in sdn_v1.entities}
    assert store.check_integrity() == []


def test_modified_list_gives_v2_with_exact_delta(store, sdn_part, tmp_path):
    sdn_v1 = sdn_part
    v2, expect = _modified(sdn_v1, tmp_path)
    store.load(sdn_v1)
    token = store.state_token()
    result = store.load(v2)
    assert result.created and result.version.version == 2 and result.version.published == "2021-07-08"
    assert (result.added, result.removed, result.changed) == (1, 3, 2)
    assert store.state_token() != token

    # Unchanged parties share their record: only the 2 changed + 1 new are new rows.
    assert _count(store, EntityRecord) == len(sdn_v1.entities) + 3
    assert _count(store, VersionMember) == len(sdn_v1.entities) + len(v2.entities)

    delta = store.delta(DATASET)
    assert isinstance(delta, Delta) and (delta.from_version, delta.to_version) == (1, 2)
    assert [e.id for e in delta.added] == expect["added"]
    assert sorted(e.id for e in delta.removed) == expect["removed"]
    assert {c.new.id: c.fields for c in delta.changed} == expect["changed"]
    dob_change = next(c for c in delta.changed if c.fields == ["birth_dates"])
    assert dob_change.old.birth_dates[0] == expect["old_dob"]
    assert dob_change.new.birth_dates[0] == expect["new_dob"]

    # Both versions stay readable.
    assert len(store.entities(DATASET, version=1)) == len(sdn_v1.entities)
    assert len(store.entities(DATASET)) == len(v2.entities)
    assert store.entity(dob_change.new.id, version=1).birth_dates[0] == expect["old_dob"]
    assert store.entity(dob_change.new.id).birth_dates[0] == expect["new_dob"]
    assert store.entity(expect["removed"][0]) is None
    assert store.entity(expect["removed"][0], version=1) is not None

    versions = store.versions(DATASET)
    assert [(v.version, v.current) for v in versions] == [(1, False), (2, True)]
    assert (versions[1].added, versions[1].removed, versions[1].changed) == (1, 3, 2)
    assert store.current(DATASET).version == 2
    assert store.check_integrity() == []

    report = render_diff(delta, DATASET, 1, 2)
    assert "1 added, 3 removed, 2 changed" in report
    assert f"+ {expect['added'][0]}" in report
    for rid in expect["removed"]:
        assert f"- {rid}" in report
    assert "+ TAMIZ TEST ALIAS (alias)" in report
    assert f"- {expect['old_dob'].start}" in report and f"+ {expect['new_dob'].start}" in report
    as_json = delta_to_dict(delta, DATASET, 1, 2)
    assert as_json["counts"] == {"added": 1, "removed": 3, "changed": 2}
    alias_entry = next(c for c in as_json["changed"] if "names" in c["fields"])
    assert alias_entry["fields"]["names"] == {"removed": [], "added": ["TAMIZ TEST ALIAS (alias)"]}

    # Reverse direction and the first version's delta.
    back = store.delta(DATASET, from_version=2, to_version=1)
    assert (
        sorted(e.id for e in back.added) == expect["removed"]
        and [e.id for e in back.removed] == expect["added"]
    )
    first = store.delta(DATASET, to_version=1)
    assert first.from_version is None and len(first.added) == len(sdn_v1.entities)


def test_force_and_reverting_to_old_files_create_versions(store, sdn_part, tmp_path):
    sdn_v1 = sdn_part
    v2, _ = _modified(sdn_v1, tmp_path)
    store.load(sdn_v1)
    forced = store.load(sdn_v1, force=True)
    assert (
        forced.created
        and forced.version.version == 2
        and (forced.added, forced.removed, forced.changed) == (0, 0, 0)
    )
    store.load(v2)
    back = store.load(sdn_v1)  # the old files again: a real change of the current list
    assert (
        back.created and back.version.version == 4 and (back.added, back.removed, back.changed) == (3, 1, 2)
    )
    assert _count(store, EntityRecord) == len(sdn_v1.entities) + 3
    assert store.check_integrity() == []


def test_lists_without_files_are_identified_by_content(store, sdn_v1):
    few = ParsedList(DATASET, sdn_v1.entities[:50], files=[])
    assert store.load(few).created
    assert not store.load(ParsedList(DATASET, list(sdn_v1.entities[:50]), files=[])).created
    assert store.load(ParsedList(DATASET, sdn_v1.entities[:49], files=[])).version.version == 2


@pytest.mark.parametrize(
    "mangle, message",
    [
        (lambda p: dataclasses.replace(p, dataset=""), "invalid dataset name"),
        (lambda p: dataclasses.replace(p, entities=[]), "no entities"),
        (lambda p: dataclasses.replace(p, entities=p.entities + [p.entities[7]]), "duplicate entity ids"),
        (
            lambda p: dataclasses.replace(
                p, entities=p.entities + [dataclasses.replace(p.entities[0], id="un_sc:1")]
            ),
            "do not belong",
        ),
        (
            lambda p: dataclasses.replace(p, entities=[dataclasses.replace(p.entities[0], dataset="other")]),
            "do not belong",
        ),
    ],
)
def test_invalid_lists_are_refused_and_store_unchanged(store, sdn_v1, mangle, message):
    store.load(ParsedList(DATASET, sdn_v1.entities[:100], sdn_v1.files))
    token = store.state_token()
    with pytest.raises(StoreError, match=message):
        store.load(mangle(dataclasses.replace(sdn_v1, files=sdn_v1.files[:1])))
    assert store.state_token() == token
    assert [v.version for v in store.versions(DATASET)] == [1]
    assert _count(store, EntityRecord) == 100


class _Exploding(Entity):
    """An entity whose serialisation fails, as a parser bug or Ctrl-C would mid-load."""

    error: type[BaseException] = RuntimeError

    def to_dict(self):
        raise self.error("boom while serialising")


@pytest.mark.parametrize("error", [RuntimeError, KeyboardInterrupt])
def test_failure_mid_load_leaves_previous_version_current(store, sdn_part, tmp_path, error):
    sdn_v1 = sdn_part
    store.load(sdn_v1)
    token = store.state_token()
    records, members = _count(store, EntityRecord), _count(store, VersionMember)
    v2, _ = _modified(sdn_v1, tmp_path)
    bad_at = BATCH + 500  # after the first batch of rows has been written
    victim = v2.entities[bad_at]
    boom = _Exploding(**{f.name: getattr(victim, f.name) for f in dataclasses.fields(Entity)})
    boom.error = error
    v2.entities[bad_at] = boom
    with pytest.raises(error):
        store.load(v2)
    assert store.state_token() == token
    assert store.current(DATASET).version == 1
    assert [v.version for v in store.versions(DATASET)] == [1]
    assert (_count(store, EntityRecord), _count(store, VersionMember)) == (records, members)
    assert store.check_integrity() == []
    # and the store still takes the next good load
    v2.entities[bad_at] = victim
    assert store.load(v2).version.version == 2


def test_several_datasets_and_state_token(store, sdn_v1):
    from conftest import LISTS, need

    base = need(LISTS / "us_ofac_consolidated")
    cons = parse_sdn(
        [base / n for n in ("cons_prim.csv", "cons_add.csv", "cons_alt.csv", "cons_comments.csv")],
        "us_ofac_consolidated",
    )
    empty_token = store.state_token()
    store.load(sdn_v1)
    after_sdn = store.state_token()
    store.load(cons)
    after_both = store.state_token()
    assert len({empty_token, after_sdn, after_both}) == 3
    infos = store.datasets()
    assert [(i.dataset, i.version, i.entity_count) for i in infos] == [
        ("us_ofac_consolidated", 1, len(cons.entities)),
        (DATASET, 1, len(sdn_v1.entities)),
    ]
    assert all(isinstance(i, VersionInfo) and i.current for i in infos)
    assert store.entity(cons.entities[0].id) == cons.entities[0]
    assert store.current("un_sc") is None and store.versions("un_sc") == []
    with pytest.raises(StoreError, match="not loaded"):
        store.entities("un_sc")
    with pytest.raises(StoreError, match="no version 5"):
        store.delta(DATASET, 1, 5)
    assert store.check_integrity() == []


def test_reopening_keeps_everything(db_url, sdn_v1):
    with Store.open(db_url) as s:
        s.load(ParsedList(DATASET, sdn_v1.entities[:200], sdn_v1.files))
        token = s.state_token()
    with Store.open(db_url) as s:
        assert s.state_token() == token
        assert len(s.entities(DATASET)) == 200


def test_default_database_is_sqlite_in_tamiz_home(tamiz_home, sdn_v1):
    with Store.open() as s:
        assert s.url.startswith("sqlite:///") and str(tamiz_home) in s.url
        s.load(ParsedList(DATASET, sdn_v1.entities[:10], sdn_v1.files))
        with s.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 1  # NORMAL (WAL-safe)
    assert (tamiz_home / "tamiz.db").exists()


def test_full_synchronous_on_request(tamiz_home, monkeypatch):
    monkeypatch.setenv("TAMIZ_SQLITE_SYNCHRONOUS", "full")
    with Store.open() as s, s.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2


def test_integrity_check_finds_damage(tmp_path, sdn_v1):
    url = f"sqlite:///{tmp_path / 'damaged.db'}"
    with Store.open(url) as s:
        s.load(ParsedList(DATASET, sdn_v1.entities[:300], sdn_v1.files))
        assert s.check_integrity() == []
        with s.engine.begin() as conn:
            conn.execute(
                VersionMember.__table__.delete().where(VersionMember.entity_id == sdn_v1.entities[5].id)
            )
            conn.execute(
                EntityRecord.__table__.update()
                .where(EntityRecord.entity_id == sdn_v1.entities[9].id)
                .values(data='{"tampered":true}')
            )
        problems = s.check_integrity()
    assert any("299 members stored, 300 recorded" in p for p in problems), problems
    assert any("does not match its fingerprint" in p for p in problems), problems


def test_version_info_age_and_label():
    loaded = datetime(2024, 3, 1, 12, tzinfo=UTC)
    dated = VersionInfo(DATASET, 3, "2021-07-07", loaded, 10)
    undated = VersionInfo(DATASET, 4, None, loaded, 10)
    assert dated.label == "us_ofac_sdn v3 (published 2021-07-07)"
    assert undated.label == "us_ofac_sdn v4 (loaded 2024-03-01)"
    now = datetime(2024, 3, 11, 13, tzinfo=UTC)
    assert undated.age_days(now) == 10
    assert dated.age_days(now) == (now - datetime(2021, 7, 7, tzinfo=UTC)).days
    assert undated.age_days(loaded + timedelta(hours=3)) == 0


def test_bad_url_is_a_store_error():
    with pytest.raises(StoreError):
        Store.open("notadialect://x/y")


def test_concurrent_loaders_serialise(db_url, sdn_part):
    """Two processes loading into the same database: both land, as consecutive versions."""
    url = db_url
    with Store.open(url) as s:
        s.load(
            ParsedList(
                "us_ofac_consolidated",
                [
                    dataclasses.replace(
                        e, id=e.id.replace(DATASET, "us_ofac_consolidated"), dataset="us_ofac_consolidated"
                    )
                    for e in sdn_part.entities[:10]
                ],
                [],
            )
        )
    lists = [
        ParsedList(DATASET, sdn_part.entities[:1500], [SourceFile("a.csv", "a" * 64, 1)]),
        ParsedList(DATASET, sdn_part.entities[1000:], [SourceFile("b.csv", "b" * 64, 1)]),
    ]
    pids = []
    for parsed in lists:
        pid = os.fork()
        if pid == 0:
            code = 1
            try:
                with Store.open(url) as s:
                    s.load(parsed)
                code = 0
            finally:
                os._exit(code)
        pids.append(pid)
    assert [os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]) for pid in pids] == [0, 0]
    with Store.open(url) as s:
        versions = s.versions(DATASET)
        assert [v.version for v in versions] == [1, 2]
        assert sorted(v.entity_count for v in versions) == [1500, 2000]
        # whichever went second replaced the other: A=[0,1500) then B=[1000,3000), or B then A
        assert (versions[1].added, versions[1].removed, versions[1].changed) in (
            (1500, 1000, 0),
            (1000, 1500, 0),
        )
        assert s.check_integrity() == []


def test_readers_are_not_blocked_by_a_load_in_another_process(tmp_path, sdn_v1):
    """WAL: while a loader writes, readers see the previous version whole, without waiting."""
    url = f"sqlite:///{tmp_path / 'read.db'}"
    with Store.open(url) as s:
        s.load(dataclasses.replace(sdn_v1, entities=sdn_v1.entities[:1000], files=[]))
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            os.close(read_end)
            with Store.open(url) as s:
                os.write(write_end, b"R")
                s.load(sdn_v1)
            code = 0
        finally:
            os._exit(code)
    os.close(write_end)
    assert os.read(read_end, 1) == b"R"
    seen, slowest = [], 0.0
    with Store.open(url) as s:
        while True:
            t0 = time.perf_counter()
            cur = s.current(DATASET)
            ids = [e.id for e in s.entities(DATASET, version=cur.version)] if cur.version == 1 else None
            slowest = max(slowest, time.perf_counter() - t0)
            seen.append(cur.version)
            if ids is not None:
                assert len(ids) == cur.entity_count == 1000
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                break
        assert os.waitstatus_to_exitcode(status) == 0
        assert s.current(DATASET).version == 2
    os.close(read_end)
    assert seen[0] == 1 and set(seen) <= {1, 2}
    assert slowest < 5, f"a read waited {slowest:.1f}s for the loader"


def test_a_file_that_is_not_a_database_is_a_store_error(tmp_path):
    bogus = tmp_path / "lists.db"
    bogus.write_bytes(b"this is not sqlite\n" * 100)
    with pytest.raises(StoreError, match="cannot open database .*lists.db"):
        Store.open(str(bogus))
