"""UK HM Treasury (OFSI) Consolidated List, current "2022format" ConList.csv.

OFSI's 2022 layout keeps the 2018 one-row-per-name shape (grouped by `Group
ID`, first line `Last Updated,<date>`) and adds columns: the name in non-Latin
script with its script and language, passport and national identification
numbers split from their details, alias quality, and the UK Sanctions List
designation date. Rows are mapped onto the 2018 record shape and grouped by
`uk_hmt_csv` so both layouts give the same entity for the same facts; the
2022-only facts are then added on top.

`parse_auto` reads either layout (the `gb_hmt_sanctions` registry entry points
at it), so a mirror still serving the 2018 file keeps working.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from tamiz.errors import SourceError
from tamiz.model import Entity, Identifier, Name, NameKind
from tamiz.sources import uk_hmt_csv
from tamiz.sources.base import ParsedList, SourceFile
from tamiz.sources.countries import country_code
from tamiz.sources.dates import parse_date

HEADER = [
    "Name 6", "Name 1", "Name 2", "Name 3", "Name 4", "Name 5", "Title", "Name Non-Latin Script",
    "Non-Latin Script Type", "Non-Latin Script Language", "DOB", "Town of Birth", "Country of Birth",
    "Nationality", "Passport Number", "Passport Details", "National Identification Number",
    "National Identification Details", "Position", "Address 1", "Address 2", "Address 3", "Address 4",
    "Address 5", "Address 6", "Post/Zip Code", "Country", "Other Information", "Group Type", "Alias Type",
    "Alias Quality", "Regime", "Listed On", "UK Sanctions List Date Designated", "Last Updated", "Group ID",
]
# 2022 alias types → the 2018 words `uk_hmt_csv` understands (the 2018 words are accepted as they are).
ALIAS_TYPES = {"primary name": "Prime Alias", "alias": "AKA", "primary name variation": "AKA"}
LOW_QUALITY = {"low quality", "low"}
_MARKERS = ("Alias Quality", "Name Non-Latin Script", "Passport Number")


def is_2022_layout(header: Sequence[str]) -> bool:
    cells = {uk_hmt_csv._ws(h) for h in header}
    return all(m in cells for m in _MARKERS)


def parse_auto(paths: Sequence[Path], dataset: str) -> ParsedList:
    """Either ConList CSV layout, told apart by the header on line 2."""
    if len(paths) == 1:
        path = Path(paths[0])
        try:
            head = path.read_bytes()[:8192]
        except OSError as exc:
            raise SourceError(path, f"cannot read file: {exc.strerror or exc}") from exc
        text = head.decode("utf-8-sig", errors="replace")
        lines = list(csv.reader(io.StringIO(text, newline="")))
        if len(lines) >= 2 and is_2022_layout(lines[1]):
            return parse(paths, dataset)
    return uk_hmt_csv.parse(paths, dataset)


def parse(paths: Sequence[Path], dataset: str) -> ParsedList:
    path, rows, header = uk_hmt_csv.read_conlist(paths)
    missing = [h for h in HEADER if h not in header]
    if missing:
        raise SourceError(path, f"line 2 lacks the 2022-format column(s) {', '.join(missing[:3])}: not the OFSI 2022 ConList CSV")
    col = {h: header.index(h) for h in HEADER}
    published = parse_date(rows[0][1] if len(rows[0]) > 1 else "")
    groups = uk_hmt_csv.group_rows(path, rows[2:], col, len(header))
    stats: Counter[str] = Counter(rows=sum(len(g) for g in groups.values()))
    entities = [_group(gid, recs, dataset, stats) for gid, recs in groups.items()]
    if not entities:
        raise SourceError(path, "no rows after the header")
    stats["entries"] = len(entities)
    stats["names"] = sum(len(e.names) for e in entities)
    stats["identifiers"] = sum(len(e.identifiers) for e in entities)
    stats["unparsed"] = sum(len(e.unparsed) for e in entities)
    for key in ("addresses", "birth_dates", "weak_aliases", "original_script_names"):
        stats.setdefault(key, 0)
    return ParsedList(dataset=dataset, entities=entities, files=[SourceFile.of(path)],
                      published=published.start if published else None, stats=dict(stats))


def _as_2018(rec: dict[str, str]) -> dict[str, str]:
    """The 2018 record for a 2022 row: details go where 2018 put them; numbers are added later."""
    old = {h: rec.get(h, "") for h in uk_hmt_csv.HEADER}
    alias = uk_hmt_csv._ws(rec["Alias Type"])
    old["Alias Type"] = ALIAS_TYPES.get(alias.lower(), alias)
    old["Passport Details"] = "" if uk_hmt_csv._ws(rec["Passport Number"]) else rec["Passport Details"]
    nid, nid_details = rec["National Identification Number"], rec["National Identification Details"]
    old["NI Number"] = "" if uk_hmt_csv._ws(nid) else nid_details
    return old


def _group(gid: str, recs: list[dict[str, str]], dataset: str, stats: Counter[str]) -> Entity:
    e = uk_hmt_csv._group(gid, [_as_2018(r) for r in recs], dataset, stats)
    low = set()
    for rec in recs:
        if uk_hmt_csv._ws(rec["Alias Quality"]).lower() in LOW_QUALITY:
            full = " ".join(p for p in (" ".join(uk_hmt_csv._ws(rec[f"Name {i}"]) for i in range(1, 6)).strip(),
                                         uk_hmt_csv._ws(rec["Name 6"])) if p)
            low.add(" ".join(full.split()))
    if low:
        e.names = [Name(n.full, NameKind.WEAK_ALIAS, n.given, n.family, n.lang)
                   if n.full in low and n.kind == NameKind.ALIAS else n for n in e.names]
        stats["weak_aliases"] += sum(1 for n in e.names if n.kind == NameKind.WEAK_ALIAS)
    for rec in recs:
        script = uk_hmt_csv._ws(rec["Name Non-Latin Script"])
        if script:
            lang = uk_hmt_csv._ws(rec["Non-Latin Script Language"]) or None
            name = Name(script, NameKind.ORIGINAL_SCRIPT, lang=lang)
            if all(n.full != script for n in e.names):
                e.names.append(name)
                stats["original_script_names"] += 1
    for number_col, details_col, kind, label in (
        ("Passport Number", "Passport Details", "passport", "Passport Number"),
        ("National Identification Number", "National Identification Details", "national_id", "National Identification Number"),
    ):
        for rec in recs:
            details = uk_hmt_csv._ws(rec[details_col]) or None
            for number in uk_hmt_csv.split_items(rec[number_col]):
                ident = Identifier(type=kind, value=number, label=label, country=_country_in(details), note=details)
                if all((i.type, i.value) != (kind, number) for i in e.identifiers):
                    e.identifiers.append(ident)
    designated = sorted({d.start for d in map(parse_date, (uk_hmt_csv._ws(r["UK Sanctions List Date Designated"]) for r in recs)) if d})
    if designated:
        e.properties["ukDesignatedOn"] = designated
    return e


def _country_in(details: str | None) -> str | None:
    """Details that are only a country ("(Qatar)", "Qatari") give the issuing country."""
    if not details:
        return None
    return country_code(details.strip("() .").removeprefix("Issued by ").removeprefix("issued by "))
