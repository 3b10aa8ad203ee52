"""OFAC legacy CSV: reconciliation with the real files, spot checks, and broken inputs."""

from __future__ import annotations

import functools
from pathlib import Path

import pytest
from conftest import LISTS, need

from tamiz.errors import SourceError
from tamiz.model import NameKind
from tamiz.sources.ofac_csv import file_role, parse

SDN = ("sdn.csv", "add.csv", "alt.csv", "sdn_comments.csv")
CONS = ("cons_prim.csv", "cons_add.csv", "cons_alt.csv", "cons_comments.csv")


@functools.lru_cache(maxsize=None)
def _parsed(folder: str, names: tuple[str, ...], dataset: str):
    base = need(LISTS / folder)
    return parse([base / n for n in names], dataset)


@pytest.fixture
def sdn():
    return _parsed("us_ofac_sdn", SDN, "us_ofac_sdn")


@pytest.fixture
def cons():
    return _parsed("us_ofac_consolidated", CONS, "us_ofac_cons")


def _rows(path: Path) -> int:
    return sum(1 for line in path.read_bytes().split(b"\r\n") if line[:1].isdigit())


def test_sdn_reconciles_with_files(sdn):
    base = LISTS / "us_ofac_sdn"
    s = sdn.stats
    assert s["entries"] == len(sdn.entities) == _rows(base / "sdn.csv") == 8976
    assert s["alias_rows"] == s["aliases"] == _rows(base / "alt.csv") == 11910
    # every add.csv row is accounted for: attached, or an all "-0-" placeholder row
    assert s["address_rows"] == _rows(base / "add.csv") == 13837
    assert s["addresses"] + s["address_rows_empty"] == 13837
    assert sum(len(e.addresses) for e in sdn.entities) == s["addresses"]
    alias_names = sum(1 for e in sdn.entities for n in e.names if n.kind in (NameKind.ALIAS, NameKind.PREVIOUS, NameKind.NEW))
    assert alias_names >= 11910
    assert s["comment_rows"] == 5
    # every Linked To is resolved or reported by name
    assert s["links"] == s["resolved_links"] + s["unresolved_links"]
    assert s["resolved_links"] / s["links"] > 0.99
    assert len([w for w in sdn.warnings if "Linked To" in w]) == s["unresolved_links"]
    linked = sum(1 for e in sdn.entities for r in e.relations if r.type == "linked_to")
    assert linked == s["links"]
    assert len({e.id for e in sdn.entities}) == 8976
    assert {e.schema for e in sdn.entities} == {"Person", "Company", "Organization", "Vessel", "Airplane"}
    assert sum(e.schema == "Person" for e in sdn.entities) == 4620


def test_cons_reconciles_with_files(cons):
    s = cons.stats
    assert s["entries"] == 442
    assert s["aliases"] == s["alias_rows"] == 1073
    assert s["address_rows"] == 574 == s["addresses"] + s["address_rows_empty"]
    assert s["links"] == s["resolved_links"] + s["unresolved_links"]
    assert all(e.id.startswith("us_ofac_cons:") for e in cons.entities)


def test_spot_check_oseguera(sdn):
    e = {x.id: x for x in sdn.entities}["us_ofac_sdn:17674"]
    assert e.schema == "Person" and e.caption == "OSEGUERA CERVANTES, Nemesio"
    primary = e.names[0]
    assert (primary.kind, primary.family, primary.given) == (NameKind.PRIMARY, "OSEGUERA CERVANTES", "Nemesio")
    assert [(d.start, d.precision.value) for d in e.birth_dates] == [("1966-07-17", "day"), ("1964-07-17", "day")]
    assert e.birth_places == ["Naranjo de Chila, Aguililla, Michoacan, Mexico"]
    names = {(n.full, n.kind) for n in e.names}
    assert ("Mencho", NameKind.WEAK_ALIAS) in names
    assert ("OSEGUERA CERVANTES, Ruben", NameKind.ALIAS) in names
    assert [(r.type, r.target_name, r.target_id) for r in e.relations] == [
        ("linked_to", "CARTEL DE JALISCO NUEVA GENERACION", "us_ofac_sdn:17671")
    ]
    assert e.programs == ["SDNTK"] and e.remarks.startswith("DOB 17 Jul 1966; alt. DOB 17 Jul 1964")
    assert e.addresses == []  # its add.csv row is all "-0-"


def test_spot_check_guzman(sdn):
    e = {x.id: x for x in sdn.entities}["us_ofac_sdn:13148"]
    assert e.caption == "GUZMAN SALAZAR, Ivan Archivaldo"
    assert ("EL CHAPITO", NameKind.WEAK_ALIAS) in {(n.full, n.kind) for n in e.names}
    assert e.nationalities == ["mx"] and e.citizenships == ["mx"]
    assert e.birth_dates[0].start == "1980-10-02"


