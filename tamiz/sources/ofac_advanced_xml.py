"""OFAC SDN_ADVANCED.XML / CONS_ADVANCED.XML ("Advanced Sanctions List Standard").

The file is a small relational database: reference value sets (alias types,
countries, feature types, document types, name-part types, programmes...),
`Locations`, `IDRegDocuments`, `DistinctParties` (one per listed party, with
identities, aliases, name parts and dated "features"), `ProfileRelationships`
and `SanctionsEntries`. Ids are `<dataset>:<FixedRef>`, the same number as
`ent_num` in OFAC's CSV files, so this parser can load `us_ofac_sdn` too.
Names follow OFAC's CSV style ("LAST, First") so both formats agree.

Only a hand-built fixture (from OFAC's schema documentation) was available to
test this parser: no real SDN_ADVANCED.XML small enough could be obtained.
"""

from __future__ import annotations

import calendar
from collections import Counter
from pathlib import Path
from typing import Sequence

from lxml import etree

from tamiz.errors import SourceError
from tamiz.model import Address, DatePrecision, Entity, FuzzyDate, Identifier, Name, NameKind, Relation
from tamiz.sources.base import ParsedList, SourceFile, single_path
from tamiz.sources.countries import country_code
from tamiz.sources.idtypes import identifier_type
from tamiz.sources.ofac_remarks import make_name
from tamiz.sources.xmlsafe import local, parse_xml

ALIAS_KINDS = {"name": NameKind.PRIMARY, "a.k.a.": NameKind.ALIAS, "f.k.a.": NameKind.PREVIOUS, "n.k.a.": NameKind.NEW}
RELATION_TYPES = {"associate of": "associate", "owned or controlled by": "owned_by", "linked to": "linked_to",
                  "family member of": "family", "acting for or on behalf of": "acting_for",
                  "providing support to": "supports", "leader or official of": "leader_of"}
_SUBTYPES = {"vessel": "Vessel", "aircraft": "Airplane"}
# Features that are identifiers (feature type name prefix → identifier type).
_ID_FEATURES = {"vessel call sign": "call_sign", "digital currency address": "crypto_wallet", "email address": "email",
                "website": "website", "phone number": "phone", "aircraft manufacturer's serial number": "aircraft_serial",
                "aircraft tail number": "aircraft_tail", "swift/bic": "swift_bic", "mmsi": "mmsi"}


def _strip_ns(root: etree._Element) -> None:
    for el in root.iter():
        if isinstance(el.tag, str):
            el.tag = local(el)


def _t(el: etree._Element | None) -> str:
    return " ".join((el.text or "").split()) if el is not None else ""


class _Refs:
    """The reference value sets: id → text (and ISO2 for countries)."""

    def __init__(self, root: etree._Element):
        self.values: dict[str, dict[str, str]] = {}
        self.iso2: dict[str, str] = {}
        self.party_types: dict[str, str] = {}
        sets = root.find("ReferenceValueSets")
        for group in sets if sets is not None else []:
            if not isinstance(group.tag, str):
                continue
            for value in group:
                if not isinstance(value.tag, str):
                    continue
                self.values.setdefault(value.tag, {})[value.get("ID", "")] = _t(value)
                if value.tag == "Country" and value.get("ISO2"):
                    self.iso2[value.get("ID", "")] = value.get("ISO2", "").lower()
                if value.tag == "PartySubType":
                    self.party_types[value.get("ID", "")] = value.get("PartyTypeID", "")

    def get(self, kind: str, ref: str | None) -> str:
        return self.values.get(kind, {}).get(ref or "", "")

    def country(self, ref: str | None) -> tuple[str | None, str]:
        name = self.get("Country", ref)
        return (self.iso2.get(ref or "") or country_code(name)), name


