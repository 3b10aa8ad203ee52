"""EU Financial Sanctions Files XML.

NOTE: no real FSF file was available; tests/fixtures/eu_fsf_handbuilt.xml is
HAND-BUILT from the published schema documentation (xmlFullSanctionsList_1_1).
"""

from __future__ import annotations

import pytest
from lxml import etree

from tamiz.errors import SourceError
from tamiz.model import DatePrecision, NameKind
from tamiz.sources import eu_fsf_xml
from tests.conftest import REPO

FIXTURE = REPO / "tests" / "fixtures" / "eu_fsf_handbuilt.xml"
NS = {"f": "http://eu.europa.ec/fpi/fsd/export"}


def test_counts_reconcile_with_fixture_xml():
    root = etree.parse(str(FIXTURE)).getroot()
    parsed = eu_fsf_xml.parse([FIXTURE], "eu_fsf")
    assert len(parsed.entities) == len(root.findall("f:sanctionEntity", NS))
    assert parsed.stats["names"] == len(root.findall(".//f:nameAlias", NS))
    assert parsed.stats["identifiers"] == len(root.findall(".//f:identification", NS))
    assert parsed.stats["birth_dates"] == len(root.findall(".//f:birthdate", NS))
    assert parsed.published == root.get("generationDate")[:10]
    assert parsed.stats["unparsed"] == 0


def test_person_fields():
    person = eu_fsf_xml.parse([FIXTURE], "eu_fsf").entities[0]
    assert person.id == "eu_fsf:9001" and person.schema == "Person"
    kinds = {n.full: n.kind for n in person.names}
    assert kinds["Ahmad Yusuf Example-Testman"] == NameKind.PRIMARY
    assert kinds["Abu Testa"] == NameKind.WEAK_ALIAS
    assert kinds["Ахмад Юсуф Экзампл-Тестман"] == NameKind.ORIGINAL_SCRIPT
    dates = {(d.start, d.end, d.precision, d.circa) for d in person.birth_dates}
    assert dates == {("1971-04-28", "1971-04-28", DatePrecision.DAY, False), ("1972", "1972", DatePrecision.YEAR, True),
                     ("1969", "1970", DatePrecision.YEAR, False)}
    assert person.citizenships == ["iq", "sy"] and person.gender == "male"
    assert person.listed_on == "2015-03-12" and person.programs == ["TAQA"]
    passport = person.identifiers[0]
    assert (passport.type, passport.value, passport.country) == ("passport", "A1234567", "iq")
    assert "valid until 2020-01-04" in passport.note
    assert person.properties["unscId"] == ["QDi.999"]


def test_entity_declaration_refused(tmp_path):
    evil = tmp_path / "eu_evil.xml"
    evil.write_text('<?xml version="1.0"?><!DOCTYPE export [<!ENTITY x SYSTEM "http://127.0.0.1:1/x">]>'
                    '<export xmlns="http://eu.europa.ec/fpi/fsd/export">&x;</export>')
    with pytest.raises(SourceError, match="eu_evil.xml.*DOCTYPE"):
        eu_fsf_xml.parse([evil], "eu_fsf")


def test_truncated_refused(tmp_path):
    cut = tmp_path / "eu_cut.xml"
    data = FIXTURE.read_bytes()
    cut.write_bytes(data[: len(data) // 2])
    with pytest.raises(SourceError, match="eu_cut.xml"):
        eu_fsf_xml.parse([cut], "eu_fsf")
