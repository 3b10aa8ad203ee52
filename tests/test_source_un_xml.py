"""UN Security Council consolidated list: real 2020 and 2026 releases."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tamiz.errors import SourceError
from tamiz.model import DatePrecision, NameKind
from tamiz.sources import un_xml
from tests.conftest import LISTS, need

UN = LISTS / "un_sc"
FILES = ["consolidated_2026-02-27.xml", "consolidated_2020-03-20.xml"]


def _ws(s: str | None) -> str:
    return " ".join((s or "").split())


def _raw(path: Path) -> list[ET.Element]:
    root = ET.parse(path).getroot()
    return [e for e in root.iter() if e.tag in ("INDIVIDUAL", "ENTITY")]


@pytest.fixture(scope="module", params=FILES)
def parsed(request):
    path = need(UN / request.param)
    return path, un_xml.parse([path], "un_sc_sanctions")


def test_counts_reconcile_with_raw_xml(parsed):
    path, result = parsed
    records = _raw(path)
    assert len(result.entities) == len(records) == result.stats["entries"]
    assert result.stats["individuals"] == sum(r.tag == "INDIVIDUAL" for r in records)
    by_id = {e.source_id: e for e in result.entities}
    names = idents = 0
    for rec in records:
        ref = _ws(rec.findtext("REFERENCE_NUMBER"))
        entity = by_id[ref]
        aliases = {(_ws(a.findtext("ALIAS_NAME")), _ws(a.findtext("QUALITY"))) for a in rec if a.tag.endswith("_ALIAS")}
        aliases = {a for a in aliases if a[0]}
        originals = {_ws(o.text) for o in rec.findall("NAME_ORIGINAL_SCRIPT") if _ws(o.text)}
        expected = 1 + len(aliases) + len(originals)
        assert len(entity.names) == expected, ref
        names += expected
        docs = [d for d in rec.findall("INDIVIDUAL_DOCUMENT") if _ws(d.findtext("NUMBER"))]
        assert len(entity.identifiers) == len(docs), ref
        idents += len(docs)
        assert entity.properties["unDataId"] == [_ws(rec.findtext("DATAID"))]
    assert result.stats["names"] == names
    assert result.stats["identifiers"] == idents
    assert result.stats["unparsed"] == sum(len(e.unparsed) for e in result.entities)
    assert result.published == path.name.split("_")[1][:10]


def test_alias_quality_and_scripts(parsed):
    path, result = parsed
    kinds = {n.kind for e in result.entities for n in e.names}
    assert {NameKind.PRIMARY, NameKind.ALIAS, NameKind.WEAK_ALIAS, NameKind.ORIGINAL_SCRIPT, NameKind.PREVIOUS} <= kinds
    low = sum(1 for r in _raw(path) for a in r.findall("INDIVIDUAL_ALIAS")
              if _ws(a.findtext("QUALITY")) == "Low" and _ws(a.findtext("ALIAS_NAME")))
    weak = sum(1 for e in result.entities for n in e.names if n.kind == NameKind.WEAK_ALIAS)
    assert weak <= low and weak > 0.95 * low  # a few duplicates collapse


def test_dates_of_birth_precision(parsed):
    path, result = parsed
    dates = [d for e in result.entities for d in e.birth_dates]
    ranges = [d for d in dates if d.start != d.end]
    raw_between = sum(1 for r in _raw(path) for d in r.findall("INDIVIDUAL_DATE_OF_BIRTH")
                      if _ws(d.findtext("TYPE_OF_DATE")) == "BETWEEN")
    assert len(ranges) >= raw_between - 2
    assert all(d.precision == DatePrecision.YEAR for d in ranges)
    assert any(d.circa for d in dates)
    assert {DatePrecision.DAY, DatePrecision.YEAR, DatePrecision.MONTH} <= {d.precision for d in dates}


def test_known_record_fields():
    path = need(UN / FILES[0])
    by_id = {e.id: e for e in un_xml.parse([path], "un_sc_sanctions").entities}
    eric = by_id["un_sc_sanctions:CDi.001"]
    assert eric.caption == "ERIC BADEGE"
    assert eric.schema == "Person" and eric.gender == "male"
    assert eric.nationalities == ["cd"] and eric.programs == ["DRC"]
    assert eric.listed_on == "2012-12-31"
    assert [(d.start, d.precision) for d in eric.birth_dates] == [("1971", DatePrecision.YEAR)]
    assert eric.addresses[0].country == "rw"
    assert eric.remarks.startswith("He fled to Rwanda")
    gaston = by_id["un_sc_sanctions:CDi.003"]
    assert "FDLR Interim President" in gaston.positions
    assert any(n.full == "Rumuli" and n.kind == NameKind.WEAK_ALIAS for n in gaston.names)
    assert "Musanze District, Northern Province, Rwanda" in gaston.birth_places


def test_diff_between_releases_matches_raw_xml():
    old_path, new_path = need(UN / FILES[1]), need(UN / FILES[0])
    old = {e.source_id for e in un_xml.parse([old_path], "un_sc_sanctions").entities}
    new = {e.source_id for e in un_xml.parse([new_path], "un_sc_sanctions").entities}
    raw_old = {_ws(r.findtext("REFERENCE_NUMBER")) for r in _raw(old_path)}
    raw_new = {_ws(r.findtext("REFERENCE_NUMBER")) for r in _raw(new_path)}
    assert new - old == raw_new - raw_old
    assert old - new == raw_old - raw_new
    assert new - old and old - new


def test_truncated_file_is_refused(tmp_path):
    data = need(UN / FILES[0]).read_bytes()
    cut = tmp_path / "un_half.xml"
    cut.write_bytes(data[: len(data) // 2])
    with pytest.raises(SourceError) as err:
        un_xml.parse([cut], "un_sc_sanctions")
    assert "un_half.xml" in str(err.value)


def test_entity_declarations_are_refused(tmp_path):
    bomb = tmp_path / "bomb.xml"
    bomb.write_text(
        '<?xml version="1.0"?>\n<!DOCTYPE CONSOLIDATED_LIST [<!ENTITY a "aaaaaaaaaa">'
        '<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>\n'
        "<CONSOLIDATED_LIST><INDIVIDUALS><INDIVIDUAL><FIRST_NAME>&b;</FIRST_NAME>"
        "<REFERENCE_NUMBER>X.1</REFERENCE_NUMBER></INDIVIDUAL></INDIVIDUALS></CONSOLIDATED_LIST>"
    )
    with pytest.raises(SourceError, match="bomb.xml.*DOCTYPE"):
        un_xml.parse([bomb], "un_sc_sanctions")
    xxe = tmp_path / "xxe.xml"
    xxe.write_text('<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><CONSOLIDATED_LIST>&x;</CONSOLIDATED_LIST>')
    with pytest.raises(SourceError, match="xxe.xml"):
        un_xml.parse([xxe], "un_sc_sanctions")


def test_wrong_format_is_refused(tmp_path):
    other = tmp_path / "other.xml"
    other.write_text("<sdnList><sdnEntry/></sdnList>")
    with pytest.raises(SourceError, match="other.xml.*sdnList"):
        un_xml.parse([other], "un_sc_sanctions")