def parse(paths: Sequence[Path], dataset: str) -> ParsedList:
    path = single_path(paths, "SDN_ADVANCED is one XML file")
    root = parse_xml(path, expect_root="Sanctions")
    _strip_ns(root)
    refs = _Refs(root)
    if not refs.values:
        raise SourceError(path, "no ReferenceValueSets: not an OFAC advanced XML file")
    stats: Counter[str] = Counter()
    locations = {loc.get("ID"): _location(loc, refs) for loc in root.iterfind("Locations/Location")}
    docs: dict[str, list[Identifier]] = {}
    for doc in root.iterfind("IDRegDocuments/IDRegDocument"):
        ident = _document(doc, refs)
        if ident is not None:
            docs.setdefault(doc.get("IdentityID", ""), []).append(ident)
    entities: dict[str, Entity] = {}
    for party in root.iterfind("DistinctParties/DistinctParty"):
        entity = _party(party, refs, locations, docs, dataset, stats)
        entities[party.get("FixedRef", "")] = entity
    if not entities:
        raise SourceError(path, "no DistinctParty elements: wrong file?")
    for rel in root.iterfind("ProfileRelationships/ProfileRelationship"):
        src, dst = entities.get(rel.get("From-ProfileID", "")), entities.get(rel.get("To-ProfileID", ""))
        label = refs.get("RelationType", rel.get("RelationTypeID"))
        kind = RELATION_TYPES.get(label.lower(), "_".join(label.lower().split()) or "linked_to")
        if src is None or dst is None:
            stats["unresolved_relations"] += 1
            continue
        src.relations.append(Relation(kind, dst.caption, dst.id))
        stats["relations"] += 1
    for entry in root.iterfind("SanctionsEntries/SanctionsEntry"):
        entity = entities.get(entry.get("ProfileID", ""))
        if entity is None:
            stats["unresolved_entries"] += 1
            continue
        for measure in entry.iterfind("SanctionsMeasure"):
            if refs.get("SanctionsType", measure.get("SanctionsTypeID")).lower() == "program":
                program = _t(measure.find("Comment"))
                if program and program not in entity.programs:
                    entity.programs.append(program)
        for event in entry.iterfind("EntryEvent"):
            iso = _ymd(event.find("Date"))
            if iso and (entity.listed_on is None or iso < entity.listed_on):
                entity.listed_on = iso
        listname = refs.get("List", entry.get("ListID"))
        if listname and listname not in entity.properties.setdefault("ofacList", []):
            entity.properties["ofacList"].append(listname)
    out = list(entities.values())
    stats["entries"] = len(out)
    stats["names"] = sum(len(e.names) for e in out)
    stats["identifiers"] = sum(len(e.identifiers) for e in out)
    stats["addresses"] = sum(len(e.addresses) for e in out)
    stats["unparsed"] = sum(len(e.unparsed) for e in out)
    issue = _ymd(root.find("DateOfIssue"))
    return ParsedList(dataset=dataset, entities=out, files=[SourceFile.of(path)], published=issue, stats=dict(stats))


def _ymd(el: etree._Element | None) -> str | None:
    if el is None or not _t(el.find("Year")):
        return None
    year, month, day = _t(el.find("Year")), _t(el.find("Month")), _t(el.find("Day"))
    if not all(part.isdigit() for part in (year, month, day) if part):
        return None  # not a date the schema allows: left out rather than guessed
    if month and day:
        return f"{int(year):04d}-{int(month):02d}-{int(day):02d}"
    return f"{int(year):04d}-{int(month):02d}" if month else f"{int(year):04d}"


def _period(period: etree._Element) -> FuzzyDate | None:
    """DatePeriod (Start From/To, End From/To) → FuzzyDate with the precision it implies."""
    start, end = _ymd(period.find("Start/From")), _ymd(period.find("End/To"))
    if not start:
        return None
    end = end or start
    circa = any(el.get("Approximate") == "true" for el in (period.find("Start"), period.find("End")) if el is not None)
    y1, m1, d1 = (int(p) for p in (start + "-01-01")[:10].split("-"))
    y2, m2, d2 = (int(p) for p in (end + "-12-31")[:10].split("-"))
    full_years = (m1, d1) == (1, 1) and (m2, d2) == (12, 31)
    if start == end:
        return FuzzyDate.exact(start, circa=circa, text=f"circa {start}" if circa else start)
    if full_years:
        lo, hi = f"{y1:04d}", f"{y2:04d}"
        text = lo if lo == hi else f"{lo} to {hi}"
        return FuzzyDate(f"circa {text}" if circa else text, lo, hi, DatePrecision.YEAR, circa)
    if y1 == y2 and m1 == m2 and d1 == 1 and d2 == calendar.monthrange(y2, m2)[1]:
        iso = f"{y1:04d}-{m1:02d}"
        return FuzzyDate(f"circa {iso}" if circa else iso, iso, iso, DatePrecision.MONTH, circa)
    text = f"{start} to {end}"
    return FuzzyDate(f"circa {text}" if circa else text, start, end, DatePrecision.DAY, circa)


