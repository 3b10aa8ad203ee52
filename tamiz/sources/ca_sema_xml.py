"""Canada Consolidated Autonomous Sanctions List (SEMA / JVCFOA), `data-set/record` XML.

Each record names a regime ("Country", bilingual "Burma / Birmanie" or the
JVCFOA regulation), a schedule and an item number; together they are the
party's citation, so ids are `<dataset>:<regime>-<schedule>-<item>`. The file
states no publication date. Aliases are one comma-separated field; a
single-word alias of a person (a bare given name) is kept as a weak alias.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path
from typing import Sequence

from normality import slugify

from tamiz.errors import SourceError
from tamiz.model import Entity, Identifier, Name, NameKind
from tamiz.sources.base import ParsedList, SourceFile, single_path
from tamiz.sources.dates import parse_date
from tamiz.sources.xmlsafe import local, parse_xml

_KNOWN = {"Country", "Entity", "LastName", "GivenName", "Aliases", "Schedule", "Item", "DateOfBirth",
          "Title", "ShipName", "DateOfBirthOrShipBuildDate", "ShipIMONumber"}
_LEGAL_SUFFIX = re.compile(r"^(?:ltd|limited|inc|llc|co|corp|plc|s\.?a|jsc|ojsc|cjsc|pjsc|ooo|gmbh|pte)\.?$", re.I)


def split_aliases(value: str) -> list[str]:
    """Comma-separated aliases, keeping "Co., Ltd." style legal forms with their name."""
    out: list[str] = []
    for piece in (p.strip() for p in value.split(",")):
        if not piece:
            continue
        if out and _LEGAL_SUFFIX.match(piece):
            out[-1] = f"{out[-1]}, {piece}"
        else:
            out.append(piece)
    return out


def parse(paths: Sequence[Path], dataset: str) -> ParsedList:
    path = single_path(paths, "the SEMA list is one XML file")
    root = parse_xml(path, expect_root="data-set")
    stats: Counter[str] = Counter()
    entities: list[Entity] = []
    seen: set[str] = set()
    for rec in root:
        if not isinstance(rec.tag, str):
            continue
        if local(rec) != "record":
            raise SourceError(path, f"unexpected element <{local(rec)}> in data-set")
        entity = _record(rec, dataset, stats)
        base, n = entity.id, 2
        while entity.id in seen:
            entity.id, n = f"{base}-{n}", n + 1
        seen.add(entity.id)
        entities.append(entity)
    if not entities:
        raise SourceError(path, "no records: wrong file?")
    stats["entries"] = len(entities)
    stats["unparsed"] = sum(len(e.unparsed) for e in entities)
    for key in ("names", "identifiers", "birth_dates"):
        stats.setdefault(key, 0)
    return ParsedList(dataset=dataset, entities=entities, files=[SourceFile.of(path)], stats=dict(stats))


def _record(rec, dataset: str, stats: Counter[str]) -> Entity:
    get = {local(c): " ".join((c.text or "").replace("\xa0", " ").split()) for c in rec if isinstance(c.tag, str)}
    regime = get.get("Country", "")
    schedule, item = get.get("Schedule", ""), get.get("Item", "")
    sid = "-".join(p for p in (slugify(regime.split(" / ")[0]) or "x", slugify(schedule) or "na", slugify(item) or "na"))
    given, family = get.get("GivenName", ""), get.get("LastName", "")
    org, ship = get.get("Entity", ""), get.get("ShipName", "")
    if given or family:
        schema, primary = "Person", Name(" ".join(p for p in (given, family) if p), NameKind.PRIMARY,
                                          given=given or None, family=family or None)
    elif ship:
        schema, primary = "Vessel", Name(ship)
    else:
        schema, primary = "Organization", Name(org or sid)
    e = Entity(id=f"{dataset}:{sid}", dataset=dataset, schema=schema, caption=primary.full, names=[primary])
    if org and schema != "Organization":
        e.names.append(Name(org, NameKind.ALIAS))
    for alias in split_aliases(get.get("Aliases", "")):
        weak = schema == "Person" and len(alias.split()) == 1
        name = Name(alias, NameKind.WEAK_ALIAS if weak else NameKind.ALIAS)
        if name not in e.names:
            e.names.append(name)
    stats["names"] += len(e.names)
    for raw in filter(None, (get.get("DateOfBirth"), get.get("DateOfBirthOrShipBuildDate"))):
        for part in re.split(r"\s+or\s+|;\s*", raw):
            date = parse_date(part)
            if date is None:
                e.unparsed.append(f"date: {part}")
            elif schema == "Vessel":
                e.properties.setdefault("buildDate", []).append(date.start)
            elif date not in e.birth_dates:
                e.birth_dates.append(date)
                stats["birth_dates"] += 1
    if get.get("ShipIMONumber"):
        e.identifiers.append(Identifier("imo", get["ShipIMONumber"], "ShipIMONumber"))
        stats["identifiers"] += 1
    if get.get("Title"):
        e.titles.append(get["Title"])
    if regime:
        e.programs.append(regime)
    for key, value in (("schedule", schedule), ("item", item)):
        if value:
            e.properties[key] = [value]
    for tag, value in get.items():
        if tag not in _KNOWN and value:
            e.unparsed.append(f"{tag}: {value}")
    return e
