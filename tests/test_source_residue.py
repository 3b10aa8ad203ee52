"""Unrecognised residue of every real list format, in one report.

Each parser keeps what it cannot read (an entity's `unparsed` fragments) instead of
dropping it; this test prints that residue per dataset and kind, checks each parser's
own count of it, and holds it under 1% of the facts it did read. The OFAC SDN remarks
have their own, stricter report in tests/test_ofac_remarks.py.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from tamiz.sources.base import ParsedList
from tamiz.sources.registry import parse_files
from tests.conftest import LISTS, need

# label -> (dataset, format or None for the registry's, file)
REAL_FILES: dict[str, tuple[str, str | None, Path]] = {
    "us_ofac_cons csv": ("us_ofac_cons", None, LISTS / "us_ofac_consolidated" / "cons_prim.csv"),
    "us_ofac_cons xml": ("us_ofac_cons", "ofac_xml", LISTS / "us_ofac_consolidated" / "consolidated_2018-04-06.xml"),
    "un_sc 2020": ("un_sc_sanctions", None, LISTS / "un_sc" / "consolidated_2020-03-20.xml"),
    "un_sc 2026": ("un_sc_sanctions", None, LISTS / "un_sc" / "consolidated_2026-02-27.xml"),
    "gb_hmt 2018": ("gb_hmt_sanctions", None, LISTS / "uk_hmt_ofsi" / "sanctionsconlist_2018-04-13.csv"),
    "ca_sema": ("ca_dfatd_sema_sanctions", None, LISTS / "ca_sema" / "sema-lmes.xml"),
    "us_bis_denied": ("us_bis_denied", None, LISTS / "us_bis_dpl" / "dpl.txt"),
    "us_trade_csl 2019": ("us_trade_csl", None, LISTS / "us_csl" / "csl_2019_trimmed.csv"),
    "us_trade_csl 2025": ("us_trade_csl", None, LISTS / "us_csl" / "consolidated_2025_trimmed.csv"),
}


def _parse(dataset: str, fmt: str | None, path: Path) -> ParsedList:
    need(path)
    if path.name == "cons_prim.csv":  # the OFAC CSV set is four files
        names = ("cons_prim.csv", "cons_add.csv", "cons_alt.csv", "cons_comments.csv")
        return parse_files(dataset, [need(path.with_name(n)) for n in names])
    return parse_files(dataset, [path], format=fmt)


def _kind(fragment: str) -> str:
    """'document: Passport; Tunisian passport number ...' -> 'document: Passport;'."""
    return " ".join(fragment.split()[:2])


@pytest.mark.parametrize("label", list(REAL_FILES))
def test_residue_is_counted_reported_and_small(label: str, capsys: pytest.CaptureFixture[str]) -> None:
    dataset, fmt, path = REAL_FILES[label]
    parsed = _parse(dataset, fmt, path)
    residue = Counter(_kind(f) for e in parsed.entities for f in e.unparsed)
    total = sum(residue.values())
    facts = sum(
        len(e.names) + len(e.birth_dates) + len(e.identifiers) + len(e.addresses) + len(e.nationalities)
        for e in parsed.entities
    )
    with capsys.disabled():
        kinds = ", ".join(f"{k!r}: {n}" for k, n in residue.most_common()) or "none"
        print(f"\n{label}: {len(parsed.entities)} entities, {facts} facts read, {total} unrecognised ({kinds})")
    counted = parsed.stats.get("unparsed", parsed.stats.get("unparsed_fragments"))
    assert counted == total, f"the parser's own count {counted} differs from the kept residue {total}"
    assert parsed.stats["entries"] == len(parsed.entities)
    assert facts > 0 and total <= 0.01 * facts
    # nothing is kept blank: every residue fragment says what it was
    assert all(f.strip() for e in parsed.entities for f in e.unparsed)
