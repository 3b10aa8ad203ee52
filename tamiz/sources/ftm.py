"""FollowTheMoney (FtM) JSON lines: import, OpenSanctions deltas, and export.

Import reads any FtM entity stream (OpenSanctions `entities.ftm.json`, yente
fixtures) plus optional OpenSanctions delta files (`{"op": "ADD"|"MOD"|"DEL",
"entity": {...}}`), applied in the order given, and folds the interval and
detail entities FtM keeps apart (Sanction, Address, Passport/Identification,
Ownership, Family, Directorship, ...) into the party they describe.

Export writes each `Entity` as a plain FtM entity that other FtM tools read,
plus a `"tamiz"` key carrying only what FtM properties cannot express (name
kinds and parts, date precision and ranges, identifier labels, structured
addresses, relations, ...). `from_ftm(to_ftm(e), e.dataset) == e` holds for
every entity: the residue is computed as the difference between the entity
and what plain FtM import would give back.
"""

from __future__ import annotations

import json
import unicodedata
from collections import Counter
from pathlib import Path
from typing import IO, Any, Iterable, Iterator, Sequence

from followthemoney import model as ftm_model

from tamiz.errors import SourceError
from tamiz.model import (
    IDENTIFIER_TYPES,
    SCHEMAS,
    Address,
    Entity,
    FuzzyDate,
    Identifier,
    Name,
    NameKind,
    Relation,
)
from tamiz.sources.base import ParsedList, SourceFile, json_lines
from tamiz.sources.idtypes import identifier_type

RESIDUE_KEY = "tamiz"

_NAME_PROPS: dict[str, NameKind] = {
    "name": NameKind.PRIMARY,
    "alias": NameKind.ALIAS,
    "weakAlias": NameKind.WEAK_ALIAS,
    "previousName": NameKind.PREVIOUS,
}
# The FtM property each kind of name is written to (export and the HTTP API).
KIND_PROPS: dict[NameKind, str] = {
    NameKind.PRIMARY: "name",
    NameKind.ALIAS: "alias",
    NameKind.WEAK_ALIAS: "weakAlias",
    NameKind.PREVIOUS: "previousName",
    NameKind.NEW: "alias",
    NameKind.ORIGINAL_SCRIPT: "alias",
}
# FtM identifier properties → normalised identifier type, in reading order.
_ID_PROPS: dict[str, str] = {
    "passportNumber": "passport",
    "idNumber": "national_id",
    "socialSecurityNumber": "ssn",
    "taxNumber": "tax_id",
    "innCode": "tax_id",
    "vatCode": "vat",
    "registrationNumber": "registration",
    "ogrnCode": "registration",
    "imoNumber": "imo",
    "mmsi": "mmsi",
    "callSign": "call_sign",
    "swiftBic": "swift_bic",
    "dunsCode": "duns",
    "leiCode": "lei",
    "email": "email",
    "website": "website",
    "phone": "phone",
    "serialNumber": "aircraft_serial",
}
_CONSUMED = {
    *_NAME_PROPS, *_ID_PROPS, "birthDate", "birthPlace", "nationality", "citizenship", "country",
    "gender", "address", "program", "programId", "title", "position", "notes", "sourceUrl",
}
# Interval schemas folded into relations: (schema, from-prop, to-prop, type seen from "from", type seen from "to").
_LINKS: list[tuple[str, str, str, str, str]] = [
    ("Ownership", "owner", "asset", "owner_of", "owned_by"),
    ("Directorship", "director", "organization", "director_of", "directed_by"),
    ("Family", "person", "relative", "family", "family"),
    ("Associate", "person", "associate", "associate", "associate"),
    ("Membership", "member", "organization", "member_of", "has_member"),
    ("Employment", "employee", "employer", "employee_of", "employer_of"),
    ("Representation", "agent", "client", "agent_of", "represented_by"),
    ("UnknownLink", "subject", "object", "linked_to", "linked_to"),
]


def _schema_for(name: str) -> str | None:
    """The tamiz schema for an FtM schema, or None if it is not a listable party."""
    if name in SCHEMAS:
        return name
    schema = ftm_model.get(name)
    if schema is None:
        return None
    for candidate in ("Person", "Company", "Organization", "Vessel", "Airplane", "LegalEntity"):
        if schema.is_a(candidate):
            return candidate
    return None


