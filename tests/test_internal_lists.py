"""A firm's own watch lists: loaded, versioned and screened like official lists.

The parties below are fictional (invented for this test); no real person or
company is meant.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tamiz.cli.main import app
from tamiz.errors import SourceError, TamizError, UnknownDataset
from tamiz.model import DatePrecision, NameKind
from tamiz.screen.screener import Screener
from tamiz.sources import internal
from tamiz.sources.registry import formats, parse_files
from tamiz.store import Store

DATASET = "acme_exited_customers"
CSV_V1 = """id,name,schema,aliases,weak_aliases,birth_date,nationality,country,id_numbers,address,program,reason,listed_on,notes,linked_to
P-001,Aurelio Vasquez Montenegro,Person,Aurelio Vasques;A. V. Montenegro,El Contador,1971-03-14,Mexico,MX,passport:G1234567;rfc:VAMA710314AB1,"Calle Falsa 123, Monterrey, Mexico",EXITED_FOR_CAUSE,structuring,2023-05-02,Exited after SAR,C-77
C-77,Cobalt Horizon Trading FZE,Company,Cobalt Horizon General Trading,,,,ae,registration:FZE-449120,"Plot 12, Jebel Ali Free Zone, United Arab Emirates",FRONT_COMPANY,named in enforcement news,2024-01,,P-001
"""


def write(tmp_path: Path, text: str, name: str = "internal.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_parse_csv_layout(tmp_path):
    parsed = internal.parse([write(tmp_path, CSV_V1)], DATASET)
    assert [e.id for e in parsed.entities] == [f"{DATASET}:P-001", f"{DATASET}:C-77"]
    person, company = parsed.entities
    assert person.schema == "Person" and company.schema == "Company"
    assert [(n.full, n.kind) for n in person.names] == [
        ("Aurelio Vasquez Montenegro", NameKind.PRIMARY),
        ("Aurelio Vasques", NameKind.ALIAS),
        ("A. V. Montenegro", NameKind.ALIAS),
        ("El Contador", NameKind.WEAK_ALIAS),
    ]
    assert [(d.start, d.precision) for d in person.birth_dates] == [("1971-03-14", DatePrecision.DAY)]
    assert person.nationalities == ["mx"] and "mx" in person.countries
    assert {(i.type, i.value) for i in person.identifiers} == {("passport", "G1234567"), ("rfc", "VAMA710314AB1")}
    assert person.programs == ["EXITED_FOR_CAUSE"] and person.properties["reason"] == ["structuring"]
    assert person.listed_on == "2023-05-02" and person.remarks == "Exited after SAR"
    assert person.relations[0].target_id == company.id and person.relations[0].target_name == company.caption
    assert company.countries == ["ae"] and company.listed_on == "2024-01"
    assert company.addresses[0].country == "ae"
    assert parsed.stats["entries"] == 2 and parsed.stats["relations"] == 2


def test_json_and_jsonl_give_the_same_entities(tmp_path):
    from_csv = internal.parse([write(tmp_path, CSV_V1)], DATASET).entities
    records = [
        {"id": "P-001", "name": "Aurelio Vasquez Montenegro", "schema": "Person",
         "aliases": ["Aurelio Vasques", "A. V. Montenegro"], "weak_aliases": "El Contador",
         "birth_date": "1971-03-14", "nationality": "Mexico", "country": "MX",
         "id_numbers": ["passport:G1234567", "rfc:VAMA710314AB1"],
         "address": "Calle Falsa 123, Monterrey, Mexico", "program": "EXITED_FOR_CAUSE",
         "reason": "structuring", "listed_on": "2023-05-02", "notes": "Exited after SAR", "linked_to": "C-77"},
        {"id": "C-77", "name": "Cobalt Horizon Trading FZE", "schema": "Company",
         "aliases": "Cobalt Horizon General Trading", "country": "ae", "id_numbers": "registration:FZE-449120",
         "address": "Plot 12, Jebel Ali Free Zone, United Arab Emirates", "program": "FRONT_COMPANY",
         "reason": "named in enforcement news", "listed_on": "2024-01", "linked_to": ["P-001"]},
    ]
    as_json = write(tmp_path, json.dumps(records, indent=2), "list.json")
    as_jsonl = write(tmp_path, "\n".join(json.dumps(r) for r in records) + "\n", "list.jsonl")
    for path in (as_json, as_jsonl):
        assert [e.to_dict() for e in internal.parse([path], DATASET).entities] == [e.to_dict() for e in from_csv]


def test_load_screen_and_reload_with_delta(tmp_path):
    store = Store.open(f"sqlite:///{tmp_path / 'tamiz.db'}")
    v1 = store.load(parse_files(DATASET, [write(tmp_path, CSV_V1)], format="internal"))
    assert v1.created and v1.version.version == 1 and v1.version.entity_count == 2

    screener = Screener.open(store=store, load_default=False)
    person = screener.screen("Aurelio Vazquez Montenegro", schema="Person", dob="1971-03-14")
    assert person.matches and person.matches[0].id == f"{DATASET}:P-001"
    company = screener.screen("Cobalt Horizon Trading", schema="Company")
    assert company.matches and company.matches[0].id == f"{DATASET}:C-77"
    assert [s.name for s in screener.status()] == [DATASET]
    assert not screener.screen("Maria Fernanda Lopez", schema="Person").matches

    changed = CSV_V1.replace("Exited after SAR", "Exited after second SAR") + (
        "P-002,Ilse Marguerite Fontaine,Person,,,1980-11,France,,,,EXITED_FOR_CAUSE,,2025-02-01,,\n"
    )
    v2 = store.load(parse_files(DATASET, [write(tmp_path, changed, "internal_v2.csv")], format="internal"))
    assert v2.created and v2.version.version == 2
    delta = store.delta(DATASET, 1, 2)
    assert [e.id for e in delta.added] == [f"{DATASET}:P-002"]
    assert [c.new.id for c in delta.changed] == [f"{DATASET}:P-001"] and "remarks" in delta.changed[0].fields
    assert not delta.removed
    again = store.load(parse_files(DATASET, [write(tmp_path, changed, "internal_v2.csv")], format="internal"))
    assert not again.created


def test_cli_load_with_format(tmp_path):
    path = write(tmp_path, CSV_V1)
    db = str(tmp_path / "cli.db")
    result = CliRunner().invoke(app, ["lists", "load", DATASET, str(path), "--format", "internal", "--db", db, "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["entities"] == 2
    refused = CliRunner().invoke(app, ["lists", "load", "us_ofac_sdn", str(path), "--format", "internal", "--db", db])
    assert refused.exit_code == 1 and "official dataset" in refused.output
    # audited like an official list: who landed which version from which file, and each
    # screening against it names that version
    hit = CliRunner().invoke(app, ["screen", "Cobalt Horizon Trading", "--dataset", DATASET, "--db", db, "--json"])
    assert hit.exit_code == 0, hit.output
    assert json.loads(hit.stdout)["results"][0]["id"] == f"{DATASET}:C-77"
    from tamiz.audit import AuditLog

    log = AuditLog(Store.open(db).engine)
    (loaded,) = [r.payload for r in log.records(kind="list_load")]
    assert loaded["dataset"] == DATASET and loaded["version"] == 1 and loaded["entities"] == 2
    assert loaded["files"][0].startswith("internal.csv sha256:")
    screens = [r.payload for r in log.records(kind="screen")]
    assert screens and screens[-1]["list_versions"][DATASET]["version"] == 1
    assert log.verify().ok


@pytest.mark.parametrize(
    "text, problem",
    [
        ("id,aliases\nX1,Foo\n", r"line 1: missing required column 'name'"),
        ("id,name\nX1,Foo\nX1,Bar\n", r"line 3, column 'id': duplicate id 'X1' \(first used at internal.csv line 2\)"),
        ("id,name,birth_date\nX1,Foo,1971-13-45\n", r"line 2, column 'birth_date': not a date: '1971-13-45'"),
        ("id,name,birth_date\nX1,Foo,1971-01-01;soon\n", r"line 2, column 'birth_date': not a date: 'soon'"),
        ("id,name\nX1,Foo\n,Bar\n", r"line 3, column 'id': required column 'id' is empty"),
        ("id,name,nationality\nX1,Foo,Atlantis\n", r"line 2, column 'nationality': not a country: 'Atlantis'"),
        ("id,name,schema\nX1,Foo,Dragon\n", r"line 2, column 'schema': unknown schema 'Dragon'"),
        ("id,name,linked_to\nX1,Foo,X9\n", r"line 2, column 'linked_to': links to id 'X9'"),
        ("id,name,alias\nX1,Foo,Bar\n", r"line 2, column 'alias': unknown column 'alias'"),
        ("id,name,id_numbers\nX1,Foo,passport:\n", r"line 2, column 'id_numbers': 'passport:' has a type but no number"),
    ],
)
def test_errors_name_file_line_and_column(tmp_path, text, problem):
    with pytest.raises(SourceError, match=r"internal\.csv: " + problem):
        internal.parse([write(tmp_path, text)], DATASET)


def test_json_errors_name_the_line(tmp_path):
    records = '[\n  {"id": "A", "name": "Foo"},\n  {"id": "B", "name": "Bar", "birth_date": "yesterday"}\n]\n'
    with pytest.raises(SourceError, match=r"list\.json: line 3, column 'birth_date'"):
        internal.parse([write(tmp_path, records, "list.json")], DATASET)
    with pytest.raises(SourceError, match=r"list\.jsonl: line 2: not valid JSON"):
        internal.parse([write(tmp_path, '{"id": "A", "name": "Foo"}\n{"id": \n', "list.jsonl")], DATASET)


def test_dataset_names(tmp_path):
    path = write(tmp_path, CSV_V1)
    for bad in ("Acme-List", "acme list", ""):
        with pytest.raises(UnknownDataset, match="invalid internal list name"):
            internal.parse([path], bad)
    for official in ("us_ofac_sdn", "gb_hmt_sanctions"):
        with pytest.raises(UnknownDataset, match="official dataset"):
            parse_files(official, [path], format="internal")
    with pytest.raises(UnknownDataset):
        parse_files(DATASET, [path])  # without a format, an unknown name is still refused
    with pytest.raises(TamizError, match="unknown list format 'exel'"):
        parse_files(DATASET, [path], format="exel")


def test_format_map_covers_every_parser():
    known = formats()
    assert known["internal"] == internal.PARSER
    assert {"ofac_csv", "ofac_xml", "ofac_advanced_xml", "un_xml", "uk_hmt_csv", "uk_conlist_2022", "ftm",
            "ca_sema_xml", "bis_dpl", "us_csl", "eu_fsf_xml"} <= set(known)
