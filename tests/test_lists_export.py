"""`tamiz lists export`: every list loadable from ../shared, the hand-built fixtures of the
formats with no real sample at hand, and a firm's own list go out of the store as FtM JSON
lines and come back through the FtM importer as identical entities."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from tamiz.cli.export import export
from tamiz.sources import ftm
from tamiz.sources.registry import parse_files
from tamiz.store import Store
from tests.conftest import LISTS, REPO, need

# The command as the lead registers it: `lists_app.command("export")(export)`.
cli = typer.Typer()
cli.command("export")(export)
cli.command("noop")(lambda: None)  # a second command keeps "export" as a sub-command name

SDN = [LISTS / "us_ofac_sdn" / n for n in ("sdn.csv", "add.csv", "alt.csv", "sdn_comments.csv")]
FIXTURES = REPO / "tests" / "fixtures"
# A firm's own list (fictional parties, as in tests/test_internal_lists.py).
INTERNAL_CSV = """id,name,schema,aliases,weak_aliases,birth_date,nationality,country,id_numbers,address,program,reason,listed_on,notes,linked_to
P-001,Aurelio Vasquez Montenegro,Person,Aurelio Vasques,El Contador,1971-03,Mexico,MX,passport:G1234567;rfc:VAMA710314AB1,"Calle Falsa 123, Monterrey, Mexico",EXITED_FOR_CAUSE,structuring,2023-05-02,Exited after SAR,C-77
C-77,Cobalt Horizon Trading FZE,Company,Cobalt Horizon General Trading,,,,ae,registration:FZE-449120,"Plot 12, Jebel Ali Free Zone",FRONT_COMPANY,named in enforcement news,2024-01,,P-001
"""
# Datasets loaded in another format than their registry's: name -> (format, files).
BY_FORMAT = {
    "us_ofac_cons_xml": ("ofac_xml", [LISTS / "us_ofac_consolidated" / "consolidated_2018-04-06.xml"]),
    "us_ofac_sdn_advanced": ("ofac_advanced_xml", [FIXTURES / "ofac_sdn_advanced_handbuilt.xml"]),
    "gb_hmt_conlist_2022": ("uk_conlist_2022", [FIXTURES / "uk_conlist_2022_from_2018.csv"]),
    "os_zala": ("ftm", [LISTS / "opensanctions" / "zala_cluster.entities.ftm.json"]),
}
DATASETS = {
    "us_ofac_cons": [LISTS / "us_ofac_consolidated" / n for n in ("cons_prim.csv", "cons_add.csv", "cons_alt.csv", "cons_comments.csv")],
    "un_sc_sanctions": [LISTS / "un_sc" / "consolidated_2026-02-27.xml"],
    "gb_hmt_sanctions": [LISTS / "uk_hmt_ofsi" / "sanctionsconlist_2018-04-13.csv"],
    "ca_dfatd_sema_sanctions": [LISTS / "ca_sema" / "sema-lmes.xml"],
    "us_bis_denied": [LISTS / "us_bis_dpl" / "dpl.txt"],
    "us_trade_csl": [LISTS / "us_csl" / "consolidated_2025_trimmed.csv"],
    "eu_fsf": [FIXTURES / "eu_fsf_handbuilt.xml"],
}
CSL_V1 = [LISTS / "us_csl" / "csl_2019_trimmed.csv"]


@pytest.fixture(scope="module")
def db(tmp_path_factory) -> str:
    for paths in [*DATASETS.values(), *(files for _, files in BY_FORMAT.values()), CSL_V1]:
        for p in paths:
            need(p)
    base = tmp_path_factory.mktemp("export")
    path = str(base / "tamiz.db")
    internal = base / "exited.csv"
    internal.write_text(INTERNAL_CSV, encoding="utf-8")
    store = Store.open(path)
    store.load(parse_files("us_trade_csl", CSL_V1))  # v1, so the export must pick the current v2
    for name, paths in DATASETS.items():
        store.load(parse_files(name, paths))
    for name, (fmt, paths) in BY_FORMAT.items():
        store.load(parse_files(name, paths, format=fmt))
    store.load(parse_files("acme_exited_customers", [internal], format="internal"))
    store.close()
    return path


def _by_id(entities) -> dict[str, dict]:
    return {e.id: e.to_dict() for e in entities}


def _round_trip(db: str, dataset: str, tmp_path: Path) -> None:
    out = tmp_path / f"{dataset}.ftm.json"
    result = CliRunner().invoke(cli, ["export", dataset, "--out", str(out), "--db", db])
    assert result.exit_code == 0, result.output
    stored = Store.open(db).entities(dataset)
    lines = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert sum(1 for d in lines if d["schema"] != "Sanction") == len(stored)
    assert f"{len(stored)} entities" in result.stderr
    back = ftm.parse([out], dataset)
    assert _by_id(back.entities) == _by_id(stored)
    assert not back.warnings


@pytest.mark.parametrize("dataset", [*DATASETS, *BY_FORMAT, "acme_exited_customers"])
def test_export_reimports_identically(db, dataset, tmp_path):
    _round_trip(db, dataset, tmp_path)


def test_export_sdn_reimports_identically(tmp_path):
    """The full SDN (8,976 parties, 3,408 links; about 10 s)."""
    db = str(tmp_path / "sdn.db")
    Store.open(db).load(parse_files("us_ofac_sdn", [need(p) for p in SDN]))
    _round_trip(db, "us_ofac_sdn", tmp_path)


def test_export_to_stdout_and_an_older_version(db, tmp_path):
    result = CliRunner().invoke(cli, ["export", "us_trade_csl", "--version", "1", "--no-links", "--db", db])
    assert result.exit_code == 0, result.output
    out = tmp_path / "csl_v1.ftm.json"
    out.write_text(result.stdout, encoding="utf-8")
    store = Store.open(db)
    v1 = store.entities("us_trade_csl", 1)
    assert v1 != store.entities("us_trade_csl")
    assert all(json.loads(line)["schema"] != "Sanction" for line in result.stdout.splitlines())
    assert _by_id(ftm.parse([out], "us_trade_csl").entities) == _by_id(v1)


def test_export_unknown_dataset_is_one_clear_error(db):
    result = CliRunner().invoke(cli, ["export", "us_ofac_sdm", "--db", db])
    assert result.exit_code == 1
    assert "dataset not loaded: us_ofac_sdm" in result.stderr and "us_ofac_cons" in result.stderr
    result = CliRunner().invoke(cli, ["export", "un_sc_sanctions", "--version", "9", "--db", db])
    assert result.exit_code == 1 and "un_sc_sanctions v9" in result.stderr
