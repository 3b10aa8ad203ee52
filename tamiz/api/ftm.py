"""FollowTheMoney shapes at the HTTP edge: our Entity out, yente-style queries in.

yente clients send and receive FtM entities (`schema` + `properties`, every
value a list of strings). This module is the only translation between that
vocabulary and tamiz's records, so the rest of the API never guesses names.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from followthemoney import model
from followthemoney.types import registry

from tamiz.match import Query
from tamiz.model import IDENTIFIER_TYPES, SCHEMAS, Entity
from tamiz.screen.countries import query_countries
from tamiz.sources.ftm import KIND_PROPS


# Relation type → (link schema, property on the source, property on the target,
# link property holding the source, link property holding the target).
LINKS: dict[str, tuple[str, str, str, str, str]] = {
    "owned_by": ("Ownership", "ownershipAsset", "ownershipOwner", "asset", "owner"),
    "owner_of": ("Ownership", "ownershipOwner", "ownershipAsset", "owner", "asset"),
    "associate": ("Associate", "associates", "associations", "person", "associate"),
}
UNKNOWN_LINK = ("UnknownLink", "unknownLinkTo", "unknownLinkFrom", "subject", "object")

QUERY_NAME_PROPS = ("name", "alias", "previousName", "weakAlias", "full")
DATE_PROPS = ("birthDate", "incorporationDate", "buildDate", "registrationDate")


class QueryError(ValueError):
    """A query the client must fix: an unknown schema or property, no name."""


def relation_label(kind: str) -> str:
    return kind.replace("_", " ").capitalize()


def _add(props: dict[str, list[str]], prop: str, value: str | None) -> None:
    if value and value not in props.setdefault(prop, []):
        props[prop].append(value)


def entity_properties(e: Entity) -> dict[str, list[str]]:
    """Our record as FtM properties; names the schema lacks go to `notes`, never lost."""
    props: dict[str, list[str]] = {}
    for n in e.all_names():
        _add(props, KIND_PROPS.get(n.kind, "alias"), n.full)
    for d in e.birth_dates:
        prop = "birthDate" if e.schema == "Person" else "incorporationDate"
        _add(props, prop, d.start)
        if d.end != d.start:
            _add(props, prop, d.end)
    for p in e.birth_places:
        _add(props, "birthPlace", p)
    for c in e.nationalities:
        _add(props, "nationality", c)
    for c in e.citizenships:
        _add(props, "citizenship", c)
    for c in e.countries:
        _add(props, "country", c)
    if e.gender:
        _add(props, "gender", e.gender)
    for i in e.identifiers:
        _add(props, IDENTIFIER_TYPES.get(i.type, "idNumber"), i.value)
    for a in e.addresses:
        _add(props, "address", a.text())
        _add(props, "country", a.country)
    for p in e.programs:
        _add(props, "program", p)
        _add(props, "programId", p)
    for t in e.titles:
        _add(props, "title", t)
    for p in e.positions:
        _add(props, "position", p)
    if e.listed_on:
        _add(props, "createdAt", e.listed_on)
    if e.remarks:
        _add(props, "notes", e.remarks)
    if e.source_url:
        _add(props, "sourceUrl", e.source_url)
    for key, values in e.properties.items():
        for v in values:
            _add(props, key, v)
    _add(props, "topics", "sanction")
    schema = model.get(e.schema) or model.get("LegalEntity")
    out: dict[str, list[str]] = {}
    for key, values in props.items():
        if schema is not None and schema.get(key) is None:
            for v in values:
                _add(out, "notes", f"{key}: {v}")
        else:
            out.setdefault(key, []).extend(v for v in values if v not in out.get(key, []))
    return out


@dataclass(slots=True)
class Context:
    """What an entity's FtM form needs beyond the record: dates and neighbours."""

    lookup: Callable[[str], Entity | None]
    incoming: Mapping[str, list[Any]] = field(default_factory=dict)
    dates: Mapping[str, dict[str, str | None]] = field(default_factory=dict)


def ftm_entity(e: Entity, ctx: Context, nested: bool = False) -> dict[str, Any]:
    """yente's entity shape; with `nested`, linked parties are embedded via link entities."""
    dates = ctx.dates.get(e.dataset, {})
    out: dict[str, Any] = {
        "id": e.id,
        "caption": e.caption,
        "schema": e.schema,
        "properties": entity_properties(e),
        "datasets": [e.dataset],
        "referents": [],
        "target": True,
        "first_seen": dates.get("first_seen"),
        "last_seen": dates.get("last_seen"),
        "last_change": dates.get("last_change"),
    }
    if nested:
        for link in _links(e, ctx):
            out["properties"].setdefault(link[0], []).append(link[1])
    return out


