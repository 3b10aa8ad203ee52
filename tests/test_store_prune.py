"""Pruning old list versions: keep N per dataset, the current one, and every version a record names."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, insert, select, update
from typer.testing import CliRunner

from tamiz.audit import AuditLog
from tamiz.audit.migrate import create_all
from tamiz.audit.testing import backends, private_database
from tamiz.cases import CaseManager
from tamiz.cases.tables import AlertRow
from tamiz.cli.main import app
from tamiz.errors import StoreError
from tamiz.model import Entity, Name
from tamiz.sources.base import ParsedList
from tamiz.store import Store
from tamiz.store.schema import EntityRecord, ListVersion


def _party(dataset: str, sid: str, name: str) -> Entity:
    return Entity(id=f"{dataset}:{sid}", dataset=dataset, schema="Person", caption=name, names=[Name(name)])


NO_GRACE = timedelta(0)  # the versions here are all seconds old
STABLE = _party("t", "1", "Stable Person")  # in every version: its one record must survive


def _version(n: int) -> list[Entity]:
    """Version n of dataset t: the stable party plus one party whose name changes with n."""
    return [STABLE, _party("t", "2", f"Changing Person {n}")]


@pytest.fixture(params=backends())
def store(request, tmp_path):
    with private_database(request.param, tmp_path) as url, Store.open(url) as st:
        create_all(st.engine)
        for n in range(1, 6):
            assert st.load(ParsedList(dataset="t", entities=_version(n), files=[])).version.version == n
        for n in (1, 2):
            st.load(ParsedList(dataset="u", entities=[_party("u", "1", f"Other {n}")], files=[]))
        yield st


def _records(store: Store) -> int:
    with store.engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(EntityRecord)).scalar_one()


def _numbers(store: Store, dataset: str) -> list[int]:
    return [v.version for v in store.versions(dataset)]


def _reference(store: Store) -> None:
    """t v2 is named by a screening's audit record, t v3 by an alert, u v1 by a monitoring run (int form)."""
    audit = AuditLog(store.engine)
    audit.record("screen", "ana", {"input": {"name": "x"}, "list_versions": {"t": {"version": 2, "published": None}},
                                   "results": []})
    audit.record("monitor", "monitor", {"action": "run", "list_versions": {"u": 1}})
    # A name that merely contains the key names no version.
    audit.record("screen", "ana", {"input": {"name": '"list_versions": {"t": 1}'}, "list_versions": {}})
    with store.engine.begin() as conn:  # an alert whose audit record is elsewhere: the alert alone protects
        conn.execute(insert(AlertRow).values(
            reference="C-1", entity_id="t:2", caption="Changing Person 3", score=0.9, status="closed",
            reopened=False, query={}, hit={}, list_versions={"t": {"version": 3}}, created_at=datetime.now(UTC),
            decision="false_positive", pending_allow_list=False))


def test_prune_keeps_current_newest_and_referenced_versions(store):
    _reference(store)
    v2 = store.entities("t", 2)
    before = _records(store)  # t: 1 stable + 5 changing; u: 2
    assert before == 8
    preview = store.prune(1, grace=NO_GRACE, dry_run=True)
    assert _numbers(store, "t") == [1, 2, 3, 4, 5] and _records(store) == before
    result = store.prune(1, grace=NO_GRACE)
    assert [(v.dataset, v.version) for v in result.removed] == [("t", 4), ("t", 1)]
    assert [(v.dataset, v.version) for v in preview.removed] == [("t", 4), ("t", 1)] and preview.dry_run
    assert result.kept == {("t", 3): ["alert"], ("t", 2): ["audit"], ("u", 1): ["audit"]}
    assert _numbers(store, "t") == [2, 3, 5] and _numbers(store, "u") == [1, 2]
    # v1's and v4's records stay: the recorded deltas of v2 and v5 still name them.
    assert result.records_removed == 0 and _records(store) == before
    assert store.entities("t", 2) == v2 and store.current("t").version == 5
    assert store.check_integrity() == []
    delta = store.delta("t", 3, 5)
    assert [c.new.caption for c in delta.changed] == ["Changing Person 5"]
    # Numbers are never reused: the next load is v6.
    assert store.load(ParsedList(dataset="t", entities=_version(6), files=[])).version.version == 6
    again = store.prune(1, grace=NO_GRACE)
    assert [(v.dataset, v.version) for v in again.removed] == [("t", 5)] and again.records_removed == 1
    assert _numbers(store, "t") == [2, 3, 6] and store.prune(1, grace=NO_GRACE).removed == []


def test_prune_removes_everything_unreferenced_and_its_records(store):
    result = store.prune(2, ["t"], grace=NO_GRACE)
    assert [v.version for v in result.removed] == [3, 2, 1] and result.kept == {}
    assert _numbers(store, "t") == [4, 5] and _numbers(store, "u") == [1, 2]
    # Changing Person 1..3 are gone except 3, which v4's recorded delta still names.
    assert result.records_removed == 2 and store.check_integrity() == []
    assert store.entity("t:1") == STABLE


def test_alerts_from_screening_protect_their_version(store):
    cases = CaseManager(store.engine, AuditLog(store.engine))
    cases.open_alerts("C-9", {"name": "Changing Person 1"}, [{"id": "t:2", "score": 0.95, "caption": "x"}],
                      {"t": {"version": 1}}, threshold=0.5)
    result = store.prune(1, ["t"], grace=NO_GRACE)
    assert result.kept == {("t", 1): ["audit", "alert"]}
    assert _numbers(store, "t") == [1, 5]


def test_recently_replaced_versions_stay_for_the_grace_period(store):
    # Back-date the loads of t: v5 now, v4 10 h ago, ... v1 40 h ago.
    now = datetime.now(UTC)
    with store.engine.begin() as conn:
        for n in range(1, 6):
            conn.execute(update(ListVersion).where(ListVersion.dataset == "t", ListVersion.version == n)
                         .values(loaded_at=now - timedelta(hours=10 * (5 - n))))
    result = store.prune(1, ["t"])  # default grace, a day: only v1 was replaced (by v2) more than a day ago
    assert [v.version for v in result.removed] == [1]
    assert result.kept == {("t", n): ["recent"] for n in (2, 3, 4)}
    assert [v.version for v in store.prune(1, ["t"], grace=timedelta(hours=5)).removed] == [3, 2]
    assert _numbers(store, "t") == [4, 5]


def test_keep_must_be_positive(store):
    with pytest.raises(StoreError):
        store.prune(0)


def test_cli_prune_reports_and_audits(store):
    runner = CliRunner()
    dry = runner.invoke(app, ["lists", "prune", "--keep", "3", "--grace", "0", "--dry-run", "--db", store.url, "--json"])
    assert dry.exit_code == 0, dry.output
    assert [v["version"] for v in json.loads(dry.stdout)["removed"]] == [2, 1]
    assert _numbers(store, "t") == [1, 2, 3, 4, 5]
    done = runner.invoke(app, ["lists", "prune", "--keep", "3", "--grace", "0", "--db", store.url])
    assert done.exit_code == 0, done.output
    assert "removed t v2" in done.stdout and "2 versions removed" in done.stdout
    assert _numbers(store, "t") == [3, 4, 5]
    (record,) = [r for r in AuditLog(store.engine).records(kind="admin") if r.payload["action"] == "lists_pruned"]
    assert [v["version"] for v in record.payload["removed"]] == [2, 1] and record.payload["keep"] == 3
    bad = runner.invoke(app, ["lists", "prune", "--keep", "0", "--db", store.url])
    assert bad.exit_code != 0
