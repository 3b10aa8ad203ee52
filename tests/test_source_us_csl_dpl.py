"""US Consolidated Screening List (2019 and 2024 layouts) and BIS Denied Persons List."""

from __future__ import annotations

import csv

import pytest

from tamiz.errors import SourceError
from tamiz.sources import bis_dpl, us_csl
from tests.conftest import LISTS, need

CSL = LISTS / "us_csl"
DPL = LISTS / "us_bis_dpl" / "dpl.txt"


@pytest.mark.parametrize("name", ["csl_2019_trimmed.csv", "consolidated_2025_trimmed.csv"])
def test_csl_counts_reconcile(name):
    path = need(CSL / name)
    rows = list(csv.DictReader(open(path, encoding="utf-8", newline="")))
    parsed = us_csl.parse([path], "us_trade_csl")
    assert len(parsed.entities) == len(rows) == parsed.stats["entries"]
    assert len({e.id for e in parsed.entities}) == len(rows)
    expected_names = sum(1 + len([a for a in r["alt_names"].split(";") if a.strip()]) for r in rows)
    assert parsed.stats["names"] == expected_names
    layout = "layout_2024" if "_id" in rows[0] else "layout_2019"
    assert parsed.stats[layout] == 1
    id_items = sum(len([i for i in r["ids"].split(";") if i.strip()]) for r in rows)
    details = sum(len(e.properties.get("sanctionDetails", [])) for e in parsed.entities)
    genders = sum(1 for r in rows for i in r["ids"].split(";") if i.strip().lower().startswith("gender"))
    assert parsed.stats["identifiers"] - sum(1 for r in rows if r["call_sign"]) + details + genders == id_items
    for row, entity in zip(rows, parsed.entities):
        assert entity.caption == row["name"].strip()
        assert entity.programs == [p.strip() for p in row["programs"].split(";") if p.strip()]


def test_csl_identifier_orders():
    old = us_csl.parse([need(CSL / "csl_2019_trimmed.csv")], "us_trade_csl")
    tax = [i for e in old.entities for i in e.identifiers if i.value == "80-0890696"]
    assert tax and tax[0].country == "us" and tax[0].label == "Tax ID No." and tax[0].type == "tax_id"
    new = us_csl.parse([need(CSL / "consolidated_2025_trimmed.csv")], "us_trade_csl")
    passport = [i for e in new.entities for i in e.identifiers if i.value == "836238033"]
    assert passport and passport[0].country == "kp" and passport[0].type == "passport"
    assert any(e.gender == "male" for e in new.entities)
    assert any(r.type == "linked_to" and r.target_name == "ROSTEC" for e in old.entities for r in e.relations)


def test_csl_wrong_header(tmp_path):
    bad = tmp_path / "other.csv"
    bad.write_text("a,b,c\n1,2,3\n")
    with pytest.raises(SourceError, match="other.csv"):
        us_csl.parse([bad], "us_trade_csl")


def test_dpl_groups_rows_and_tolerates_typo_dates():
    path = need(DPL)
    rows = list(csv.DictReader(open(path, encoding="utf-8", newline=""), delimiter="\t"))
    parsed = bis_dpl.parse([path], "us_bis_denied")
    assert parsed.stats["rows"] == len(rows) == 581
    assert len(parsed.entities) == len({" ".join(r["Name"].split()) for r in rows}) == parsed.stats["entries"]
    assert len({e.id for e in parsed.entities}) == len(parsed.entities)
    typos = {r["Last_Update"] for r in rows} & {"2922-09-01", "3017-08-22"}
    assert typos == {"2922-09-01", "3017-08-22"}
    flagged = [u for e in parsed.entities for u in e.unparsed if "Last_Update implausible" in u]
    assert any("2922-09-01" in u for u in flagged) and any("3017-08-22" in u for u in flagged)
    assert all("2922" not in d and "3017" not in d for e in parsed.entities for d in e.properties.get("modifiedAt", []))
    villa = next(e for e in parsed.entities if e.caption == "AARON ABRAHAM VILLA")
    assert villa.listed_on == "2022-08-24" and villa.addresses[0].city == "EL PASO"


def test_dpl_wrong_format(tmp_path):
    bad = tmp_path / "dpl.txt"
    bad.write_text("Name,Street\nx,y\n")
    with pytest.raises(SourceError, match="dpl.txt"):
        bis_dpl.parse([bad], "us_bis_denied")


def test_dpl_other_names_in_the_name_column_become_aliases():
    parsed = bis_dpl.parse([need(DPL)], "us_bis_denied")
    by_caption = {e.caption: e for e in parsed.entities}

    def names(caption: str) -> list[tuple[str, str]]:
        return [(n.full, n.kind.value) for n in by_caption[caption].names]

    assert names("FUYI SUN A/K/A FRANK SUN") == [("FUYI SUN", "primary"), ("FRANK SUN", "alias")]
    assert names("SIBERIAN AIRLINES D/B/A S7 AIRLINES") == [("SIBERIAN AIRLINES", "primary"), ("S7 AIRLINES", "alias")]
    assert names("PEARL (A.K.A. NEI-CHIEN CHU) LI") == [("PEARL LI", "primary"), ("NEI-CHIEN CHU", "alias")]
    assert names("SAMMY (IHSAN MEDHAT) ELASHI") == [("SAMMY ELASHI", "primary"), ("IHSAN MEDHAT ELASHI", "alias")]
    assert names("APPLIED SYSTEMS METHODS AND TECHNOLOGY (ASMAT)")[1] == ("ASMAT", "alias")
    assert names("ADT ANALOG AND DIGITAL TECHNIK") == [("ADT ANALOG AND DIGITAL TECHNIK", "primary")]
    assert by_caption["FUYI SUN A/K/A FRANK SUN"].id == "us_bis_denied:fuyi-sun-a-k-a-frank-sun"  # ids stay put
    # every name column is one primary name; the extra names are counted
    rows = list(csv.DictReader(open(DPL, encoding="utf-8", newline=""), delimiter="\t"))
    marked = {" ".join(r["Name"].split()) for r in rows if "(" in r["Name"] or "/" in r["Name"]}
    extra = sum(len(e.names) - 1 for e in parsed.entities)
    assert extra == len(marked) == 9
    assert parsed.stats["names"] == len(parsed.entities) + extra
    assert all(sum(n.kind.value == "primary" for n in e.names) == 1 for e in parsed.entities)
