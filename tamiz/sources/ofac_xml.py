"""OFAC `sdnList` XML (SDN.XML, CONSOLIDATED.XML), old and new namespaces.

The XML holds the same facts as the legacy CSV, but structured: `idList`
entries ("Passport" / "G12345" / "Mexico"), date and place of birth lists,
nationalities, alias lists with a strong/weak category. To make both parsers
agree to the letter, each structured fact is rewritten as the remark fragment
OFAC's CSV prints for it ("Passport G12345 (Mexico) issued 01 Jan 2010") and
recognised by the same code (`ofac_remarks`). Names are written as the CSV
writes them: "LASTNAME, FirstName".

Parsing streams the file (iterparse) with defusedxml: no DTDs, no entities,
no network.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterator, Sequence
from pathlib import Path

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import iterparse

from tamiz.errors import SourceError
from tamiz.model import Entity, Identifier, NameKind
from tamiz.sources.base import ParsedList, SourceFile
from tamiz.sources.countries import country_code
from tamiz.sources.dates import parse_iso
from tamiz.sources.ofac_csv import make_address
from tamiz.sources.ofac_remarks import (
    Remarks,
    apply_remarks,
    decide_schema,
    make_name,
    parse_remarks,
    resolve_relations,
)

NAMESPACES = (
    "http://tempuri.org/sdnList.xsd",
    "https://sanctionslistservice.ofac.treas.gov/api/PublicationPreview/exports/XML",
    "",
)
_AKA_KINDS = {"a.k.a.": NameKind.ALIAS, "f.k.a.": NameKind.PREVIOUS, "n.k.a.": NameKind.NEW}


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _ns(tag: str) -> str:
    return tag[1:].split("}", 1)[0] if tag.startswith("{") else ""


def _text(elem: ET.Element | None) -> str | None:
    if elem is None or elem.text is None:
        return None
    value = " ".join(elem.text.split())
    return value or None


class _Node:
    """Namespace-blind access to an sdnEntry's children."""

    def __init__(self, elem: ET.Element):
        self.elem = elem

    def get(self, name: str) -> str | None:
        for child in self.elem:
            if _local(child.tag) == name:
                return _text(child)
        return None

    def all(self, path: str) -> Iterator["_Node"]:
        """Children at "list/item" (two levels) or "item" (one level)."""
        first, _, second = path.partition("/")
        for child in self.elem:
            if _local(child.tag) != first:
                continue
            if not second:
                yield _Node(child)
                continue
            for grand in child:
                if _local(grand.tag) == second:
                    yield _Node(grand)


def parse(paths: Sequence[Path], dataset: str) -> ParsedList:
    """Parse one or more sdnList XML files (normally one) into one ParsedList."""
    if not paths:
        raise SourceError("(no files)", "no OFAC XML file given")
    entities: list[Entity] = []
    stats: dict[str, int] = {"entries": 0, "aliases": 0, "addresses": 0, "remark_fragments": 0}
    warnings: list[str] = []
    published: str | None = None
    seen: set[str] = set()
    for path in map(Path, paths):
        file_published, count = _parse_file(path, dataset, entities, stats, seen)
        published = max(filter(None, (published, file_published)), default=None)
        if count is not None:
            stats["record_count"] = stats.get("record_count", 0) + count
    stats["entries"] = len(entities)
    if "record_count" in stats and stats["record_count"] != stats["entries"]:
        warnings.append(f"Record_Count says {stats['record_count']} entries, the file holds {stats['entries']}")
    resolve_relations(entities, stats, warnings)
    stats["names"] = sum(len(e.names) for e in entities)
    stats["weak_aliases"] = sum(1 for e in entities for n in e.names if n.kind == NameKind.WEAK_ALIAS)
    stats["identifiers"] = sum(len(e.identifiers) for e in entities)
    stats["birth_dates"] = sum(len(e.birth_dates) for e in entities)
    stats["unparsed_fragments"] = sum(len(e.unparsed) for e in entities)
    files = [SourceFile.of(p) for p in map(Path, paths)]
    return ParsedList(dataset=dataset, entities=entities, files=files, published=published, stats=stats, warnings=warnings)


def _parse_file(
    path: Path, dataset: str, out: list[Entity], stats: dict[str, int], seen: set[str]
) -> tuple[str | None, int | None]:
    published: str | None = None
    record_count: int | None = None
    root: ET.Element | None = None
    try:
        with open(path, "rb") as fh:
            head = fh.read(2048)
            if not head.strip():
                raise SourceError(path, "file is empty")
            if b"<!DOCTYPE" in head.upper() or b"<!ENTITY" in head.upper():
                raise SourceError(path, "XML with a DOCTYPE/entity declaration refused (OFAC files have none; possible XXE or entity bomb)")
            fh.seek(0)
            for event, elem in iterparse(fh, events=("start", "end"), forbid_dtd=True, forbid_entities=True, forbid_external=True):
                tag = _local(elem.tag)
                if event == "start":
                    if root is None:
                        root = elem
                        if tag != "sdnList" or _ns(elem.tag) not in NAMESPACES:
                            raise SourceError(path, f"not an OFAC sdnList XML file (root element {elem.tag!r})")
                    continue
                if tag == "Publish_Date":
                    published = parse_iso(_text(elem), month_first=True)
                elif tag == "Record_Count" and (value := _text(elem)) and value.isdigit():
                    record_count = int(value)
                elif tag == "sdnEntry":
                    if not _Node(elem).get("uid"):
                        raise SourceError(path, "an sdnEntry has no uid")
                    entity = _entity(_Node(elem), dataset, stats)
                    if entity.id in seen:
                        raise SourceError(path, f"entry uid {entity.source_id} appears twice")
                    seen.add(entity.id)
                    out.append(entity)
                    elem.clear()
                    if root is not None and elem in list(root):
                        root.remove(elem)
    except SourceError:
        raise
    except DefusedXmlException as exc:
        raise SourceError(path, f"XML refused: {type(exc).__name__} (DTDs and entity declarations are not allowed)") from None
    except ET.ParseError as exc:
        raise SourceError(path, f"broken XML ({exc}); the file may be truncated") from None
    except OSError as exc:
        raise SourceError(path, f"cannot read file ({exc.strerror})") from None
    except LookupError as exc:  # an unknown encoding named in the XML declaration
        raise SourceError(path, f"unreadable XML: {exc}") from None
    if root is None:
        raise SourceError(path, "no XML content")
    return published, record_count


