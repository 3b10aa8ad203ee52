"""UK OFSI ConList CSV (2018-04-13, Windows-1252, one row per name)."""

from __future__ import annotations

import csv
import io

import pytest

from tamiz.errors import SourceError
from tamiz.model import DatePrecision, NameKind
from tamiz.sources import uk_hmt_csv
from tests.conftest import LISTS, need

UK = LISTS / "uk_hmt_ofsi" / "sanctionsconlist_2018-04-13.csv"


@pytest.fixture(scope="module")
def parsed():
    return uk_hmt_csv.parse([need(UK)], "gb_hmt_sanctions")


def _raw_rows():
    rows = list(csv.reader(io.open(UK, encoding="cp1252", newline="")))
    return [dict(zip(rows[1], r)) for r in rows[2:]]


def test_counts_reconcile(parsed):
    rows = _raw_rows()
    assert parsed.stats["rows"] == len(rows) == 9487
    groups = {r["Group ID"].strip() for r in rows}
    assert len(parsed.entities) == len(groups) == parsed.stats["entries"]
    assert parsed.published == "2018-04-13"
    names = {(r["Group ID"].strip(), " ".join(" ".join(r[f"Name {i}"] for i in (1, 2, 3, 4, 5, 6)).split()), r["Alias Type"])
             for r in rows}
    assert parsed.stats["names"] == sum(len(e.names) for e in parsed.entities) == len(names)
    assert parsed.stats["unparsed"] == sum(len(e.unparsed) for e in parsed.entities)
    with_passport = {r["Group ID"].strip() for r in rows if r["Passport Details"].strip()}
    have_ids = {e.source_id for e in parsed.entities if any(i.type == "passport" for i in e.identifiers)}
    assert len(have_ids) >= 0.95 * len(with_passport)


def test_year_only_dates_and_name_parts(parsed):
    by_id = {e.source_id: e for e in parsed.entities}
    qahtani = by_id["13349"]
    assert {(d.start, d.precision) for d in qahtani.birth_dates} == {("1980", DatePrecision.YEAR), ("1981", DatePrecision.YEAR)}
    assert qahtani.nationalities == ["sa", "qa"]
    assert qahtani.caption == "Nayef Salam Muhammad Ujaym AL-HABABI"
    assert any(n.kind == NameKind.ALIAS and n.family == "AL-QAHTANI" and n.given == "Sheikh Farooq" for n in qahtani.names)
    assert qahtani.programs == ["The ISIL (Da'esh) and Al-Qaida organisations"]
    assert qahtani.listed_on == "2016-04-01"
    assert any(i.value == "592667" and i.type == "passport" for i in qahtani.identifiers)
    kinds = {n.kind for e in parsed.entities for n in e.names}
    assert {NameKind.PRIMARY, NameKind.ALIAS, NameKind.PREVIOUS} <= kinds


def test_utf8_copy_parses_identically(tmp_path, parsed):
    copy = tmp_path / "conlist_utf8.csv"
    copy.write_bytes(need(UK).read_bytes().decode("cp1252").encode("utf-8"))
    again = uk_hmt_csv.parse([copy], "gb_hmt_sanctions")
    assert [e.to_dict() for e in again.entities] == [e.to_dict() for e in parsed.entities]


def test_garbage_and_wrong_encoding_refused(tmp_path):
    garbage = tmp_path / "garbage.csv"
    garbage.write_text("ÿ漢字 garbage ✓\n\x00\x01 more,garbage\n", encoding="utf-8")
    with pytest.raises(SourceError, match="garbage.csv"):
        uk_hmt_csv.parse([garbage], "gb_hmt_sanctions")
    undecodable = tmp_path / "bad_bytes.csv"
    undecodable.write_bytes(b"Last Updated,13/04/2018\n\x81\xff\xfe\x8d")
    with pytest.raises(SourceError, match="bad_bytes.csv.*Windows-1252"):
        uk_hmt_csv.parse([undecodable], "gb_hmt_sanctions")


def test_truncated_row_refused(tmp_path):
    data = need(UK).read_bytes()
    cut = tmp_path / "cut.csv"
    cut.write_bytes(data[: len(data) // 2].rsplit(b",", 3)[0])
    with pytest.raises(SourceError, match="cut.csv.*columns"):
        uk_hmt_csv.parse([cut], "gb_hmt_sanctions")