def _script_is_latin(text: str) -> bool:
    for ch in text:
        if ch.isalpha():
            try:
                if not unicodedata.name(ch).startswith("LATIN"):
                    return False
            except ValueError:
                return False
    return True


# --- one entity: FtM dict <-> Entity ---------------------------------------------------------


def _derive(data: dict[str, Any], dataset: str) -> Entity:
    """Plain FtM import of one entity, without the tamiz residue."""
    props: dict[str, list[str]] = {k: [str(v) for v in vs] for k, vs in (data.get("properties") or {}).items() if vs}
    raw_id = str(data["id"])
    eid = raw_id if raw_id.startswith(f"{dataset}:") else f"{dataset}:{raw_id}"
    schema = _schema_for(str(data.get("schema", ""))) or "LegalEntity"
    names: list[Name] = []
    for prop, kind in _NAME_PROPS.items():
        for value in props.get(prop, []):
            if kind != NameKind.WEAK_ALIAS and not _script_is_latin(value):
                kind_here = NameKind.ORIGINAL_SCRIPT
            else:
                kind_here = kind
            name = Name(value, kind_here)
            if name not in names:
                names.append(name)
    caption = str(data.get("caption") or (names[0].full if names else raw_id))
    identifiers: list[Identifier] = []
    for prop, kind in _ID_PROPS.items():
        for value in props.get(prop, []):
            ident = Identifier(kind, value)
            if ident not in identifiers:
                identifiers.append(ident)
    programs = _unique(props.get("program", []) + props.get("programId", []))
    gender = (props.get("gender") or [None])[0]
    notes = props.get("notes", [])
    extra = {k: v for k, v in props.items() if k not in _CONSUMED}
    return Entity(
        id=eid,
        dataset=dataset,
        schema=schema,
        caption=caption,
        names=names,
        birth_dates=[FuzzyDate.exact(v[:10], text=v) for v in props.get("birthDate", [])],
        birth_places=list(props.get("birthPlace", [])),
        nationalities=list(props.get("nationality", [])),
        citizenships=list(props.get("citizenship", [])),
        countries=list(props.get("country", [])),
        gender=gender if gender in ("male", "female") else None,
        identifiers=identifiers,
        addresses=[Address(full=v) for v in props.get("address", [])],
        programs=programs,
        titles=list(props.get("title", [])),
        positions=list(props.get("position", [])),
        remarks="\n".join(notes) if notes else None,
        properties=extra,
        source_url=(props.get("sourceUrl") or [None])[0],
    )


def to_ftm(entity: Entity) -> dict[str, Any]:
    """The entity as an FtM dict; the `tamiz` key holds only what FtM cannot say."""
    schema = ftm_model.get(entity.schema)
    props: dict[str, list[str]] = {}

    def add(prop: str, value: str | None) -> bool:
        if not value or schema is None or schema.get(prop) is None:
            return False
        values = props.setdefault(prop, [])
        if value not in values:
            values.append(value)
        return True

    for name in entity.names:
        add(KIND_PROPS[name.kind], name.full)
        if entity.schema == "Person":
            add("firstName", name.given)
            add("lastName", name.family)
    for date in entity.birth_dates:
        add("birthDate", date.start)
        if date.end != date.start:
            add("birthDate", date.end)
    for value in entity.birth_places:
        add("birthPlace", value)
    for prop, values in (
        ("nationality", entity.nationalities),
        ("citizenship", entity.citizenships),
        ("country", entity.countries),
        ("program", entity.programs),
        ("title", entity.titles),
        ("position", entity.positions),
    ):
        for value in values:
            add(prop, value)
    add("gender", entity.gender)
    for ident in entity.identifiers:
        prop = IDENTIFIER_TYPES.get(ident.type, "idNumber")
        add(prop, ident.value) or add("idNumber", ident.value)
    for address in entity.addresses:
        add("address", address.text())
    add("notes", entity.remarks)
    add("sourceUrl", entity.source_url)
    for prop, values in entity.properties.items():
        for value in values:
            add(prop, value)
    out: dict[str, Any] = {
        "id": entity.id,
        "schema": entity.schema,
        "caption": entity.caption,
        "datasets": [entity.dataset],
        "properties": props,
    }
    derived = _derive(out, entity.dataset).to_dict()
    actual = entity.to_dict()
    residue = {k: actual.get(k) for k in set(actual) | set(derived) if actual.get(k) != derived.get(k)}
    if residue:
        out[RESIDUE_KEY] = dict(sorted(residue.items()))
    return out


