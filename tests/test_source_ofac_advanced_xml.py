"""OFAC SDN_ADVANCED.XML.

NOTE: no real SDN_ADVANCED.XML was available; tests/fixtures/ofac_sdn_advanced_handbuilt.xml
is HAND-BUILT from OFAC's published schema documentation.
"""

from __future__ import annotations

import pytest
from lxml import etree

from tamiz.errors import SourceError
from tamiz.model import DatePrecision, NameKind
from tamiz.sources import ofac_advanced_xml
from tests.conftest import REPO

FIXTURE = REPO / "tests" / "fixtures" / "ofac_sdn_advanced_handbuilt.xml"


def _local(root, tag):
    return [e for e in root.iter() if isinstance(e.tag, str) and etree.QName(e).localname == tag]


def test_counts_reconcile_with_fixture_xml():
    root = etree.parse(str(FIXTURE)).getroot()
    parsed = ofac_advanced_xml.parse([FIXTURE], "us_ofac_sdn")
    assert parsed.published == "2024-05-28"
    assert len(parsed.entities) == len(_local(root, "DistinctParty"))
    assert parsed.stats["names"] == len(_local(root, "DocumentedName"))
    id_features = [f for f in _local(root, "Feature") if f.get("FeatureTypeID") in ("1", "344")]
    assert parsed.stats["identifiers"] == len(_local(root, "IDRegDocument")) + len(id_features)
    assert parsed.stats["relations"] == len(_local(root, "ProfileRelationship"))
    assert parsed.stats["unparsed"] == 0
    assert [e.id for e in parsed.entities] == [f"us_ofac_sdn:{p.get('FixedRef')}" for p in _local(root, "DistinctParty")]


def test_person_names_dates_documents():
    by_id = {e.id: e for e in ofac_advanced_xml.parse([FIXTURE], "us_ofac_sdn").entities}
    person = by_id["us_ofac_sdn:91001"]
    assert person.caption == "TESTMAN, Abdul Qadir"
    kinds = {n.full: n.kind for n in person.names}
    assert kinds["TESTMANI, Abdul"] == NameKind.ALIAS
    assert kinds["ABU TEST"] == NameKind.WEAK_ALIAS
    assert kinds["تستمان عبد القادر"] == NameKind.ORIGINAL_SCRIPT
    assert [(d.start, d.end, d.precision, d.circa) for d in person.birth_dates] == [
        ("1965-07-17", "1965-07-17", DatePrecision.DAY, False),
        ("1966", "1966", DatePrecision.YEAR, True),
        ("1960", "1962", DatePrecision.YEAR, False),
    ]
    assert person.nationalities == ["af"] and person.gender == "male" and person.titles == ["Mullah"]
    assert person.programs == ["SDGT"] and person.listed_on == "2001-09-23"
    assert {(i.type, i.value, i.country) for i in person.identifiers} >= {("passport", "OR1234567", "af"), ("national_id", "12345", "af")}
    assert person.addresses[0].city == "Kabul"
    vessel = by_id["us_ofac_sdn:91003"]
    assert vessel.schema == "Vessel" and vessel.properties["flag"] == ["pa"]
    assert ("imo", "9123456") in {(i.type, i.value) for i in vessel.identifiers}
    assert vessel.relations[0].type == "owned_by" and vessel.relations[0].target_id == "us_ofac_sdn:91002"


def test_bad_files(tmp_path):
    cut = tmp_path / "adv_cut.xml"
    data = FIXTURE.read_bytes()
    cut.write_bytes(data[: len(data) * 2 // 3])
    with pytest.raises(SourceError, match="adv_cut.xml"):
        ofac_advanced_xml.parse([cut], "us_ofac_sdn")
    bomb = tmp_path / "adv_bomb.xml"
    bomb.write_text('<!DOCTYPE Sanctions [<!ENTITY a "x"><!ENTITY b "&a;&a;&a;">]><Sanctions>&b;</Sanctions>')
    with pytest.raises(SourceError, match="adv_bomb.xml"):
        ofac_advanced_xml.parse([bomb], "us_ofac_sdn")
    other = tmp_path / "adv_other.xml"
    other.write_text("<export/>")
    with pytest.raises(SourceError, match="adv_other.xml"):
        ofac_advanced_xml.parse([other], "us_ofac_sdn")


def test_loads_us_ofac_sdn_through_registry_override(tmp_path, monkeypatch):
    """The advanced format is a variant for the us_ofac_sdn dataset, chosen by a registry override."""
    from tamiz.sources import registry

    override = tmp_path / "sources.json"
    override.write_text('{"us_ofac_sdn": {"format": "ofac_advanced_xml", "parser": "tamiz.sources.ofac_advanced_xml:parse",'
                        ' "urls": ["https://sanctionslistservice.ofac.treas.gov/api/PublicationPreview/exports/SDN_ADVANCED.XML"]}}')
    monkeypatch.setenv(registry.OVERRIDE_ENV, str(override))
    parsed = registry.parse_files("us_ofac_sdn", [FIXTURE])
    assert parsed.dataset == "us_ofac_sdn" and len(parsed.entities) == 3


def test_registry_entries_dispatch_to_my_parsers():
    from tamiz.sources import registry

    specs = registry.load_registry()
    for name in ("un_sc_sanctions", "gb_hmt_sanctions", "ca_dfatd_sema_sanctions", "us_bis_denied", "us_trade_csl", "eu_fsf", "opensanctions"):
        spec = specs[name]
        assert callable(spec.load_parser()) and spec.urls and spec.licence and spec.collections
