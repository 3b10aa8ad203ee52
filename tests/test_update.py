"""`lists update` end to end: a local publisher → real parsers → the real store.

Each scenario starts from a store where the real SDN files landed as v1, then
makes the publisher misbehave and checks that v1 stays current and the
outcome says why.
"""

from __future__ import annotations

import importlib.util
import json
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from conftest import LISTS, need
from tamiz.errors import UnknownDataset
from tamiz.sources.update import UpdateOutcome, fetch_status, resolve_names, update_datasets, watch
from tamiz.store.store import Store
from test_fetch import FAST, OFFICIAL, ListServer, publish_sdn

SDN_ROWS = 8976  # rows in sdn.csv (data README)
SDN = "us_ofac_sdn"
UN = "un_sc_sanctions"


def need_parser(module: str) -> None:
    if importlib.util.find_spec(module) is None:
        pytest.skip(f"parser {module} not written yet")


def write_override(directory: Path, srv: ListServer) -> Path:
    """A TAMIZ_SOURCES file pointing the SDN and UN datasets at the local publisher."""
    override = {
        SDN: {"urls": [srv.url(n) for n in OFFICIAL]},
        UN: {
            "title": "UN Security Council Consolidated List",
            "parser": "tamiz.sources.un_xml:parse",
            "urls": [srv.url("consolidated.xml")],
        },
    }
    path = directory / "sources.json"
    path.write_text(json.dumps(override), encoding="utf-8")
    return path


def update(store: Store, names: list[str] | None = None, **kw: object) -> UpdateOutcome:
    outcomes = update_datasets(store, names or [SDN], limits=FAST, **kw)  # type: ignore[arg-type]
    assert len(outcomes) == 1
    return outcomes[0]


@pytest.fixture(scope="module")
def publisher(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ListServer]:
    root = tmp_path_factory.mktemp("published")
    publish_sdn(root)
    with ListServer(root) as srv:
        yield srv


@dataclass
class Landed:
    """The first real update, done once per module: its store file and fetch state are
    copied into each test that starts from "v1 is current" (parsing the SDN is slow)."""

    db: Path
    state: str
    outcome: UpdateOutcome
    requests: list[tuple[str, dict[str, str]]]
    leftovers: list[Path]


@pytest.fixture(scope="module")
def first_update(publisher: ListServer, tmp_path_factory: pytest.TempPathFactory) -> Landed:
    need_parser("tamiz.sources.ofac_csv")
    base = tmp_path_factory.mktemp("first_update")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("TAMIZ_HOME", str(base / "home"))
        mp.setenv("TAMIZ_SOURCES", str(write_override(base, publisher)))
        publisher.requests.clear()
        publisher.fail["SDN.CSV"] = 2  # the first download also proves that 5xx is retried
        with Store.open(str(base / "lists.db")) as store:
            outcome = update(store)
        state = (base / "home" / "fetch_state.json").read_text(encoding="utf-8")
        leftovers = list((base / "home" / "downloads").iterdir())
    assert outcome.status == "updated", outcome.message
    assert not (base / "lists.db-wal").exists()
    return Landed(base / "lists.db", state, outcome, list(publisher.requests), leftovers)


