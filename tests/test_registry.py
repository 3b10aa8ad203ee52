"""The dataset registry: packaged entries, the TAMIZ_SOURCES override, dispatch to parsers."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

from conftest import LISTS, need
from tamiz.errors import SourceError, UnknownDataset
from tamiz.sources.registry import collections, get_spec, load_registry, parse_files


def write_override(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, data: object) -> Path:
    path = tmp_path / "sources.json"
    path.write_text(json.dumps(data) if not isinstance(data, str) else data, encoding="utf-8")
    monkeypatch.setenv("TAMIZ_SOURCES", str(path))
    return path


def test_packaged_registry_has_the_ofac_sdn_with_its_four_official_files() -> None:
    spec = get_spec("us_ofac_sdn")
    assert spec.parser == "tamiz.sources.ofac_csv:parse"
    assert [u.rsplit("/", 1)[1] for u in spec.urls] == ["SDN.CSV", "ADD.CSV", "ALT.CSV", "SDN_COMMENTS.CSV"]
    assert all(u.startswith("https://") for u in spec.urls)
    assert "sanctions" in spec.collections and spec.licence


def test_every_packaged_entry_is_complete() -> None:
    for name, spec in load_registry().items():
        assert spec.name == name and spec.title and spec.urls and ":" in spec.parser, name


def test_unknown_dataset_names_the_known_ones() -> None:
    with pytest.raises(UnknownDataset) as err:
        get_spec("us_ofac_sdm")
    assert "us_ofac_sdm" in str(err.value) and "us_ofac_sdn" in str(err.value)


def test_override_replaces_fields_and_adds_datasets(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    packaged = get_spec("us_ofac_sdn")
    write_override(
        tmp_path,
        monkeypatch,
        {
            "us_ofac_sdn": {"urls": ["http://127.0.0.1:1/SDN.CSV"]},
            "un_sc_sanctions": {
                "title": "UN SC Consolidated List",
                "parser": "tamiz.sources.un_xml:parse",
                "urls": "http://127.0.0.1:1/consolidated.xml",
                "collections": ["sanctions", "un"],
            },
        },
    )
    sdn = get_spec("us_ofac_sdn")
    assert sdn.urls == ["http://127.0.0.1:1/SDN.CSV"]
    assert sdn.title == packaged.title and sdn.parser == packaged.parser
    un = get_spec("un_sc_sanctions")
    assert un.urls == ["http://127.0.0.1:1/consolidated.xml"]
    groups = collections()
    assert "us_ofac_sdn" in groups["sanctions"] and "un_sc_sanctions" in groups["sanctions"]
    assert groups["un"] == ["un_sc_sanctions"]


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        ("{not json", "not valid JSON"),
        (["a list"], "expected an object"),
        ({"new_list": {"title": "X", "urls": ["http://127.0.0.1:1/x"]}}, "lacks parser"),
        ({"new_list": {"title": "X", "parser": "no_colon", "urls": ["u"]}}, "module:function"),
    ],
)
def test_bad_override_file_is_reported_with_its_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, content: object, problem: str
) -> None:
    path = write_override(tmp_path, monkeypatch, content)
    with pytest.raises(SourceError) as err:
        load_registry()
    assert str(path) in str(err.value) and problem in str(err.value)


def test_missing_override_file_is_reported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TAMIZ_SOURCES", str(tmp_path / "nope.json"))
    with pytest.raises(SourceError, match="nope.json"):
        load_registry()


def test_parse_files_dispatches_to_the_registered_parser(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    if importlib.util.find_spec("tamiz.sources.un_xml") is None:
        pytest.skip("UN parser tamiz.sources.un_xml not written yet")
    path = need(LISTS / "un_sc" / "consolidated_2020-03-20.xml")
    write_override(
        tmp_path,
        monkeypatch,
        {"un_test": {"title": "UN", "parser": "tamiz.sources.un_xml:parse", "urls": ["http://127.0.0.1:1/c.xml"]}},
    )
    parsed = parse_files("un_test", [path])
    assert parsed.dataset == "un_test"
    assert len(parsed.entities) == 709 + 305  # INDIVIDUAL + ENTITY records in the file
    assert all(e.id.startswith("un_test:") for e in parsed.entities)


def test_collections_select_datasets_in_screening(tmp_path: Path) -> None:
    """`sanctions`, `us` and `default` pick their loaded datasets in `tamiz screen`; a firm's
    own list belongs to `default` only; a DPL party is not found through `sanctions`."""
    from typer.testing import CliRunner

    from tamiz.cli.main import app
    from tamiz.sources import internal
    from tamiz.store import Store

    own = tmp_path / "own.csv"
    own.write_text("id,name,schema\nX-1,Cobalt Horizon Trading FZE,Company\n", encoding="utf-8")
    db = str(tmp_path / "lists.db")
    with Store.open(db) as store:
        store.load(parse_files("un_sc_sanctions", [need(LISTS / "un_sc" / "consolidated_2026-02-27.xml")]))
        dpl = parse_files("us_bis_denied", [need(LISTS / "us_bis_dpl" / "dpl.txt")])
        store.load(dpl)
        store.load(internal.parse([own], "acme_watch"))
    target = dpl.entities[0]

    def screen(name: str, *collections: str) -> dict:
        args = ["screen", name, "--db", db, "--json", "--limit", "3"]
        for c in collections:
            args += ["--dataset", c]
        result = CliRunner().invoke(app, args)
        assert result.exit_code == 0, result.output
        return json.loads(result.stdout)

    def used(data: dict) -> list[str]:
        return sorted(d["name"] for d in data["datasets"])

    assert used(screen(target.caption, "us")) == ["us_bis_denied"]
    assert used(screen(target.caption, "sanctions")) == ["un_sc_sanctions"]
    assert used(screen(target.caption, "default")) == ["acme_watch", "un_sc_sanctions", "us_bis_denied"]
    assert used(screen(target.caption, "sanctions", "acme_watch")) == ["acme_watch", "un_sc_sanctions"]
    assert screen(target.caption, "us")["results"][0]["id"] == target.id
    assert target.id not in [r["id"] for r in screen(target.caption, "sanctions")["results"]]
    unknown = CliRunner().invoke(app, ["screen", "x", "--db", db, "--dataset", "no_such_group"])
    assert unknown.exit_code == 1 and "no_such_group" in unknown.stderr
