"""EU Financial Sanctions Files (FSF), XML export `xmlFullSanctionsList_1_1`.

Root `export` (namespace http://eu.europa.ec/fpi/fsd/export, `generationDate`),
one `sanctionEntity` per party with `nameAlias`, `citizenship`, `birthdate`,
`identification`, `address`, `regulation` and `remark` children. Ids are
`<dataset>:<logicalId>` (the FSF's own stable id); the EU reference number and
UN id are kept in `properties`. `strong="false"` aliases are weak aliases;
aliases with a `nameLanguage` in a non-Latin script are original-script names.

Only a hand-built fixture (from the schema documentation) was available to
test this parser: no real FSF file was small enough to obtain.
"""

from __future__ import annotations

import unicodedata
from collections import Counter
from pathlib import Path
from typing import Sequence

from tamiz.errors import SourceError
from tamiz.model import Address, Entity, FuzzyDate, Identifier, Name, NameKind
from tamiz.sources.base import ParsedList, SourceFile, single_path
from tamiz.sources.countries import country_code
from tamiz.sources.dates import parse_date
from tamiz.sources.idtypes import identifier_type
from tamiz.sources.xmlsafe import local, parse_xml

SCHEMAS = {"person": "Person", "enterprise": "Organization", "vessel": "Vessel", "aircraft": "Airplane"}
_KNOWN = {"remark", "regulation", "subjectType", "nameAlias", "citizenship", "birthdate", "identification", "address"}
_ID_TYPES = {"passport": "passport", "id": "national_id", "regnumber": "registration", "fiscalcode": "tax_id",
             "swiftbic": "swift_bic", "imo": "imo", "ssn": "ssn", "other": "other"}


def _latin(value: str) -> bool:
    return all(not ch.isalpha() or unicodedata.name(ch, "").startswith("LATIN") for ch in value)


def _code(attrs: dict[str, str]) -> str | None:
    iso = (attrs.get("countryIso2Code") or "").strip()
    if iso and iso != "00":
        return iso.lower()
    desc = (attrs.get("countryDescription") or "").strip()
    return country_code(desc) if desc and desc.upper() != "UNKNOWN" else None


def parse(paths: Sequence[Path], dataset: str) -> ParsedList:
    path = single_path(paths, "the EU FSF list is one XML file")
    root = parse_xml(path, expect_root="export")
    stats: Counter[str] = Counter()
    entities = [_entity(el, dataset, stats) for el in root if isinstance(el.tag, str) and local(el) == "sanctionEntity"]
    if not entities:
        raise SourceError(path, "no sanctionEntity elements: wrong file?")
    stats["entries"] = len(entities)
    stats["unparsed"] = sum(len(e.unparsed) for e in entities)
    for key in ("names", "identifiers", "addresses", "birth_dates"):
        stats.setdefault(key, 0)
    generated = parse_date((root.get("generationDate") or "")[:10])
    return ParsedList(dataset=dataset, entities=entities, files=[SourceFile.of(path)],
                      published=generated.start if generated else None, stats=dict(stats))