@pytest.fixture
def server(publisher: ListServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> ListServer:
    """The module's publisher, reset to the real files and no faults for this test."""
    for path in publisher.root.iterdir():
        path.unlink()
    publish_sdn(publisher.root)
    for faults in (publisher.fail, publisher.truncate, publisher.huge, publisher.unsized, publisher.gzip):
        faults.clear()
    publisher.requests.clear()
    monkeypatch.setenv("TAMIZ_SOURCES", str(write_override(tmp_path, publisher)))
    return publisher


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store.open(str(tmp_path / "empty.db")) as s:
        yield s


@pytest.fixture
def sdn_store(first_update: Landed, server: ListServer, tmp_path: Path, tamiz_home: Path) -> Iterator[Store]:
    """A store where the real SDN files landed as v1, with that update's fetch state."""
    shutil.copyfile(first_update.db, tmp_path / "lists.db")
    (tamiz_home / "fetch_state.json").write_text(first_update.state, encoding="utf-8")
    with Store.open(str(tmp_path / "lists.db")) as s:
        yield s


def assert_v1_current(store: Store) -> None:
    current = store.current(SDN)
    assert current is not None and current.version == 1 and current.entity_count == SDN_ROWS
    assert len(store.versions(SDN)) == 1


def test_first_update_lands_v1_with_every_sdn_entry(first_update: Landed, sdn_store: Store, server: ListServer) -> None:
    first = first_update.outcome
    assert (first.version, first.previous, first.entity_count, first.added) == (1, None, SDN_ROWS, SDN_ROWS)
    # SDN.CSV answered 500 twice, then the third try succeeded.
    assert [n for n, _ in first_update.requests].count("SDN.CSV") == 3
    assert_v1_current(sdn_store)
    files = sdn_store.current(SDN).files
    assert sorted(f.name for f in files) == sorted(OFFICIAL)
    assert {f.origin for f in files} == {server.url(n) for n in OFFICIAL}  # provenance is the URL
    status = fetch_status()[SDN]
    assert status["last_error"] is None and status["last_success"] == status["last_attempt"]
    assert first_update.leftovers == []  # the temporary download directory was removed


def test_second_update_is_a_conditional_304(sdn_store: Store, server: ListServer) -> None:
    second = update(sdn_store)
    assert second.status == "not_modified" and second.version == 1 and second.ok
    for name in OFFICIAL:
        (headers,) = server.served(name)
        assert headers["if-none-match"].startswith('"') and "if-modified-since" in headers
    assert len(sdn_store.versions(SDN)) == 1


def test_no_conditional_request_when_the_store_lacks_those_files(first_update: Landed, server: ListServer, store: Store, tamiz_home: Path) -> None:
    # Fetch state says "you have these files", but this (empty) store does not: download in full.
    (tamiz_home / "fetch_state.json").write_text(first_update.state, encoding="utf-8")
    need_parser("tamiz.sources.ofac_csv")
    outcome = update(store)
    assert outcome.status == "updated" and outcome.version == 1
    assert "if-none-match" not in server.served("SDN.CSV")[0]


def test_force_downloads_again_but_identical_files_make_no_version(sdn_store: Store, server: ListServer, tmp_path: Path) -> None:
    again = update(sdn_store, force=True, download_dir=tmp_path / "keep")
    assert again.status == "unchanged" and again.version == 1
    kept = tmp_path / "keep" / SDN
    assert sorted(p.name for p in kept.iterdir()) == sorted(OFFICIAL)  # download_dir keeps the files
    assert (kept / "ALT.CSV").read_bytes() == (server.root / "ALT.CSV").read_bytes()
    assert "if-none-match" not in server.served("SDN.CSV")[-1]
    assert len(sdn_store.versions(SDN)) == 1


def test_changed_file_lands_a_new_version_with_its_delta(sdn_store: Store, server: ListServer) -> None:
    sdn = server.root / "SDN.CSV"
    lines = sdn.read_bytes().split(b"\r\n")
    dropped = lines.pop(100)  # one party delisted
    sdn.write_bytes(b"\r\n".join(lines))
    second = update(sdn_store)
    assert second.status == "updated", second.message
    assert (second.version, second.previous, second.entity_count) == (2, 1, SDN_ROWS - 1)
    delta = sdn_store.delta(SDN, 1, 2)
    assert [e.source_id for e in delta.removed] == [dropped.split(b",", 1)[0].decode()]
    assert (second.added, second.removed) == (0, 1)
    # The unchanged files answered 304 first and were then fetched in full.
    assert len(server.served("ADD.CSV")) == 2 and len(server.served("SDN.CSV")) == 1
    assert update(sdn_store).status == "not_modified"  # validators now describe v2


def test_persistent_5xx_keeps_the_previous_version(sdn_store: Store, server: ListServer) -> None:
    server.fail["ADD.CSV"] = 99
    outcome = update(sdn_store, force=True)
    assert outcome.status == "failed" and not outcome.ok
    assert "v1 stays current" in outcome.message and "ADD.CSV" in outcome.message and "500" in outcome.message
    assert outcome.version == 1
    assert_v1_current(sdn_store)
    status = fetch_status()[SDN]
    assert status["last_error"] == outcome.message and status["last_success"] != status["last_attempt"]
    # The next good run clears the error.
    server.fail.clear()
    assert update(sdn_store).ok and fetch_status()[SDN]["last_error"] is None


def test_truncated_download_is_refused(sdn_store: Store, server: ListServer) -> None:
    server.truncate.add("SDN.CSV")
    outcome = update(sdn_store, force=True)
    assert outcome.status == "failed" and "truncated" in outcome.message
    assert_v1_current(sdn_store)


def test_csv_cut_mid_row_is_refused(sdn_store: Store, server: ListServer) -> None:
    """A complete HTTP transfer of a file the publisher cut short (partial export)."""
    sdn = server.root / "SDN.CSV"
    data = sdn.read_bytes()
    cut = data.index(b"\r\n", int(len(data) * 0.8)) + 30  # inside the row after the 80% mark
    sdn.write_bytes(data[:cut])
    outcome = update(sdn_store)
    assert outcome.status == "refused", outcome.message
    assert "v1 stays current" in outcome.message
    assert_v1_current(sdn_store)


def test_csv_cut_at_a_row_boundary_is_refused(sdn_store: Store, server: ListServer) -> None:
    """Cut exactly after a row: every row parses, only the missing Ctrl-Z line tells."""
    sdn = server.root / "SDN.CSV"
    data = sdn.read_bytes()
    sdn.write_bytes(data[: data.index(b"\r\n", int(len(data) * 0.8)) + 2])
    outcome = update(sdn_store)
    assert outcome.status == "refused" and "end-of-file marker" in outcome.message, outcome.message
    assert_v1_current(sdn_store)


def test_shrunken_list_is_refused_unless_forced(sdn_store: Store, server: ListServer) -> None:
    sdn = server.root / "SDN.CSV"
    rows = [ln for ln in sdn.read_bytes().split(b"\r\n") if ln[:1].isdigit()]
    kept = rows[: len(rows) // 10]
    sdn.write_bytes(b"\r\n".join([*kept, b"\x1a"]))
    refused = update(sdn_store)
    assert refused.status == "refused" and f"{len(kept):,} entities" in refused.message
    assert "force" in refused.message
    assert_v1_current(sdn_store)
    # A refused file leaves no validators behind: the next run downloads it again.
    assert update(sdn_store).status == "refused"
    assert "if-none-match" in server.served("SDN.CSV")[-1]  # still v1's validators
    forced = update(sdn_store, force=True)
    assert forced.status == "updated", forced.message
    assert (forced.version, forced.entity_count) == (2, len(kept))


def test_oversize_file_is_refused(sdn_store: Store, server: ListServer) -> None:
    server.huge.add("ALT.CSV")
    outcome = update(sdn_store, force=True)
    assert outcome.status == "failed" and "limit" in outcome.message
    assert_v1_current(sdn_store)


def test_a_failing_dataset_does_not_stop_the_others(sdn_store: Store, server: ListServer) -> None:
    # The UN file is not published: UN fails, SDN is still checked.
    outcomes = update_datasets(sdn_store, [UN, SDN], limits=FAST)
    assert [(o.dataset, o.status) for o in outcomes] == [(UN, "failed"), (SDN, "not_modified")]
    assert "404" in outcomes[0].message and "no version loaded" in outcomes[0].message
    assert fetch_status()[UN]["last_error"] == outcomes[0].message


def test_names_default_to_loaded_lists_and_expand_collections(server: ListServer, store: Store) -> None:
    assert resolve_names(None, store) == [SDN]  # fresh install: the OFAC SDN
    assert SDN in resolve_names(["sanctions"], store)
    assert resolve_names([SDN, "us"], store).count(SDN) == 1
    with pytest.raises(UnknownDataset, match="unknown dataset 'nope'"):
        resolve_names(["nope"], store)


def test_watch_loops_and_reports_each_outcome(sdn_store: Store, server: ListServer, tmp_path: Path) -> None:
    seen: list[UpdateOutcome] = []

    def on_outcome(outcome: UpdateOutcome) -> None:
        seen.append(outcome)
        server.fail["ALT.CSV"] = 99  # the publisher goes down after the first check

    opened: list[Store] = []

    def open_store() -> Store:
        opened.append(Store.open(str(tmp_path / "lists.db")))
        return opened[-1]

    watch(open_store, [SDN], every_seconds=0, iterations=2, on_outcome=on_outcome, limits=FAST)
    assert [o.status for o in seen] == ["not_modified", "failed"]
    assert len(opened) == 2 and "ALT.CSV" in seen[1].message
    assert_v1_current(sdn_store)


def test_un_list_update_2020_then_2026_records_the_delta(server: ListServer, store: Store) -> None:
    need_parser("tamiz.sources.un_xml")
    from tamiz.sources.un_xml import parse

    old_file = need(LISTS / "un_sc" / "consolidated_2020-03-20.xml")
    new_file = need(LISTS / "un_sc" / "consolidated_2026-02-27.xml")
    old_ids = {e.id for e in parse([old_file], UN).entities}
    new_ids = {e.id for e in parse([new_file], UN).entities}

    shutil.copyfile(old_file, server.root / "consolidated.xml")
    first = update(store, [UN])
    assert first.status == "updated" and first.entity_count == len(old_ids) == 709 + 305
    shutil.copyfile(new_file, server.root / "consolidated.xml")
    second = update(store, [UN])
    assert second.status == "updated", second.message
    assert (second.version, second.previous, second.entity_count) == (2, 1, len(new_ids))

    delta = store.delta(UN, 1, 2)
    assert {e.id for e in delta.added} == new_ids - old_ids
    assert {e.id for e in delta.removed} == old_ids - new_ids
    assert delta.added and delta.removed
    assert (second.added, second.removed) == (len(delta.added), len(delta.removed))


def test_refused_update_keeps_serving_v1_and_says_so_in_status_and_readyz(
    sdn_store: Store, server: ListServer, tmp_path: Path
) -> None:
    """The operator's view of a shrunken download: `lists update` refuses it, `lists status`
    and the API's /readyz name the failure, and the API keeps screening against v1."""
    from fastapi.testclient import TestClient
    from typer.testing import CliRunner

    from tamiz.api import ApiSettings, create_app
    from tamiz.cli.main import app

    sdn = server.root / "SDN.CSV"
    rows = [ln for ln in sdn.read_bytes().split(b"\r\n") if ln[:1].isdigit()]
    sdn.write_bytes(b"\r\n".join([*rows[:100], b"\x1a"]))
    db = str(tmp_path / "lists.db")
    runner = CliRunner()
    result = runner.invoke(app, ["lists", "update", SDN, "--db", db])
    said = " ".join(result.output.split())
    assert result.exit_code == 0, result.output  # refused, not failed: nothing is broken
    assert f"{SDN}: refused" in said and "100 entities" in said and "v1 stays current" in said
    assert f"list {SDN} v1, publication date unknown, {SDN_ROWS} entities" in said
    assert_v1_current(sdn_store)

    status = json.loads(runner.invoke(app, ["lists", "status", "--db", db, "--json"]).stdout)
    (sdn_status,) = status
    assert sdn_status["version"] == 1 and "v1 stays current" in sdn_status["fetch"]["last_error"]
    table = " ".join(runner.invoke(app, ["lists", "status", "--db", db]).output.split())
    assert "FAILED" in table and "stays current" in table

    with TestClient(create_app(ApiSettings(db_url=f"sqlite:///{db}", reload_interval=0))) as client:
        ready = client.get("/readyz")
        assert ready.status_code == 200, ready.text
        body = ready.json()
        assert [(d["name"], d["version"]) for d in body["datasets"]] == [(SDN, 1)]
        assert "v1 stays current" in body["fetch"][SDN]["last_error"]
        hits = client.post("/match/default", json={"queries": {"q": {"schema": "Person", "properties": {
            "name": ["Nemesio Oseguera Cervantes"]}}}})
        assert hits.status_code == 200, hits.text
        assert hits.json()["responses"]["q"]["results"][0]["id"] == "us_ofac_sdn:17674"