def full_name(last: str | None, first: str | None) -> str:
    """The name as OFAC's CSV writes it: "LASTNAME, FirstName", or the last name alone."""
    if last and first:
        return f"{last}, {first}"
    return last or first or ""


def _entity(node: _Node, dataset: str, stats: dict[str, int]) -> Entity:
    uid = node.get("uid")
    sdn_type = (node.get("sdnType") or "").lower()
    person = sdn_type == "individual"
    name = full_name(node.get("lastName"), node.get("firstName"))

    fragments: list[str] = []
    for item in node.all("dateOfBirthList/dateOfBirthItem"):
        if value := item.get("dateOfBirth"):
            fragments.append(f"DOB {value}")
    for item in node.all("placeOfBirthList/placeOfBirthItem"):
        if value := item.get("placeOfBirth"):
            fragments.append(f"POB {value}")
    for item in node.all("nationalityList/nationality"):
        if value := item.get("country"):
            fragments.append(f"nationality {value}")
    for item in node.all("citizenshipList/citizenship"):
        if value := item.get("country"):
            fragments.append(f"citizen {value}")
    for item in node.all("idList/id"):
        fragments.append(_id_fragment(item))
    structured = parse_remarks("; ".join(f for f in fragments if f), person=person)
    remarks_text = node.get("remarks")
    free = parse_remarks(remarks_text, person=person)
    stats["remark_fragments"] += sum(structured.kinds.values()) + sum(free.kinds.values())

    merged = Remarks()
    for part in (structured, free):
        merged.identifiers += part.identifiers
        merged.properties = {**merged.properties, **{k: merged.properties.get(k, []) + v for k, v in part.properties.items()}}
    schema = decide_schema(sdn_type, name, merged)
    entity = Entity(
        id=f"{dataset}:{uid}",
        dataset=dataset,
        schema=schema,
        caption=name,
        names=[make_name(name, NameKind.PRIMARY, person=person)],
        programs=[p for p in (_text(e.elem) for e in node.all("programList/program")) if p],
        remarks=remarks_text,
    )
    if title := node.get("title"):
        entity.titles.append(title)
    for vessel in node.all("vesselInfo"):
        _vessel(vessel, entity)
    apply_remarks(entity, structured)
    apply_remarks(entity, free)
    for aka in node.all("akaList/aka"):
        alias = full_name(aka.get("lastName"), aka.get("firstName"))
        if not alias:
            continue
        kind = _AKA_KINDS.get((aka.get("type") or "a.k.a.").lower(), NameKind.ALIAS)
        if kind == NameKind.ALIAS and (aka.get("category") or "").lower() == "weak":
            kind = NameKind.WEAK_ALIAS
        entity.names.append(make_name(alias, kind, person=person))
        stats["aliases"] += 1
    for addr in node.all("addressList/address"):
        street = ", ".join(v for v in (addr.get("address1"), addr.get("address2"), addr.get("address3")) if v) or None
        city_line = ", ".join(v for v in (addr.get("city"), addr.get("stateOrProvince")) if v)
        if postal := addr.get("postalCode"):
            city_line = f"{city_line} {postal}".strip()
        country = addr.get("country")
        if not (street or city_line or country):
            continue
        entity.addresses.append(make_address(street, city_line or None, country))
        code = country_code(country)
        if code and code not in entity.countries:
            entity.countries.append(code)
        stats["addresses"] += 1
    return entity


def _id_fragment(item: _Node) -> str:
    """An idList entry written as the CSV remark fragment for it."""
    label = item.get("idType") or ""
    number = item.get("idNumber") or ""
    text = f"{label} {number}".strip()
    if country := item.get("idCountry"):
        text += f" ({country})"
    if issued := item.get("issueDate"):
        text += f" issued {issued}"
    if expires := item.get("expirationDate"):
        text += f" expires {expires}"
    return text


def _vessel(vessel: _Node, entity: Entity) -> None:
    call_sign = vessel.get("callSign")
    for key, value in (
        ("callSign", call_sign),
        ("type", vessel.get("vesselType")),
        ("tonnage", vessel.get("tonnage")),
        ("grossRegisteredTonnage", vessel.get("grossRegisteredTonnage")),
        ("owner", vessel.get("vesselOwner")),
    ):
        if value:
            entity.properties[key] = [value]
    if call_sign:
        entity.identifiers.append(Identifier("call_sign", call_sign, label="Call Sign"))
    if flag := vessel.get("vesselFlag"):
        code = country_code(flag)
        entity.properties["flag"] = [code or flag]
        if code:
            entity.countries.append(code)