def _location(loc: etree._Element, refs: _Refs) -> Address:
    parts: dict[str, str] = {}
    for part in loc.iterfind("LocationPart"):
        kind = refs.get("LocPartType", part.get("LocPartTypeID")).upper()
        value = _t(part.find("LocationPartValue/Value"))
        if value:
            parts[kind] = f"{parts[kind]}, {value}" if kind in parts else value
    cc, cname = refs.country((loc.find("LocationCountry").get("CountryID") if loc.find("LocationCountry") is not None else None))
    street = ", ".join(parts[k] for k in ("ADDRESS1", "ADDRESS2", "ADDRESS3") if k in parts) or None
    full = ", ".join(p for p in (street, parts.get("CITY"), parts.get("STATE/PROVINCE"), parts.get("POSTAL CODE"),
                                 parts.get("REGION"), cname) if p)
    return Address(full=full, street=street, city=parts.get("CITY"), region=parts.get("STATE/PROVINCE") or parts.get("REGION"),
                   postal_code=parts.get("POSTAL CODE"), country=cc, country_name=cname or None)


def _document(doc: etree._Element, refs: _Refs) -> Identifier | None:
    number = _t(doc.find("IDRegistrationNo"))
    if not number:
        return None
    label = refs.get("IDRegDocType", doc.get("IDRegDocTypeID"))
    cc, _ = refs.country(doc.get("IssuedBy-CountryID"))
    notes = []
    for date in doc.iterfind("DocumentDate"):
        period = date.find("DatePeriod")
        fd = _period(period) if period is not None else None
        if fd:
            notes.append(f"{refs.get('IDRegDocDateType', date.get('IDRegDocDateTypeID')) or 'date'} {fd.text}")
    if _t(doc.find("IssuingAuthority")):
        notes.append(f"issued by {_t(doc.find('IssuingAuthority'))}")
    if _t(doc.find("Comment")):
        notes.append(_t(doc.find("Comment")))
    kind = identifier_type(label)
    if number.upper().startswith("IMO ") and "vessel" in label.lower():
        kind, number = "imo", number[3:].strip()
    return Identifier(kind, number, label, cc, "; ".join(notes) or None)


def _party(party, refs: _Refs, locations, docs, dataset: str, stats: Counter[str]) -> Entity:
    fixed = party.get("FixedRef", "")
    profile = party.find("Profile")
    subtype = refs.get("PartySubType", profile.get("PartySubTypeID") if profile is not None else None).lower()
    party_type = refs.get("PartyType", refs.party_types.get(profile.get("PartySubTypeID", "") if profile is not None else "")).lower()
    schema = _SUBTYPES.get(subtype) or ("Person" if party_type == "individual" else "Organization")
    person = schema == "Person"
    e = Entity(id=f"{dataset}:{fixed}", dataset=dataset, schema=schema, caption="")
    for identity in (profile.iterfind("Identity") if profile is not None else []):
        groups = {g.get("ID"): refs.get("NamePartType", g.get("NamePartTypeID"))
                  for g in identity.iterfind("NamePartGroups/MasterNamePartGroup/NamePartGroup")}
        for alias in identity.iterfind("Alias"):
            atype = refs.get("AliasType", alias.get("AliasTypeID")).lower()
            kind = ALIAS_KINDS.get(atype, NameKind.ALIAS)
            if atype not in ALIAS_KINDS:
                e.unparsed.append(f"alias type {atype!r}")
            if alias.get("LowQuality") == "true":
                kind = NameKind.WEAK_ALIAS
            for dn in alias.iterfind("DocumentedName"):
                name = _documented_name(dn, groups, refs, kind, person)
                if name and name not in e.names:
                    e.names.append(name)
        for ident in docs.get(identity.get("ID", ""), []):
            if ident not in e.identifiers:
                e.identifiers.append(ident)
    primary = next((n for n in e.names if n.kind == NameKind.PRIMARY), e.names[0] if e.names else Name(fixed))
    e.caption = primary.full
    for feature in (profile.iterfind("Feature") if profile is not None else []):
        _feature(e, feature, refs, locations)
    comment = _t(party.find("Comment"))
    e.remarks = comment or None
    return e


