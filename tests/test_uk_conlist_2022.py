"""UK OFSI ConList, 2022-format layout, and the 2018/2022 auto-detection.

No real 2022-format file is in ../shared (see its README), so the fixture
`tests/fixtures/uk_conlist_2022_from_2018.csv` is CONVERTED DATA: real rows of
OFSI's sanctionsconlist_2018-04-13.csv rewritten into the 2022 column layout by
`convert_2018_to_2022` below (run this file as a script to regenerate it). It
is not an OFSI publication; the 2022-only columns (non-Latin names, alias
quality, UK designation date) are empty in it except where a test fills them in
explicitly.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest

from tamiz.errors import SourceError
from tamiz.model import NameKind
from tamiz.sources import uk_conlist_2022, uk_hmt_csv
from tamiz.sources.registry import parse_files
from tests.conftest import LISTS, need

UK_2018 = LISTS / "uk_hmt_ofsi" / "sanctionsconlist_2018-04-13.csv"
FIXTURE = Path(__file__).parent / "fixtures" / "uk_conlist_2022_from_2018.csv"
NOTE = ("CONVERTED TEST FIXTURE: real rows of OFSI sanctionsconlist_2018-04-13.csv rewritten into the "
        "2022-format ConList column layout by tests/test_uk_conlist_2022.py; not an OFSI publication")
_BARE_NUMBER = re.compile(r"^(?=(?:\D*\d){3})[A-Z0-9][A-Z0-9/.-]{3,}$")
_ALIAS_2022 = {"Prime Alias": "Primary name", "AKA": "Alias"}  # FKA kept as written


def _rows_2018() -> tuple[str, list[dict[str, str]]]:
    with open(need(UK_2018), encoding="cp1252", newline="") as fh:
        rows = list(csv.reader(fh))
    return rows[0][1], [dict(zip(rows[1], r)) for r in rows[2:]]


def _pick_groups(rows: list[dict[str, str]]) -> list[str]:
    """Deterministic sample: the first 40 groups, plus groups with FKA names, non-ASCII text,
    national ids, bare passport / id numbers and entities, so every path is covered by real rows."""
    by_group: dict[str, list[dict[str, str]]] = {}
    for r in rows:
        by_group.setdefault(r["Group ID"], []).append(r)
    order = list(by_group)
    picked = order[:40]

    def add(pred, n: int) -> None:
        found = [g for g in order if g not in picked and any(pred(r) for r in by_group[g])]
        picked.extend(found[:n])

    add(lambda r: r["Alias Type"] == "FKA", 4)
    add(lambda r: any(ord(ch) > 127 for ch in "".join(r.values())), 4)
    add(lambda r: bool(r["NI Number"].strip()), 4)
    add(lambda r: bool(_BARE_NUMBER.match(r["Passport Details"].strip())), 4)
    add(lambda r: bool(_BARE_NUMBER.match(r["NI Number"].strip())), 2)
    add(lambda r: r["Group Type"] == "Entity" and bool(r["Address 1"].strip()), 4)
    return picked


def convert_2018_to_2022(rows: list[dict[str, str]], groups: list[str]) -> list[list[str]]:
    """2018 rows of the given groups in the 2022 layout. A passport / NI text that is just a
    number moves to the new "... Number" column; any other text stays in "... Details"."""
    out = []
    for r in rows:
        if r["Group ID"] not in groups:
            continue
        new = {h: "" for h in uk_conlist_2022.HEADER}
        for h in uk_hmt_csv.HEADER:
            if h in new:
                new[h] = r[h]
        new["Alias Type"] = _ALIAS_2022.get(r["Alias Type"], r["Alias Type"])
        for old, number, details in (("Passport Details", "Passport Number", "Passport Details"),
                                     ("NI Number", "National Identification Number", "National Identification Details")):
            text = r[old].strip()
            new[number], new[details] = (text, "") if _BARE_NUMBER.match(text) else ("", r[old])
        out.append([new[h] for h in uk_conlist_2022.HEADER])
    return out


def build_fixture() -> str:
    updated, rows = _rows_2018()
    buf = io.StringIO(newline="")
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(["Last Updated", updated, NOTE])
    w.writerow(uk_conlist_2022.HEADER)
    w.writerows(convert_2018_to_2022(rows, _pick_groups(rows)))
    return buf.getvalue()


@pytest.fixture(scope="module")
def parsed_2022():
    return uk_conlist_2022.parse([FIXTURE], "gb_hmt_sanctions")


@pytest.fixture(scope="module")
def parsed_2018():
    return uk_hmt_csv.parse([need(UK_2018)], "gb_hmt_sanctions")


def test_fixture_is_the_conversion_of_the_real_2018_file():
    assert FIXTURE.read_bytes().decode("utf-8") == build_fixture()
    assert NOTE in FIXTURE.read_text(encoding="utf-8").splitlines()[0]


def test_same_facts_as_the_2018_parse_of_the_same_rows(parsed_2022, parsed_2018):
    old = {e.id: e for e in parsed_2018.entities}
    assert len(parsed_2022.entities) == parsed_2022.stats["entries"] >= 60
    assert parsed_2022.published == parsed_2018.published == "2018-04-13"
    moved = 0
    for e in parsed_2022.entities:
        o = old[e.id]
        assert (e.schema, e.caption, e.names) == (o.schema, o.caption, o.names), e.id
        assert (e.birth_dates, e.birth_places, e.nationalities) == (o.birth_dates, o.birth_places, o.nationalities), e.id
        assert (e.addresses, e.programs, e.listed_on, e.remarks, e.titles, e.positions) == (
            o.addresses, o.programs, o.listed_on, o.remarks, o.titles, o.positions), e.id
        assert {(i.type, i.value) for i in e.identifiers} == {(i.type, i.value) for i in o.identifiers}, e.id
        moved += sum(1 for i in e.identifiers if i.label in ("Passport Number", "National Identification Number"))
    assert moved >= 5  # the new number columns were really exercised
    kinds = {n.kind for e in parsed_2022.entities for n in e.names}
    assert {NameKind.PRIMARY, NameKind.ALIAS, NameKind.PREVIOUS} <= kinds
    assert {e.schema for e in parsed_2022.entities} >= {"Person", "Organization"}


def test_qahtani_from_the_converted_rows(parsed_2022):
    e = {x.source_id: x for x in parsed_2022.entities}["13349"]
    assert e.caption == "Nayef Salam Muhammad Ujaym AL-HABABI"
    assert {d.start for d in e.birth_dates} == {"1980", "1981"}
    assert any(i.type == "passport" and i.value == "592667" for i in e.identifiers)


def _edited(tmp_path: Path, edit) -> Path:
    """The fixture with some 2022-only cells filled in by the test (stated, not real data)."""
    rows = list(csv.reader(io.StringIO(FIXTURE.read_text(encoding="utf-8"), newline="")))
    header = rows[1]
    for row in rows[2:]:
        edit(dict(zip(header, row)), row, header)
    path = tmp_path / "ConList.csv"
    with open(path, "w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows(rows)
    return path


def test_2022_only_columns(tmp_path):
    def edit(rec, row, header):
        if rec["Group ID"] == "13349" and (rec["Name 2"].strip(), rec["Name 6"].strip()) == ("Farooq", "AL-QAHTANI"):
            row[header.index("Alias Quality")] = "Low quality"
        if rec["Group ID"] == "13349" and rec["Alias Type"] == "Primary name":
            row[header.index("Name Non-Latin Script")] = "نايف سالم"
            row[header.index("Non-Latin Script Language")] = "Arabic"
            row[header.index("UK Sanctions List Date Designated")] = "31/12/2020"

    parsed = uk_conlist_2022.parse([_edited(tmp_path, edit)], "gb_hmt_sanctions")
    e = {x.source_id: x for x in parsed.entities}["13349"]
    weak = [n for n in e.names if n.kind == NameKind.WEAK_ALIAS]
    assert [n.full for n in weak] == ["Sheikh Farooq AL-QAHTANI"]
    assert any(n.kind == NameKind.ORIGINAL_SCRIPT and n.full == "نايف سالم" and n.lang == "Arabic" for n in e.names)
    assert e.properties["ukDesignatedOn"] == ["2020-12-31"]
    assert parsed.stats["weak_aliases"] == 1 and parsed.stats["original_script_names"] == 1


def test_registry_auto_detects_both_layouts(parsed_2022):
    via_2022 = parse_files("gb_hmt_sanctions", [FIXTURE])
    assert [e.to_dict() for e in via_2022.entities] == [e.to_dict() for e in parsed_2022.entities]
    via_2018 = parse_files("gb_hmt_sanctions", [need(UK_2018)])
    assert len(via_2018.entities) == 2106
    assert uk_conlist_2022.is_2022_layout(uk_conlist_2022.HEADER)
    assert not uk_conlist_2022.is_2022_layout(uk_hmt_csv.HEADER)


def test_errors_name_the_file(tmp_path):
    no_header = tmp_path / "a.csv"
    no_header.write_text("Last Updated,01/01/2024\nName 6,Name 1\n", encoding="utf-8")
    with pytest.raises(SourceError, match="a.csv.*2022-format column"):
        uk_conlist_2022.parse([no_header], "gb_hmt_sanctions")
    lines = FIXTURE.read_text(encoding="utf-8").splitlines()
    cut = tmp_path / "cut.csv"
    cut.write_text("\n".join(lines[:5] + [lines[5][:40]]) + "\n", encoding="utf-8")
    with pytest.raises(SourceError, match=r"cut.csv: line 6 has \d+ columns"):
        uk_conlist_2022.parse([cut], "gb_hmt_sanctions")


if __name__ == "__main__":
    FIXTURE.write_text(build_fixture(), encoding="utf-8", newline="")
    print(f"wrote {FIXTURE}")