def _entity(el, dataset: str, stats: Counter[str]) -> Entity:
    sid = el.get("logicalId") or el.get("euReferenceNumber") or ""
    children = [c for c in el if isinstance(c.tag, str)]
    subject = next((c for c in children if local(c) == "subjectType"), None)
    code = (subject.get("code") if subject is not None else "") or ""
    e = Entity(id=f"{dataset}:{sid}", dataset=dataset, schema=SCHEMAS.get(code, "LegalEntity"), caption="")
    if code not in SCHEMAS:
        e.unparsed.append(f"subjectType: {code}")
    props: dict[str, list[str]] = {}

    def prop(key: str, value: str | None) -> None:
        if value and value not in props.setdefault(key, []):
            props[key].append(value)

    prop("euReferenceNumber", el.get("euReferenceNumber"))
    prop("unscId", el.get("unitedNationId"))
    prop("designationDetails", el.get("designationDetails"))
    remarks: list[str] = []
    listed: list[str] = []
    for child in children:
        tag = local(child)
        a = {k: (v or "").strip() for k, v in child.attrib.items()}
        if tag == "remark":
            if child.text and child.text.strip():
                remarks.append(child.text.strip())
        elif tag == "regulation":
            if a.get("programme") and a["programme"] not in e.programs:
                e.programs.append(a["programme"])
            if a.get("publicationDate"):
                listed.append(a["publicationDate"][:10])
            prop("regulation", a.get("numberTitle"))
        elif tag == "nameAlias":
            _name(e, a, stats)
        elif tag == "citizenship":
            cc = _code(a)
            if cc and cc not in e.citizenships:
                e.citizenships.append(cc)
            elif not cc:
                e.unparsed.append(f"citizenship: {a.get('countryDescription', '')}")
        elif tag == "birthdate":
            _birth(e, a, stats)
        elif tag == "identification":
            note = "; ".join(p for p in (
                f"issued {a['issuedDate']}" if a.get("issuedDate") else "",
                f"issued by {a['issuedBy']}" if a.get("issuedBy") else "",
                f"valid until {a['validTo']}" if a.get("validTo") else "",
                "diplomatic" if a.get("diplomatic") == "true" else "",
                "known false" if a.get("knownFalse") == "true" else "",
                "known expired" if a.get("knownExpired") == "true" else "",
                "reported lost" if a.get("reportedLost") == "true" else "",
                "revoked by issuer" if a.get("revokedByIssuer") == "true" else "",
                f"name on document: {a['nameOnDocument']}" if a.get("nameOnDocument") else "",
                *[(r.text or "").strip() for r in child if isinstance(r.tag, str) and local(r) == "remark"],
            ) if p)
            number = a.get("number") or a.get("latinNumber")
            if not number:
                e.unparsed.append(f"identification without number: {a.get('identificationTypeDescription', '')}")
                continue
            label = a.get("identificationTypeDescription") or a.get("identificationTypeCode", "")
            kind = _ID_TYPES.get(a.get("identificationTypeCode", "").lower()) or identifier_type(label)
            ident = Identifier(kind, number, label, _code(a), note or None)
            if ident not in e.identifiers:
                e.identifiers.append(ident)
                stats["identifiers"] += 1
        elif tag == "address":
            parts = [a.get(k, "") for k in ("street", "poBox", "zipCode", "city", "place", "region", "countryDescription")]
            full = ", ".join(p for p in parts if p and p != "UNKNOWN")
            if a.get("contactInfo"):
                full = f"{full} ({a['contactInfo']})" if full else a["contactInfo"]
            if not full:
                continue
            cc = _code(a)
            address = Address(full=full, street=a.get("street") or None, city=a.get("city") or None,
                              region=a.get("region") or None, postal_code=a.get("zipCode") or None, country=cc,
                              country_name=a.get("countryDescription") or None)
            if address not in e.addresses:
                e.addresses.append(address)
                stats["addresses"] += 1
            if cc and cc not in e.countries:
                e.countries.append(cc)
        elif tag not in _KNOWN:
            e.unparsed.append(f"{tag}: {' '.join(''.join(child.itertext()).split())}")
    e.caption = next((n.full for n in e.names if n.kind == NameKind.PRIMARY), e.names[0].full if e.names else sid)
    e.listed_on = min(listed) if listed else None
    e.remarks = "\n".join(remarks) or None
    e.properties = {k: v for k, v in props.items() if v}
    return e


def _name(e: Entity, a: dict[str, str], stats: Counter[str]) -> None:
    whole = " ".join((a.get("wholeName") or " ".join(a.get(k, "") for k in ("firstName", "middleName", "lastName"))).split())
    if not whole:
        return
    lang = (a.get("nameLanguage") or "").lower() or None
    if not _latin(whole):
        kind = NameKind.ORIGINAL_SCRIPT
    elif a.get("strong") == "false":
        kind = NameKind.WEAK_ALIAS
    elif not any(n.kind == NameKind.PRIMARY for n in e.names):
        kind = NameKind.PRIMARY
    else:
        kind = NameKind.ALIAS
    given = " ".join(p for p in (a.get("firstName"), a.get("middleName")) if p) or None
    name = Name(whole, kind, given=given, family=a.get("lastName") or None, lang=lang)
    if name not in e.names:
        e.names.append(name)
        stats["names"] += 1
    if a.get("title") and a["title"] not in e.titles:
        e.titles.append(a["title"])
    if a.get("function") and a["function"] not in e.positions:
        e.positions.append(a["function"])
    gender = {"M": "male", "F": "female"}.get(a.get("gender", ""))
    if gender:
        e.gender = gender


def _birth(e: Entity, a: dict[str, str], stats: Counter[str]) -> None:
    circa = a.get("circa") == "true"
    date: FuzzyDate | None = None
    if a.get("birthdate"):
        date = parse_date(a["birthdate"])
    elif a.get("yearRangeFrom") and a.get("yearRangeTo"):
        date = parse_date(f"{a['yearRangeFrom']} to {a['yearRangeTo']}")
    elif a.get("year"):
        month = a.get("monthOfYear")
        date = parse_date(f"{a['year']}-{int(month):02d}" if month else a["year"])
    if date is not None:
        if circa:
            date = FuzzyDate(f"circa {date.text}", date.start, date.end, date.precision, circa=True)
        if date not in e.birth_dates:
            e.birth_dates.append(date)
            stats["birth_dates"] += 1
    elif any(a.get(k) for k in ("birthdate", "year", "yearRangeFrom")):
        e.unparsed.append(f"birthdate: {a}")
    place = ", ".join(p for p in (a.get("place"), a.get("city"), a.get("region"),
                                  a.get("countryDescription") if a.get("countryDescription") != "UNKNOWN" else "") if p)
    if place and place not in e.birth_places:
        e.birth_places.append(place)