def test_spot_check_vessel_company_dates(sdn):
    ents = {x.id: x for x in sdn.entities}
    vessel = ents["us_ofac_sdn:15036"]
    assert vessel.schema == "Vessel"
    ids = {(i.type, i.value) for i in vessel.identifiers}
    assert ("imo", "9187629") in ids and ("call_sign", "T2EU4") in ids
    assert vessel.properties["flag"] == ["ir"] and "mt" in vessel.properties["pastFlags"]
    assert vessel.properties["grossRegisteredTonnage"] == ["56,068"]

    curp = ents["us_ofac_sdn:9338"]
    got = {(i.type, i.value, i.label, i.country) for i in curp.identifiers}
    assert ("curp", "AIMM67125HCHRRG06", "C.U.R.P.", "mx") in got
    assert ("rfc", "AIMM-671215-387", "R.F.C.", "mx") in got

    circa = ents["us_ofac_sdn:7782"].birth_dates[0]
    assert (circa.start, circa.circa) == ("1951", True)
    ranged = ents["us_ofac_sdn:15496"].birth_dates[0]
    assert (ranged.start, ranged.end) == ("1929", "1930")

    bank = ents["us_ofac_sdn:306"]
    assert bank.schema == "Organization" and ("BNC", NameKind.WEAK_ALIAS) in {(n.full, n.kind) for n in bank.names}
    zurich = bank.addresses[0]
    assert (zurich.street, zurich.city, zurich.postal_code, zurich.country) == ("Zweierstrasse 35", "Zurich", "CH-8022", "ch")
    assert "ch" in bank.countries
    assert ents["us_ofac_sdn:480"].schema == "Company"  # "CECOEX, S.A."


def test_entities_round_trip_through_json(sdn):
    from tamiz.model import Entity

    for e in sdn.entities[::50]:
        again = Entity.from_dict(e.to_dict())
        assert again.fingerprint() == e.fingerprint() and again == e


def test_programs_split(sdn):
    multi = [e for e in sdn.entities if len(e.programs) > 1]
    assert multi and all("]" not in p and "[" not in p for e in multi for p in e.programs)


def test_file_roles_case_insensitive():
    assert file_role(Path("SDN.CSV")) == "primary" and file_role(Path("CONS_PRIM.CSV")) == "primary"
    assert file_role(Path("SDN_COMMENTS.CSV")) == "comments" and file_role(Path("x.csv")) is None


# ---------------------------------------------------------------- broken inputs

GOOD_ROW = '36,"AEROCARIBBEAN AIRLINES",-0- ,"CUBA",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- \r\n'


def _write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def test_minimal_file_with_ctrl_z(tmp_path):
    path = _write(tmp_path, "sdn.csv", (GOOD_ROW * 1).encode() + b"\x1a")
    parsed = parse([path], "us_ofac_sdn")
    assert [e.id for e in parsed.entities] == ["us_ofac_sdn:36"]
    assert parsed.entities[0].programs == ["CUBA"]


def test_cp1252_file_is_read(tmp_path):
    row = '37,"CAF\xc9 \u201cX\u201d",-0- ,"CUBA",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- \r\n'
    path = _write(tmp_path, "sdn.csv", row.encode("cp1252"))
    assert parse([path], "d").entities[0].caption == "CAF\xc9 \u201cX\u201d"


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("sdn.csv", GOOD_ROW.encode() + b'37,"TRUNCATED",-0- \r\n', "expected 12 fields"),
        ("sdn.csv", GOOD_ROW.encode() + b'37,"BROKEN QUOTE,-0- ,"CUBA",-0- ', "broken CSV"),
        ("sdn.csv", GOOD_ROW.encode() + b'37,"CUT IN THE MIDDLE OF A QUOTE', "broken CSV"),
        ("sdn.csv", GOOD_ROW.encode("utf-16"), "UTF-16"),
        ("sdn.csv", b'<?xml version="1.0"?><sdnList></sdnList>', "XML"),
        ("sdn.csv", bytes(range(256)) * 4, "binary"),
        ("sdn.csv", b"", "empty"),
        ("sdn.csv", b"\x1a", "empty"),
        ("sdn.csv", b"ent_num,name\r\nfoo,bar\r\n", "not an OFAC entry number"),
        ("add.csv", b"36,25,-0- \r\n", "expected 6 fields"),
    ],
)
def test_broken_files_raise_source_error(tmp_path, name, data, message):
    path = _write(tmp_path, name, data)
    files = [path] if name == "sdn.csv" else [_write(tmp_path, "sdn.csv", GOOD_ROW.encode()), path]
    with pytest.raises(SourceError) as info:
        parse(files, "us_ofac_sdn")
    assert info.value.path == str(path)
    assert message in info.value.problem


def test_missing_primary_and_unknown_names(tmp_path):
    add = _write(tmp_path, "add.csv", b"36,25,-0- ,\"Havana\",\"Cuba\",-0- \r\n")
    with pytest.raises(SourceError, match="primary file"):
        parse([add], "us_ofac_sdn")
    other = _write(tmp_path, "people.csv", GOOD_ROW.encode())
    with pytest.raises(SourceError, match="not an OFAC CSV file name"):
        parse([other], "us_ofac_sdn")