def from_ftm(data: dict[str, Any], dataset: str) -> Entity:
    """One FtM entity dict → Entity (exact inverse of `to_ftm` when the residue is there)."""
    if "id" not in data or "schema" not in data:
        raise ValueError("FtM entity needs 'id' and 'schema'")
    entity = _derive(data, dataset)
    residue = data.get(RESIDUE_KEY)
    if not residue:
        return entity
    merged = entity.to_dict()
    merged.update(residue)
    return Entity.from_dict({k: v for k, v in merged.items() if v is not None})


def export(entities: Iterable[Entity], fh: IO[str], *, links: bool = True) -> int:
    """Write entities as FtM JSON lines; with `links`, also a Sanction entity per party
    (programmes, listing date) so plain FtM consumers see the designation. Returns lines written."""
    count = 0
    for entity in entities:
        fh.write(json.dumps(to_ftm(entity), ensure_ascii=False, sort_keys=True) + "\n")
        count += 1
        if links and (entity.programs or entity.listed_on):
            sanction: dict[str, list[str]] = {"entity": [entity.id], "authority": [entity.dataset]}
            if entity.programs:
                sanction["program"] = list(entity.programs)
            if entity.listed_on:
                sanction["listingDate"] = [entity.listed_on]
            line = {"id": f"{entity.id}:sanction", "schema": "Sanction", "caption": "Sanction",
                    "datasets": [entity.dataset], "properties": sanction}
            fh.write(json.dumps(line, ensure_ascii=False, sort_keys=True) + "\n")
            count += 1
    return count


# --- whole files: entity streams and deltas -------------------------------------------------


