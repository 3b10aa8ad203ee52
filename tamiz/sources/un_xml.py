"""UN Security Council Consolidated List (`CONSOLIDATED_LIST` XML, sc-sanctions.xsd).

Ids are `<dataset>:<REFERENCE_NUMBER>` (e.g. `un_sc_sanctions:QDi.001`): the
reference number is the public, permanent identifier the Committees cite and
is unique in every release checked (2020: 1,014; 2026: 1,003); the internal
DATAID is kept in `properties["unDataId"]`.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path
from typing import Sequence

from lxml import etree

from tamiz.errors import SourceError
from tamiz.model import Address, Entity, FuzzyDate, Identifier, Name, NameKind
from tamiz.sources.base import ParsedList, SourceFile, single_path
from tamiz.sources.countries import country_code
from tamiz.sources.dates import parse_date
from tamiz.sources.idtypes import identifier_type
from tamiz.sources.xmlsafe import local, parse_xml, text

ALIAS_KINDS = {
    "good": NameKind.ALIAS,
    "a.k.a.": NameKind.ALIAS,
    "": NameKind.ALIAS,
    "low": NameKind.WEAK_ALIAS,
    "f.k.a.": NameKind.PREVIOUS,
    "n.k.a.": NameKind.NEW,
}
_NAME_PARTS = ("FIRST_NAME", "SECOND_NAME", "THIRD_NAME", "FOURTH_NAME")
# Tags read by the parser; any other child of a record is kept as residue.
_KNOWN = {
    *_NAME_PARTS, "DATAID", "VERSIONNUM", "UN_LIST_TYPE", "REFERENCE_NUMBER", "LISTED_ON", "GENDER",
    "COMMENTS1", "DESIGNATION", "TITLE", "NATIONALITY", "LIST_TYPE", "LAST_DAY_UPDATED",
    "INDIVIDUAL_ALIAS", "ENTITY_ALIAS", "INDIVIDUAL_ADDRESS", "ENTITY_ADDRESS", "INDIVIDUAL_DATE_OF_BIRTH",
    "INDIVIDUAL_PLACE_OF_BIRTH", "INDIVIDUAL_DOCUMENT", "SORT_KEY", "SORT_KEY_LAST_MOD", "NAME_ORIGINAL_SCRIPT",
    "SUBMITTED_BY", "SUBMITTED_ON",
}
_NO_VALUE = {"", "na", "n/a", "unknown"}


def parse(paths: Sequence[Path], dataset: str) -> ParsedList:
    path = single_path(paths, "the UN list is one XML file")
    root = parse_xml(path, expect_root="CONSOLIDATED_LIST")
    stats: Counter[str] = Counter()
    entities: list[Entity] = []
    seen: set[str] = set()
    warnings: list[str] = []
    for record in root.iter("INDIVIDUAL", "ENTITY"):
        entity = _record(record, dataset, stats)
        if entity.id in seen:
            warnings.append(f"duplicate REFERENCE_NUMBER {entity.source_id}: later record kept apart with DATAID suffix")
            entity.id = f"{entity.id}#{entity.properties['unDataId'][0]}"
        seen.add(entity.id)
        entities.append(entity)
    if not entities:
        raise SourceError(path, "no INDIVIDUAL or ENTITY records: wrong file?")
    generated = root.get("dateGenerated") or ""
    stats["entries"] = len(entities)
    for key in ("names", "identifiers", "addresses", "birth_dates", "unparsed"):
        stats.setdefault(key, 0)
    return ParsedList(
        dataset=dataset,
        entities=entities,
        files=[SourceFile.of(path)],
        published=generated[:10] or None,
        stats=dict(stats),
        warnings=warnings,
    )


def _record(rec: etree._Element, dataset: str, stats: Counter[str]) -> Entity:
    person = local(rec) == "INDIVIDUAL"
    stats["individuals" if person else "organizations"] += 1
    ref = text(rec.find("REFERENCE_NUMBER")) or f"DATAID-{text(rec.find('DATAID'))}"
    primary = " ".join(p for p in (text(rec.find(t)) for t in _NAME_PARTS) if p)
    e = Entity(id=f"{dataset}:{ref}", dataset=dataset, schema="Person" if person else "Organization", caption=primary)
    props: dict[str, list[str]] = {}

    def prop(key: str, value: str) -> None:
        if value and value not in props.setdefault(key, []):
            props[key].append(value)

    prop("unDataId", text(rec.find("DATAID")))
    prop("unVersion", text(rec.find("VERSIONNUM")))
    _add_name(e, Name(primary, NameKind.PRIMARY), stats)
    for el in rec.findall("NAME_ORIGINAL_SCRIPT"):
        _add_name(e, Name(text(el), NameKind.ORIGINAL_SCRIPT), stats)
    for el in rec.findall("INDIVIDUAL_ALIAS") + rec.findall("ENTITY_ALIAS"):
        alias = text(el.find("ALIAS_NAME"))
        quality = text(el.find("QUALITY")).lower()
        if not alias:
            continue
        kind = ALIAS_KINDS.get(quality)
        if kind is None:
            kind = NameKind.ALIAS
            e.unparsed.append(f"alias quality {quality!r}: {alias}")
        _add_name(e, Name(alias, kind), stats)
        note = text(el.find("NOTE"))
        if note:
            prop("notes", f"{alias}: {note}")
        dob = text(el.find("DATE_OF_BIRTH"))
        if dob:
            _add_date(e, parse_date(dob), dob, stats)
        pob = ", ".join(p for p in (text(el.find("CITY_OF_BIRTH")), text(el.find("COUNTRY_OF_BIRTH"))) if p)
        if pob and pob not in e.birth_places:
            e.birth_places.append(pob)
    prop("unListType", text(rec.find("UN_LIST_TYPE")))
    program = text(rec.find("UN_LIST_TYPE"))
    if program:
        e.programs.append(program)
    e.listed_on = parse_date(text(rec.find("LISTED_ON"))).start if parse_date(text(rec.find("LISTED_ON"))) else None
    gender = text(rec.find("GENDER")).lower()
    e.gender = gender if gender in ("male", "female") else None
    comments = rec.findtext("COMMENTS1")
    e.remarks = comments.strip() if comments and comments.strip() else None
    e.titles = _values(rec, "TITLE")
    e.positions = _values(rec, "DESIGNATION")
    for value in _values(rec, "LIST_TYPE"):
        prop("unListName", value)
    for value in _values(rec, "LAST_DAY_UPDATED"):
        prop("modifiedAt", value)
    for tag in ("SUBMITTED_BY", "SUBMITTED_ON", "SORT_KEY", "SORT_KEY_LAST_MOD"):
        for value in [text(rec.find(tag))] + _values(rec, tag):
            prop(f"un{tag.title().replace('_', '')}", value)
    for value in _values(rec, "NATIONALITY"):
        code = country_code(value) if value.lower() not in _NO_VALUE else None
        if code:
            if code not in e.nationalities:
                e.nationalities.append(code)
        elif value.lower() not in _NO_VALUE:
            e.unparsed.append(f"nationality: {value}")
    for el in rec.findall("INDIVIDUAL_DATE_OF_BIRTH"):
        _birth_date(e, el, stats)
    for el in rec.findall("INDIVIDUAL_PLACE_OF_BIRTH"):
        place = ", ".join(p for p in (text(el.find(t)) for t in ("STREET", "CITY", "STATE_PROVINCE", "COUNTRY", "NOTE")) if p)
        if place and place not in e.birth_places:
            e.birth_places.append(place)
        code = country_code(text(el.find("COUNTRY")))
        if code:
            prop("birthCountry", code)
    for el in rec.findall("INDIVIDUAL_ADDRESS") + rec.findall("ENTITY_ADDRESS"):
        _address(e, el, stats)
    for el in rec.findall("INDIVIDUAL_DOCUMENT"):
        _document(e, el, stats)
    for child in rec:
        if isinstance(child.tag, str) and child.tag not in _KNOWN:
            value = " ".join("".join(child.itertext()).split())
            if value:
                e.unparsed.append(f"{child.tag}: {value}")
    e.properties = {k: v for k, v in props.items() if v}
    stats["unparsed"] += len(e.unparsed)
    return e


def _values(rec: etree._Element, tag: str) -> list[str]:
    out: list[str] = []
    for el in rec.findall(tag):
        for v in el.findall("VALUE"):
            value = text(v)
            if value and value not in out:
                out.append(value)
    return out


def _add_name(e: Entity, name: Name, stats: Counter[str]) -> None:
    if not name.full or any(n.full == name.full and n.kind == name.kind for n in e.names):
        return
    e.names.append(name)
    stats["names"] += 1
    stats[f"names_{name.kind}"] += 1


def _add_date(e: Entity, date: FuzzyDate | None, raw: str, stats: Counter[str]) -> None:
    if date is None:
        e.unparsed.append(f"date of birth: {raw}")
        return
    if date not in e.birth_dates:
        e.birth_dates.append(date)
        stats["birth_dates"] += 1


def _birth_date(e: Entity, el: etree._Element, stats: Counter[str]) -> None:
    kind = text(el.find("TYPE_OF_DATE")).upper()
    circa = kind == "APPROXIMATELY"
    exact, year = text(el.find("DATE")), text(el.find("YEAR"))
    if re.match(r"^\d{4}-\d\d-\d\d[-+Z]", exact):  # xs:date with a zone, "1960-01-01-05:00"
        exact = exact[:10]
    lo, hi = text(el.find("FROM_YEAR")), text(el.find("TO_YEAR"))
    note = text(el.find("NOTE"))
    date: FuzzyDate | None = None
    raw = exact or year
    if lo and hi:
        raw = f"{lo} to {hi}"
        date = parse_date(raw)
        if date is not None and circa:
            date = FuzzyDate(text=f"approximately {raw}", start=date.start, end=date.end, precision=date.precision, circa=True)
    elif raw:
        parsed = parse_date(raw)
        if parsed is not None:
            date = FuzzyDate(
                text=f"approximately {raw}" if circa else raw,
                start=parsed.start, end=parsed.end, precision=parsed.precision, circa=circa,
            )
    elif note:
        # "Nov. 1973": the whole date is in the note.
        date = parse_date(note)
        if date is not None and circa:
            date = FuzzyDate(text=f"approximately {note}", start=date.start, end=date.end, precision=date.precision, circa=True)
        raw, note = note, ""
    if not raw:
        return
    _add_date(e, date, raw, stats)
    if note:
        e.properties.setdefault("birthDateNote", []).append(f"{raw}: {note}")


def _address(e: Entity, el: etree._Element, stats: Counter[str]) -> None:
    street, city = text(el.find("STREET")), text(el.find("CITY"))
    region, postal = text(el.find("STATE_PROVINCE")), text(el.find("ZIP_CODE"))
    country_name, note = text(el.find("COUNTRY")), text(el.find("NOTE"))
    if not any((street, city, region, postal, country_name, note)):
        return
    code = country_code(country_name) if country_name.lower() not in _NO_VALUE else None
    parts = ", ".join(p for p in (street, city, region, postal, country_name) if p)
    full = f"{parts} ({note})" if note and parts else (parts or note)
    address = Address(
        full=full, street=street or None, city=city or None, region=region or None,
        postal_code=postal or None, country=code, country_name=country_name or None,
    )
    if address not in e.addresses:
        e.addresses.append(address)
        stats["addresses"] += 1
    if code and code not in e.countries:
        e.countries.append(code)


def _document(e: Entity, el: etree._Element, stats: Counter[str]) -> None:
    label1, label2 = text(el.find("TYPE_OF_DOCUMENT")), text(el.find("TYPE_OF_DOCUMENT2"))
    number = text(el.find("NUMBER"))
    issuer = text(el.find("ISSUING_COUNTRY")) or text(el.find("COUNTRY_OF_ISSUE"))
    city, issued, note = text(el.find("CITY_OF_ISSUE")), text(el.find("DATE_OF_ISSUE")), text(el.find("NOTE"))
    label = " / ".join(p for p in (label1, label2) if p)
    notes = []
    if issued:
        notes.append(f"issued {issued}")
    if city:
        notes.append(f"issued in {city}")
    if text(el.find("COUNTRY_OF_ISSUE")) and text(el.find("ISSUING_COUNTRY")):
        notes.append(f"country of issue {text(el.find('COUNTRY_OF_ISSUE'))}")
    if note:
        notes.append(note)
    if not number:
        if label or notes or issuer:
            e.unparsed.append("document: " + "; ".join(p for p in (label, issuer, *notes) if p))
        return
    ident = Identifier(
        type=identifier_type(label1 or label2), value=number, label=label,
        country=country_code(issuer) if issuer else None, note="; ".join(notes) or None,
    )
    if ident not in e.identifiers:
        e.identifiers.append(ident)
        stats["identifiers"] += 1
