"""UK HM Treasury (OFSI) Consolidated List, "ConList" CSV layout.

One row per name (Prime Alias / AKA / FKA), grouped into targets by `Group ID`;
the other columns repeat per row and sometimes vary (one row per date of birth
or address), so every distinct value of a group is kept. The file starts with
a `Last Updated,<dd/mm/yyyy>` line and is Windows-1252 (UTF-8 is accepted too).
Ids are `<dataset>:<Group ID>`.
"""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from pathlib import Path
from typing import Sequence

from tamiz.errors import SourceError
from tamiz.model import Address, Entity, Identifier, Name, NameKind
from tamiz.sources.base import ParsedList, SourceFile, single_path
from tamiz.sources.countries import country_code
from tamiz.sources.dates import parse_date
from tamiz.sources.idtypes import identifier_type

HEADER = [
    "Name 6", "Name 1", "Name 2", "Name 3", "Name 4", "Name 5", "Title", "DOB", "Town of Birth",
    "Country of Birth", "Nationality", "Passport Details", "NI Number", "Position", "Address 1",
    "Address 2", "Address 3", "Address 4", "Address 5", "Address 6", "Post/Zip Code", "Country",
    "Other Information", "Group Type", "Alias Type", "Regime", "Listed On", "Last Updated", "Group ID",
]
ALIAS_KINDS = {"prime alias": NameKind.PRIMARY, "aka": NameKind.ALIAS, "fka": NameKind.PREVIOUS}
SCHEMAS = {"individual": "Person", "entity": "Organization", "ship": "Vessel"}
# "1) Saudi Arabia 2) Qatar", "(1) 2132370 (2) 812673", "a) General b)Major General"
_ENUM = re.compile(r"(?:^|\s|(?<=\)))\(?(?:\d{1,2}|[a-h])\)\s*")
_DATE_TOKEN = re.compile(r"^\d{1,2}[./-]\d{1,2}[./-]\d{2,4}$")
_NO_PREFIX = re.compile(r"^(?:no\.?|n°|nr\.?|number)", re.I)


def _decode(path: Path, data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError as exc:
        raise SourceError(path, f"neither UTF-8 nor Windows-1252 text (byte {exc.start}): wrong encoding or not the UK list") from exc


def _ws(value: str) -> str:
    return " ".join(value.split())


def split_items(value: str) -> list[str]:
    """Split the list's "1) x 2) y" enumerations into items."""
    value = _ws(value)
    if not value:
        return []
    parts = [p.strip(" ,;") for p in _ENUM.split(value)]
    return [p for p in parts if p]


def read_conlist(paths: Sequence[Path]) -> tuple[Path, list[list[str]], list[str]]:
    """(path, rows, header) of an OFSI ConList CSV, either layout: the dated first line checked."""
    path = single_path(paths, "the UK ConList is one CSV file")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise SourceError(path, f"cannot read file: {exc.strerror or exc}") from exc
    rows = list(csv.reader(io.StringIO(_decode(path, data), newline="")))
    if len(rows) < 2 or not rows[0] or _ws(rows[0][0]).lower() != "last updated":
        raise SourceError(path, "first line is not 'Last Updated,<date>': not the OFSI ConList CSV")
    return path, rows, [_ws(h) for h in rows[1]]


def parse(paths: Sequence[Path], dataset: str) -> ParsedList:
    path, rows, header = read_conlist(paths)
    if header[: len(HEADER)] != HEADER:
        raise SourceError(path, f"unexpected header on line 2 ({header[:4]}...): not the OFSI ConList CSV layout")
    published = parse_date(rows[0][1] if len(rows[0]) > 1 else "")
    groups = group_rows(path, rows[2:], {h: i for i, h in enumerate(HEADER)}, len(HEADER))
    stats: Counter[str] = Counter(rows=sum(len(g) for g in groups.values()))
    entities = [_group(gid, recs, dataset, stats) for gid, recs in groups.items()]
    if not entities:
        raise SourceError(path, "no rows after the header")
    stats["entries"] = len(entities)
    stats["unparsed"] = sum(len(e.unparsed) for e in entities)
    for key in ("names", "identifiers", "addresses", "birth_dates"):
        stats.setdefault(key, 0)
    return ParsedList(dataset=dataset, entities=entities, files=[SourceFile.of(path)],
                      published=published.start if published else None, stats=dict(stats))


def _distinct(recs: list[dict[str, str]], col: str) -> list[str]:
    out: list[str] = []
    for rec in recs:
        value = _ws(rec[col])
        if value and value not in out:
            out.append(value)
    return out


def group_rows(path: Path, rows: list[list[str]], columns: dict[str, int], width: int) -> dict[str, list[dict[str, str]]]:
    """Name rows (from line 3 on) by OFSI Group ID: one group per listed party, in file order."""
    groups: dict[str, list[dict[str, str]]] = {}
    for no, row in enumerate(rows, 3):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) < width:
            raise SourceError(path, f"line {no} has {len(row)} columns, expected {width} (truncated file?)")
        rec = {h: row[i] for h, i in columns.items()}
        gid = _ws(rec["Group ID"])
        if not gid:
            raise SourceError(path, f"line {no} has no Group ID")
        groups.setdefault(gid, []).append(rec)
    return groups