def _links(e: Entity, ctx: Context) -> list[tuple[str, dict[str, Any]]]:
    links = []
    for i, r in enumerate(e.relations):
        schema, here, _, own, other = LINKS.get(r.type, UNKNOWN_LINK)
        target = ctx.lookup(r.target_id) if r.target_id else None
        other_value: Any = ftm_entity(target, ctx) if target else r.target_name
        link = _link_entity(f"{e.id}-link-{i}", schema, {own: [e.id], other: [other_value]}, r.type)
        links.append((here, link))
    for inc in ctx.incoming.get(e.id, []):
        source = ctx.lookup(inc.source_id)
        if source is None:
            continue
        schema, _, here, own, other = LINKS.get(inc.type, UNKNOWN_LINK)
        idx = next((i for i, r in enumerate(source.relations) if r.target_id == e.id), 0)
        link = _link_entity(f"{source.id}-link-{idx}", schema, {own: [ftm_entity(source, ctx)], other: [e.id]}, inc.type)
        links.append((here, link))
    return links


def _link_entity(link_id: str, schema: str, props: dict[str, list[Any]], kind: str) -> dict[str, Any]:
    props = dict(props)
    if schema == "UnknownLink" or schema == "Associate":
        props["role" if schema == "UnknownLink" else "relationship"] = [relation_label(kind)]
    return {"id": link_id, "caption": relation_label(kind), "schema": schema, "properties": props,
            "datasets": [link_id.split(":", 1)[0]], "referents": [], "target": False}


# -- queries in ------------------------------------------------------------------


@dataclass(slots=True)
class FtmQuery:
    """A validated yente query: the echo to return and the tamiz queries to run."""

    schema: str
    properties: dict[str, list[str]]
    queries: list[Query]

    def echo(self, key: str) -> dict[str, Any]:
        return {"id": key, "schema": self.schema, "properties": self.properties}


def is_unicode(text: str) -> bool:
    """False for text with lone surrogates: JSON escapes can carry them, UTF-8 (audit, answers) cannot."""
    if text.isascii():
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _strings(prop: str, value: Any) -> list[str]:
    values = value if isinstance(value, list) else [value]
    out = []
    for v in values:
        if v is None:
            continue
        if isinstance(v, bool) or not isinstance(v, (str, int, float)):
            raise QueryError(f"property {prop!r}: expected a string or a list of strings")
        text = str(v).strip()
        if not is_unicode(text):
            raise QueryError(f"property {prop!r}: not valid Unicode text (lone surrogate escape)")
        if text:
            out.append(text)
    return out


def our_schema(name: str) -> str | None:
    """The tamiz schema a FtM query schema screens against (None: any)."""
    if name in SCHEMAS:
        return name
    schema = model.get(name)
    for candidate in ("Person", "Company", "Organization", "Vessel", "Airplane", "LegalEntity"):
        if schema is not None and schema.is_a(candidate):
            return candidate
    return None


def parse_query(schema_name: str | None, properties: Mapping[str, Any] | None) -> FtmQuery:
    """Check a yente query against the FtM model and turn it into tamiz queries."""
    schema_name = schema_name or "LegalEntity"
    schema = model.get(schema_name) if isinstance(schema_name, str) else None
    if schema is None:
        raise QueryError(f"unknown schema {schema_name!r}; use a FollowTheMoney schema such as Person, Company, Vessel")
    if not schema.matchable:
        raise QueryError(f"schema {schema_name!r} cannot be matched; use Person, Organization, Company, Vessel...")
    if properties is not None and not isinstance(properties, Mapping):
        raise QueryError("properties: expected an object of property name → list of strings")
    clean: dict[str, list[str]] = {}
    for prop_name, value in (properties or {}).items():
        prop = schema.get(prop_name)
        if prop is None:
            raise QueryError(f"unknown property {prop_name!r} for schema {schema_name}")
        values = _strings(prop_name, value)
        if values:
            clean[prop_name] = values
    names = [n for p in QUERY_NAME_PROPS for n in clean.get(p, [])]
    if not names:
        raise QueryError("the query has no name: give properties.name (a list of strings)")
    dates = [d for p in DATE_PROPS for d in clean.get(p, [])]
    countries: list[str] = []
    identifiers: list[str] = []
    gender = None
    for prop_name, values in clean.items():
        prop = schema.get(prop_name)
        if prop.type == registry.country:
            countries.extend(c for c in query_countries(values) if c not in countries)
        elif prop.type == registry.identifier or prop_name in IDENTIFIER_TYPES.values():
            identifiers.extend(values)
        elif prop.type == registry.gender:
            gender = registry.gender.clean(values[0])
    target = our_schema(schema.name)
    seen: set[str] = set()
    queries = []
    for name in names:
        if name.casefold() in seen:
            continue
        seen.add(name.casefold())
        queries.append(Query(name=name, schema=target, birth_dates=dates, countries=countries,
                             identifiers=identifiers, gender=gender))
    return FtmQuery(schema=schema.name, properties=clean, queries=queries[:10])
