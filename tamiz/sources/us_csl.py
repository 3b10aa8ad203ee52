"""US Consolidated Screening List (trade.gov CSL) CSV, both layouts.

The 2019 layout has 27 columns and identifier items written "CC, value, Type";
the 2024+ layout adds an `_id` column and writes "Type, value, CC". The layout
is detected from the header. Ids are `<dataset>:<_id>` in the new layout; the
old one has no row id, so `entity_number` (the source list's own number) is
used when present, else a hash of source and name.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from collections import Counter
from pathlib import Path
from typing import Sequence

from tamiz.errors import SourceError
from tamiz.model import Address, Entity, Identifier, Name, NameKind, Relation
from tamiz.sources.base import ParsedList, SourceFile
from tamiz.sources.countries import country_code
from tamiz.sources.dates import parse_date
from tamiz.sources.idtypes import identifier_type

COLUMNS_2019 = [
    "source", "entity_number", "type", "programs", "name", "title", "addresses", "federal_register_notice",
    "start_date", "end_date", "standard_order", "license_requirement", "license_policy", "call_sign",
    "vessel_type", "gross_tonnage", "gross_registered_tonnage", "vessel_flag", "vessel_owner", "remarks",
    "source_list_url", "alt_names", "citizenships", "dates_of_birth", "nationalities", "places_of_birth",
    "source_information_url", "ids",
]
COLUMNS_2024 = ["_id", *COLUMNS_2019]
SCHEMAS = {"individual": "Person", "entity": "Organization", "vessel": "Vessel", "aircraft": "Airplane"}
_DETAIL = re.compile(r"sanction|directive|executive order|risk|prohibited|vessel|aircraft|listing|effective date|ifca|caatsa|organization", re.I)
_CC = re.compile(r"^[A-Z]{2}$")
_LINKED = re.compile(r"\(Linked To: ([^)]+)\)")
# Properties kept as they are, by FtM-ish names.
_KEEP = {
    "federal_register_notice": "federalRegisterNotice", "standard_order": "standardOrder",
    "license_requirement": "licenseRequirement", "license_policy": "licensePolicy", "vessel_type": "type",
    "gross_tonnage": "grossRegisteredTonnage", "gross_registered_tonnage": "grossRegisteredTonnage",
    "source_list_url": "sourceListUrl", "source": "cslSource",
}


def _split(value: str) -> list[str]:
    return [p.strip() for p in value.split(";") if p.strip()]


def parse(paths: Sequence[Path], dataset: str) -> ParsedList:
    entities: list[Entity] = []
    stats: Counter[str] = Counter()
    files = []
    seen: set[str] = set()
    for path in map(Path, paths):
        try:
            text = path.read_bytes().decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise SourceError(path, f"not UTF-8 text (byte {exc.start}): wrong encoding?") from exc
        except OSError as exc:
            raise SourceError(path, f"cannot read file: {exc.strerror or exc}") from exc
        rows = list(csv.reader(io.StringIO(text, newline="")))
        if not rows:
            raise SourceError(path, "file is empty")
        header = [h.strip() for h in rows[0]]
        if header == COLUMNS_2024:
            layout = 2024
        elif header == COLUMNS_2019:
            layout = 2019
        else:
            raise SourceError(path, f"header is neither the 2019 nor the 2024 CSL layout ({header[:3]}...)")
        files.append(SourceFile.of(path))
        stats[f"layout_{layout}"] += 1
        for no, row in enumerate(rows[1:], 2):
            if not any(c.strip() for c in row):
                continue
            if len(row) != len(header):
                raise SourceError(path, f"line {no} has {len(row)} columns, expected {len(header)} (truncated?)")
            rec = dict(zip(header, (c.strip() for c in row)))
            entity = _row(rec, layout, dataset, stats)
            if entity.id in seen:
                n = 2
                while f"{entity.id}-{n}" in seen:
                    n += 1
                entity.id = f"{entity.id}-{n}"
            seen.add(entity.id)
            entities.append(entity)
    stats["entries"] = stats["rows"] = len(entities)
    stats["unparsed"] = sum(len(e.unparsed) for e in entities)
    for key in ("names", "identifiers", "addresses"):
        stats.setdefault(key, 0)
    return ParsedList(dataset=dataset, entities=entities, files=files, stats=dict(stats))


def _row(rec: dict[str, str], layout: int, dataset: str, stats: Counter[str]) -> Entity:
    source_code = re.search(r"\(([A-Z]+)\)", rec["source"])
    code = source_code.group(1).lower() if source_code else "csl"
    if layout == 2024 and rec["_id"]:
        sid = rec["_id"]
    elif rec["entity_number"]:
        sid = f"{code}-{rec['entity_number']}"
    else:
        sid = f"{code}-" + hashlib.sha1(f"{rec['source']}|{rec['name']}".encode()).hexdigest()[:16]
    kind = rec["type"].lower()
    e = Entity(id=f"{dataset}:{sid}", dataset=dataset, schema=SCHEMAS.get(kind, "LegalEntity"), caption=rec["name"])
    if kind and kind not in SCHEMAS:
        e.unparsed.append(f"type: {rec['type']}")
    props: dict[str, list[str]] = {}

    def prop(key: str, value: str) -> None:
        if value and value not in props.setdefault(key, []):
            props[key].append(value)

    for full, nkind in [(rec["name"], NameKind.PRIMARY)] + [(a, NameKind.ALIAS) for a in _split(rec["alt_names"])]:
        name = Name(full, nkind)
        if full and name not in e.names:
            e.names.append(name)
            stats["names"] += 1
    e.programs = _split(rec["programs"])
    if rec["title"]:
        e.positions.append(rec["title"])
    for addr in _split(rec["addresses"]):
        parts = [p.strip() for p in addr.split(",")]
        cc = parts[-1].lower() if parts and _CC.match(parts[-1]) else None
        address = Address(full=addr, country=cc, country_name=parts[-1] if cc else None)
        if address not in e.addresses:
            e.addresses.append(address)
            stats["addresses"] += 1
            if cc and cc not in e.countries:
                e.countries.append(cc)
    for value in _split(rec["dates_of_birth"]):
        date = parse_date(value)
        if date is None:
            e.unparsed.append(f"date of birth: {value}")
        elif date not in e.birth_dates:
            e.birth_dates.append(date)
    e.birth_places = _split(rec["places_of_birth"])
    for col, target in (("nationalities", e.nationalities), ("citizenships", e.citizenships)):
        for value in _split(rec[col]):
            cc = country_code(value)
            if cc and cc not in target:
                target.append(cc)
            elif not cc:
                e.unparsed.append(f"{col}: {value}")
    for item in _split(rec["ids"]):
        _id_item(e, item, layout, prop, stats)
    if rec["call_sign"]:
        e.identifiers.append(Identifier("call_sign", rec["call_sign"], "call_sign"))
        stats["identifiers"] += 1
    if rec["vessel_flag"]:
        flag = country_code(rec["vessel_flag"])
        prop("flag", flag or rec["vessel_flag"])
    if rec["vessel_owner"]:
        e.relations.append(Relation("owned_by", rec["vessel_owner"]))
    start = parse_date(rec["start_date"])
    e.listed_on = start.start if start else None
    end = parse_date(rec["end_date"])
    if end:
        prop("endDate", end.start)
    for col, key in _KEEP.items():
        prop(key, rec[col])
    e.remarks = rec["remarks"] or None
    for target in _LINKED.findall(rec["remarks"]):
        relation = Relation("linked_to", target.strip())
        if relation not in e.relations:
            e.relations.append(relation)
    e.source_url = rec["source_information_url"] or None
    e.properties = {k: v for k, v in props.items() if v}
    return e


def _id_item(e: Entity, item: str, layout: int, prop, stats: Counter[str]) -> None:
    parts = [p.strip() for p in item.split(",")]
    country = None
    if layout == 2019:
        label = parts[-1]
        rest = parts[:-1]
        if len(rest) > 1 and _CC.match(rest[0]):
            country, rest = rest[0].lower(), rest[1:]
    else:
        label = parts[0]
        rest = parts[1:]
        if len(rest) > 1 and _CC.match(rest[-1]):
            country, rest = rest[-1].lower(), rest[:-1]
    value = ", ".join(rest).strip()
    if not value:
        e.unparsed.append(f"id: {item}")
        return
    if label.lower() == "gender":
        e.gender = value.lower() if value.lower() in ("male", "female") else e.gender
        return
    kind = identifier_type(label)
    if kind == "other" and (label.endswith((":", "-")) or _DETAIL.search(label)):
        prop("sanctionDetails", f"{label} {value}")
        return
    ident = Identifier(kind, value, label, country)
    if ident not in e.identifiers:
        e.identifiers.append(ident)
        stats["identifiers"] += 1