def _group(gid: str, recs: list[dict[str, str]], dataset: str, stats: Counter[str]) -> Entity:
    group_type = _ws(recs[0]["Group Type"]).lower()
    schema = SCHEMAS.get(group_type, "LegalEntity")
    names: list[Name] = []
    unparsed: list[str] = []
    for rec in recs:
        given = " ".join(_ws(rec[f"Name {i}"]) for i in range(1, 6) if _ws(rec[f"Name {i}"]))
        family = _ws(rec["Name 6"])
        full = " ".join(p for p in (given, family) if p)
        if not full:
            continue
        alias_type = _ws(rec["Alias Type"]).lower()
        kind = ALIAS_KINDS.get(alias_type, NameKind.ALIAS)
        if alias_type not in ALIAS_KINDS:
            unparsed.append(f"alias type {rec['Alias Type']!r}: {full}")
        person = schema == "Person"
        name = Name(full, kind, given=(given or None) if person else None, family=(family or None) if person else None)
        if name not in names:
            names.append(name)
            stats["names"] += 1
    primary = next((n for n in names if n.kind == NameKind.PRIMARY), names[0] if names else Name(gid))
    e = Entity(id=f"{dataset}:{gid}", dataset=dataset, schema=schema, caption=primary.full, names=names, unparsed=unparsed)
    if group_type not in SCHEMAS:
        e.unparsed.append(f"group type: {recs[0]['Group Type']}")
    for value in _distinct(recs, "DOB"):
        date = parse_date(value)
        if date is None:
            e.unparsed.append(f"DOB: {value}")
        elif date not in e.birth_dates:
            e.birth_dates.append(date)
            stats["birth_dates"] += 1
    for rec in recs:
        town, country = _ws(rec["Town of Birth"]), _ws(rec["Country of Birth"])
        place = ", ".join(p for p in (town, country) if p)
        if place and place not in e.birth_places:
            e.birth_places.append(place)
        for item in split_items(country):
            code = country_code(item.strip("()- "))
            if code and code not in e.properties.setdefault("birthCountry", []):
                e.properties["birthCountry"].append(code)
    if e.properties.get("birthCountry") == []:
        del e.properties["birthCountry"]
    for value in _distinct(recs, "Nationality"):
        for item in split_items(value):
            bare = re.sub(r"(?i)\s*\(.*|\b(?:citizenship|nationality|by birth)\b", "", item).strip()
            code = country_code(item) or country_code(bare)
            if code:
                if code not in e.nationalities:
                    e.nationalities.append(code)
            elif item.strip("()"):
                e.unparsed.append(f"nationality: {item}")
    for col, label in (("Passport Details", "Passport Details"), ("NI Number", "NI Number")):
        for value in _distinct(recs, col):
            for item in split_items(value):
                ident = _identifier(item, label, passport=col == "Passport Details")
                if ident is None:
                    e.unparsed.append(f"{label}: {item}")
                elif ident not in e.identifiers:
                    e.identifiers.append(ident)
                    stats["identifiers"] += 1
    for value in _distinct(recs, "Title"):
        e.titles.extend(t for t in split_items(value) if t not in e.titles)
    for value in _distinct(recs, "Position"):
        e.positions.extend(p for p in split_items(value) if p not in e.positions)
    for rec in recs:
        address = _address(rec)
        if address and address not in e.addresses:
            e.addresses.append(address)
            stats["addresses"] += 1
            if address.country and address.country not in e.countries:
                e.countries.append(address.country)
    e.programs = _distinct(recs, "Regime")
    listed = sorted(d.start for d in map(parse_date, _distinct(recs, "Listed On")) if d)
    e.listed_on = listed[0] if listed else None
    updated = sorted({d.start for d in map(parse_date, _distinct(recs, "Last Updated")) if d})
    if updated:
        e.properties["modifiedAt"] = updated
    other = _distinct(recs, "Other Information")
    e.remarks = "\n".join(other) or None
    return e


def _identifier(item: str, label: str, passport: bool) -> Identifier | None:
    number = None
    for token in re.split(r"[\s,;()]+|:(?!\S*\d{3})", item):
        token = _NO_PREFIX.sub("", token.strip(".:")).strip(".:")
        if sum(ch.isdigit() for ch in token) >= 3 and len(token) >= 4 and not _DATE_TOKEN.match(token):
            number = token
            break
    if number is None:
        return None
    country = None
    for candidate in re.findall(r"\(([^()]+)\)", item) + [item.split(number)[0]]:
        candidate = re.sub(r"(?i)\b(false|passport|number|no\.?|national|identity|card|id|issued.*)\b", "", candidate).strip(" .,:-")
        country = country_code(candidate) if candidate else None
        if country:
            break
    kind = "passport" if passport else identifier_type(item)
    if not passport and kind in ("other", "passport"):
        kind = "passport" if kind == "passport" else "national_id"
    return Identifier(type=kind, value=number, label=label, country=country, note=item)


def _address(rec: dict[str, str]) -> Address | None:
    lines = [_ws(rec[f"Address {i}"]) for i in range(1, 7)]
    lines = [line for line in lines if line]
    postal, country_name = _ws(rec["Post/Zip Code"]), _ws(rec["Country"])
    if not (lines or postal or country_name):
        return None
    full = ", ".join([*lines, postal, country_name] if postal else [*lines, country_name]).strip(", ")
    full = ", ".join(p for p in full.split(", ") if p)
    return Address(full=full, street=", ".join(lines) or None, postal_code=postal or None,
                   country=country_code(re.sub(r"\s*\(.*", "", country_name)) if country_name else None,
                   country_name=country_name or None)
