"""Canada SEMA consolidated autonomous sanctions list (1,369 records)."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from tamiz.errors import SourceError
from tamiz.model import NameKind
from tamiz.sources import ca_sema_xml
from tests.conftest import LISTS, need

SEMA = LISTS / "ca_sema" / "sema-lmes.xml"


def test_counts_reconcile():
    path = need(SEMA)
    records = list(ET.parse(path).getroot())
    parsed = ca_sema_xml.parse([path], "ca_dfatd_sema_sanctions")
    assert len(parsed.entities) == len(records) == 1369
    assert len({e.id for e in parsed.entities}) == len(records)
    persons = sum(1 for r in records if r.find("LastName") is not None or r.find("GivenName") is not None)
    assert sum(e.schema == "Person" for e in parsed.entities) == persons
    dobs = sum(len((r.findtext("DateOfBirth") or "").split(" or ")) for r in records if (r.findtext("DateOfBirth") or "").strip())
    assert parsed.stats["birth_dates"] + parsed.stats["unparsed"] == dobs
    assert parsed.stats["names"] == sum(len(e.names) for e in parsed.entities)
    # one name per record plus each comma-separated alias (no alias of this file holds a comma)
    aliases = sum(len(r.findtext("Aliases").split(", ")) for r in records if (r.findtext("Aliases") or "").strip())
    assert parsed.stats["names"] == len(records) + aliases == 1369 + 156


def test_record_fields():
    parsed = ca_sema_xml.parse([need(SEMA)], "ca_dfatd_sema_sanctions")
    first = parsed.entities[0]
    assert first.id == "ca_dfatd_sema_sanctions:burma-1-1"
    assert [n.full for n in first.names] == ["Air Bagan", "Air Bagan Holdings Pte. Ltd.", "Air Bagan Limited"]
    assert first.programs == ["Burma / Birmanie"]
    person = next(e for e in parsed.entities if e.schema == "Person" and e.birth_dates)
    assert person.names[0].family and person.names[0].given
    assert any(n.kind == NameKind.WEAK_ALIAS for e in parsed.entities for n in e.names)


def test_truncated_refused(tmp_path):
    data = need(SEMA).read_bytes()
    cut = tmp_path / "sema_cut.xml"
    cut.write_bytes(data[:5000])
    with pytest.raises(SourceError, match="sema_cut.xml"):
        ca_sema_xml.parse([cut], "ca_dfatd_sema_sanctions")