def _lines(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    try:
        fh = open(path, "r", encoding="utf-8")
    except OSError as exc:
        raise SourceError(path, f"cannot read file: {exc.strerror or exc}") from exc
    with fh:
        try:
            for no, data in json_lines(path, fh, "an FtM entity"):
                if not isinstance(data, dict):
                    raise SourceError(path, f"line {no} is not a JSON object")
                yield no, data
        except UnicodeDecodeError as exc:
            raise SourceError(path, f"not UTF-8 text: {exc}") from exc


def delta_versions(index: Path) -> list[tuple[str, str]]:
    """OpenSanctions `delta.json` index → [(version, url)] oldest first."""
    try:
        data = json.loads(Path(index).read_text(encoding="utf-8"))
        versions = data["versions"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise SourceError(index, f"not an OpenSanctions delta index: {exc}") from exc
    return sorted((str(k), str(v)) for k, v in versions.items())


def parse(paths: Sequence[Path], dataset: str) -> ParsedList:
    """Entity files, then delta files, in the order given; `delta.json` indexes are skipped."""
    raw: dict[str, dict[str, Any]] = {}
    stats: Counter[str] = Counter()
    warnings: list[str] = []
    files: list[SourceFile] = []
    for path in map(Path, paths):
        if path.name == "delta.json":
            delta_versions(path)  # validates it; the versions themselves come as files
            files.append(SourceFile.of(path))
            continue
        files.append(SourceFile.of(path))
        lines = 0
        for no, data in _lines(path):
            lines += 1
            if "op" in data and "entity" in data:
                op, ent = str(data["op"]).upper(), data["entity"] or {}
                stats[f"delta_{op.lower()}"] += 1
                eid = ent.get("id")
                if not eid:
                    raise SourceError(path, f"line {no}: delta without an entity id")
                if op == "DEL":
                    if raw.pop(eid, None) is None:
                        warnings.append(f"{path.name}:{no}: DEL of unknown entity {eid}")
                elif op in ("ADD", "MOD"):
                    _check(ent, path, no)
                    raw[eid] = ent
                else:
                    raise SourceError(path, f"line {no}: unknown delta op {op!r}")
            else:
                _check(data, path, no)
                raw[data["id"]] = data
                stats["lines"] += 1
        if lines == 0 and ".delta." not in path.name:
            raise SourceError(path, "file is empty: no FtM entities")
    entities = _fold(raw, dataset, stats, warnings)
    stats["entries"] = len(entities)
    stats["names"] = sum(len(e.names) for e in entities)
    stats["identifiers"] = sum(len(e.identifiers) for e in entities)
    stats["addresses"] = sum(len(e.addresses) for e in entities)
    stats["unparsed"] = sum(len(e.unparsed) for e in entities)
    return ParsedList(dataset=dataset, entities=entities, files=files, stats=dict(stats), warnings=warnings)


def _check(data: dict[str, Any], path: Path, no: int) -> None:
    if not isinstance(data.get("id"), str) or not isinstance(data.get("schema"), str):
        raise SourceError(path, f"line {no}: FtM entity needs string 'id' and 'schema'")
    if ftm_model.get(data["schema"]) is None:
        raise SourceError(path, f"line {no}: unknown FtM schema {data['schema']!r}")


def _fold(raw: dict[str, dict[str, Any]], dataset: str, stats: Counter[str], warnings: list[str]) -> list[Entity]:
    parties: dict[str, Entity] = {}
    for eid, data in raw.items():
        if _schema_for(data["schema"]) is not None:
            parties[eid] = from_ftm(data, dataset)
    captions = {eid: e.caption for eid, e in parties.items()}
    prefixed = {eid: e.id for eid, e in parties.items()}
    for eid, data in raw.items():
        if eid in parties:
            entity = parties[eid]
            for ref in data.get("properties", {}).get("addressEntity", []):
                addr = raw.get(ref)
                if addr is None:
                    stats["unresolved_refs"] += 1
                    continue
                address = _address(addr)
                if address not in entity.addresses:
                    entity.addresses.append(address)
            if "addressEntity" in entity.properties:
                del entity.properties["addressEntity"]
            continue
        schema, props = data["schema"], data.get("properties", {})
        if schema == "Sanction":
            stats["sanctions"] += 1
            for target in props.get("entity", []):
                entity = parties.get(target)
                if entity is None:
                    stats["unresolved_refs"] += 1
                    continue
                for program in props.get("programId", []) or props.get("program", []):
                    if program not in entity.programs:
                        entity.programs.append(program)
                dates = sorted(props.get("listingDate", []) + props.get("startDate", []))
                if dates and (entity.listed_on is None or dates[0][:10] < entity.listed_on):
                    entity.listed_on = dates[0][:10]
        elif schema in ("Passport", "Identification"):
            stats["identifications"] += 1
            for holder in props.get("holder", []):
                entity = parties.get(holder)
                if entity is None:
                    stats["unresolved_refs"] += 1
                    continue
                for number in props.get("number", []):
                    label = (props.get("type") or [""])[0]
                    kind = "passport" if schema == "Passport" else identifier_type(label)
                    ident = Identifier(kind, number, label, (props.get("country") or [None])[0])
                    if ident not in entity.identifiers:
                        entity.identifiers.append(ident)
        elif schema == "Address":
            stats["address_entities"] += 1
        else:
            link = next((link for link in _LINKS if link[0] == schema), None)
            if link is None:
                stats[f"skipped_{schema}"] += 1
                continue
            stats["relations"] += 1
            _, a_prop, b_prop, a_type, b_type = link
            for a in props.get(a_prop, []):
                for b in props.get(b_prop, []):
                    for src, dst, kind in ((a, b, a_type), (b, a, b_type)):
                        if src in parties:
                            relation = Relation(kind, captions.get(dst, dst), prefixed.get(dst))
                            if relation not in parties[src].relations:
                                parties[src].relations.append(relation)
    return list(parties.values())


def _address(data: dict[str, Any]) -> Address:
    props = data.get("properties", {})

    def first(prop: str) -> str | None:
        values = props.get(prop) or []
        return values[0] if values else None

    return Address(
        full=first("full") or data.get("caption") or "",
        street=first("street"),
        city=first("city"),
        region=first("region"),
        postal_code=first("postalCode"),
        country=first("country"),
    )


def _unique(values: list[str]) -> list[str]:
    out: list[str] = []
    for value in values:
        if value not in out:
            out.append(value)
    return out