def _documented_name(dn, groups, refs: _Refs, kind: NameKind, person: bool) -> Name | None:
    parts: dict[str, list[str]] = {}
    scripts = set()
    order: list[str] = []
    for value in dn.iterfind("DocumentedNamePart/NamePartValue"):
        text = _t(value)
        if not text:
            continue
        ptype = groups.get(value.get("NamePartGroupID"), "").lower()
        parts.setdefault(ptype, []).append(text)
        order.append(text)
        scripts.add(refs.get("Script", value.get("ScriptID")).lower())
    if not order:
        return None
    last = " ".join(parts.get("last name", []))
    given = " ".join(parts.get("first name", []) + parts.get("middle name", []))
    full = f"{last}, {given}" if person and last and given else " ".join(order)
    if scripts - {"latin", ""}:
        return Name(" ".join(order), NameKind.ORIGINAL_SCRIPT, given=given or None if person else None,
                    family=last or None if person else None)
    if person and last and given:
        return Name(full, kind, given=given, family=last)
    return make_name(full, kind, person=person)


def _feature(e: Entity, feature, refs: _Refs, locations) -> None:
    ftype = refs.get("FeatureType", feature.get("FeatureTypeID"))
    key = ftype.lower()
    for version in feature.iterfind("FeatureVersion"):
        period = version.find("DatePeriod")
        details = []
        for d in version.iterfind("VersionDetail"):
            dtype = refs.get("DetailType", d.get("DetailTypeID")).upper()
            if dtype == "LOOKUP":
                details.append(refs.get("DetailReference", d.get("DetailReferenceID")))
            elif dtype == "COUNTRY":
                cc, name = refs.country(d.get("DetailReferenceID"))
                details.append(cc or name)
            else:
                details.append(_t(d))
        details = [d for d in details if d]
        locs = [locations[v.get("LocationID")] for v in version.iterfind("VersionLocation") if v.get("LocationID") in locations]
        if key == "birthdate" and period is not None:
            fd = _period(period)
            if fd and fd not in e.birth_dates:
                e.birth_dates.append(fd)
        elif key == "place of birth":
            for d in details + [loc.text() for loc in locs]:
                if d not in e.birth_places:
                    e.birth_places.append(d)
        elif key in ("nationality country", "citizenship country"):
            target = e.nationalities if key.startswith("nationality") else e.citizenships
            for cc in [loc.country for loc in locs] + [country_code(d) for d in details]:
                if cc and cc not in target:
                    target.append(cc)
        elif key == "location":
            for loc in locs:
                if loc not in e.addresses:
                    e.addresses.append(loc)
                if loc.country and loc.country not in e.countries:
                    e.countries.append(loc.country)
        elif key == "gender":
            e.gender = next((d.lower() for d in details if d.lower() in ("male", "female")), e.gender)
        elif key == "title":
            e.titles.extend(d for d in details if d not in e.titles)
        elif any(key.startswith(prefix) for prefix in _ID_FEATURES):
            kind = next(v for p, v in _ID_FEATURES.items() if key.startswith(p))
            for d in details:
                ident = Identifier(kind, d, ftype)
                if ident not in e.identifiers:
                    e.identifiers.append(ident)
        elif key == "vessel flag":
            e.properties.setdefault("flag", []).extend(details)
        elif key == "vessel type":
            e.properties.setdefault("type", []).extend(details)
        else:
            values = details + [loc.text() for loc in locs] + ([_period(period).text] if period is not None and _period(period) else [])
            if values:
                e.properties.setdefault(ftype, []).extend(v for v in values if v not in e.properties.get(ftype, []))
            else:
                e.unparsed.append(f"feature {ftype}: no value")
