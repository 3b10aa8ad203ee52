"""FollowTheMoney import/export, OpenSanctions deltas, and the lossless round trip.

OpenSanctions data is CC BY-NC: it is read from ../shared only, never copied
into the package.
"""

from __future__ import annotations

import json

import pytest
from followthemoney import model as ftm_model

from tamiz.errors import SourceError
from tamiz.model import NameKind
from tamiz.sources import bis_dpl, ca_sema_xml, eu_fsf_xml, ftm, ofac_advanced_xml, uk_hmt_csv, un_xml, us_csl
from tests.conftest import LISTS, REPO, need

OS = LISTS / "opensanctions"
FIXTURES = REPO / "tests" / "fixtures"

PARSERS = [
    (un_xml, "un_sc_sanctions", [LISTS / "un_sc" / "consolidated_2026-02-27.xml"]),
    (un_xml, "un_sc_sanctions", [LISTS / "un_sc" / "consolidated_2020-03-20.xml"]),
    (uk_hmt_csv, "gb_hmt_sanctions", [LISTS / "uk_hmt_ofsi" / "sanctionsconlist_2018-04-13.csv"]),
    (ca_sema_xml, "ca_dfatd_sema_sanctions", [LISTS / "ca_sema" / "sema-lmes.xml"]),
    (bis_dpl, "us_bis_denied", [LISTS / "us_bis_dpl" / "dpl.txt"]),
    (us_csl, "us_trade_csl", [LISTS / "us_csl" / "csl_2019_trimmed.csv"]),
    (us_csl, "us_trade_csl", [LISTS / "us_csl" / "consolidated_2025_trimmed.csv"]),
    (eu_fsf_xml, "eu_fsf", [FIXTURES / "eu_fsf_handbuilt.xml"]),
    (ofac_advanced_xml, "us_ofac_sdn", [FIXTURES / "ofac_sdn_advanced_handbuilt.xml"]),
    (ftm, "os_zala", [OS / "zala_cluster.entities.ftm.json"]),
    (ftm, "os_eu_fsf", [OS / "t1_eu_fsf_sample.entities.ftm.json"]),
]


@pytest.mark.parametrize("module,dataset,paths", PARSERS, ids=lambda v: getattr(v, "__name__", None) or (v[0].name if isinstance(v, list) else v))
def test_round_trip_is_lossless(module, dataset, paths):
    parsed = module.parse([need(p) for p in paths], dataset)
    assert parsed.entities
    for entity in parsed.entities:
        data = json.loads(json.dumps(ftm.to_ftm(entity)))  # through real JSON text
        assert ftm.from_ftm(data, dataset) == entity, entity.id
        proxy = ftm_model.get_proxy({k: v for k, v in data.items() if k != ftm.RESIDUE_KEY})
        assert proxy.schema.name == entity.schema
        assert set(proxy.names) >= {n.full for n in entity.names if n.kind != NameKind.WEAK_ALIAS} - {""} or not entity.names


def test_export_reimport_file(tmp_path):
    parsed = un_xml.parse([need(LISTS / "un_sc" / "consolidated_2026-02-27.xml")], "un_sc_sanctions")
    out = tmp_path / "un.ftm.json"
    with open(out, "w", encoding="utf-8") as fh:
        lines = ftm.export(parsed.entities, fh)
    assert lines == len(parsed.entities) + sum(1 for e in parsed.entities if e.programs or e.listed_on)
    again = ftm.parse([out], "un_sc_sanctions")
    assert again.entities == parsed.entities
    assert again.stats["sanctions"] == lines - len(parsed.entities)


def test_import_opensanctions_cluster_folds_details():
    parsed = ftm.parse([need(OS / "zala_cluster.entities.ftm.json")], "os")
    raw = [json.loads(line) for line in open(OS / "zala_cluster.entities.ftm.json", encoding="utf-8")]
    parties = [r for r in raw if ftm_model.get(r["schema"]).is_a("LegalEntity")]
    assert len(parsed.entities) == len(parties)
    assert parsed.stats["sanctions"] == sum(r["schema"] == "Sanction" for r in raw)
    by_id = {e.id: e for e in parsed.entities}
    for sanction in (r for r in raw if r["schema"] == "Sanction"):
        props = sanction["properties"]
        for target in props.get("entity", []):
            entity = by_id.get(f"os:{target}")
            if entity is not None:
                assert set(props.get("programId") or props.get("program") or []) <= set(entity.programs)
    families = [r for r in raw if r["schema"] == "Family"]
    for fam in families:
        person = by_id.get(f"os:{fam['properties']['person'][0]}")
        if person is not None:
            assert any(rel.target_id == f"os:{fam['properties']['relative'][0]}" for rel in person.relations)
    assert parsed.stats["relations"] == sum(r["schema"] in ("Ownership", "Family", "Directorship") for r in raw)


def test_multilingual_names_marked_original_script():
    parsed = ftm.parse([need(OS / "t1_eu_fsf_sample.entities.ftm.json")], "os")
    kuz = next(e for e in parsed.entities if "KUZMENKO" in e.caption)
    assert any(n.full == "Виталий Юрьевич КУЗЬМЕНКО" and n.kind == NameKind.ORIGINAL_SCRIPT for n in kuz.names)
    assert any(i.type == "tax_id" and i.value == "366510784303" for i in kuz.identifiers)
    assert kuz.nationalities == ["ru"] and kuz.gender == "male"


def test_delta_files_apply_in_order():
    files = sorted(need(OS / "delta").glob("*.delta.json"))
    ops = [json.loads(line) for f in files for line in open(f, encoding="utf-8") if line.strip()]
    state: dict[str, dict] = {}
    for op in ops:  # independent replay of the ops, by id
        if op["op"] == "DEL":
            state.pop(op["entity"]["id"], None)
        else:
            state[op["entity"]["id"]] = op["entity"]
    parsed = ftm.parse([need(OS / "delta" / "delta.json"), *files], "os")
    expected = {f"os:{k}" for k, v in state.items() if ftm_model.get(v["schema"]).is_a("LegalEntity")}
    assert {e.id for e in parsed.entities} == expected
    assert parsed.stats["delta_add"] == sum(o["op"] == "ADD" for o in ops)
    assert parsed.stats["delta_del"] == sum(o["op"] == "DEL" for o in ops)
    versions = ftm.delta_versions(OS / "delta" / "delta.json")
    assert [v for v, _ in versions] == sorted(v for v, _ in versions) and len(versions) == 5


def test_bad_ftm_files(tmp_path):
    trunc = tmp_path / "trunc.ftm.json"
    good = need(OS / "t1_eu_fsf_sample.entities.ftm.json").read_text(encoding="utf-8")
    trunc.write_text(good[: len(good) // 2], encoding="utf-8")
    with pytest.raises(SourceError, match="trunc.ftm.json"):
        ftm.parse([trunc], "os")
    latin1 = tmp_path / "latin1.ftm.json"
    latin1.write_bytes('{"id": "x", "schema": "Person", "properties": {"name": ["José"]}}\n'.encode("latin-1"))
    with pytest.raises(SourceError, match="latin1.ftm.json.*UTF-8"):
        ftm.parse([latin1], "os")
    unknown = tmp_path / "unknown.ftm.json"
    unknown.write_text('{"id": "x", "schema": "Spaceship", "properties": {}}\n')
    with pytest.raises(SourceError, match="unknown.ftm.json.*Spaceship"):
        ftm.parse([unknown], "os")
