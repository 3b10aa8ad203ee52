"""US Commerce BIS Denied Persons List (`dpl.txt`: tab-separated, quoted, header).

A person denied under several orders or at several addresses has one row per
order/address, so rows are grouped by the exact name: one entity per denied
party, id `<dataset>:<slug of the name>`. Implausible `Last_Update` values
(real typos such as 2922-09-01 and 3017-08-22) keep their row and are flagged
in `unparsed` and the warnings instead of failing the file.

The Name column sometimes carries other names: "FUYI SUN A/K/A FRANK SUN",
"SIBERIAN AIRLINES D/B/A S7 AIRLINES", "PEARL (A.K.A. NEI-CHIEN CHU) LI",
"SAMMY (IHSAN MEDHAT) ELASHI", "APPLIED SYSTEMS ... (ASMAT)": each becomes an
alias, and the primary name is the one left without them. The caption (and
the id) keep the column verbatim.
"""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from datetime import date
from pathlib import Path
from typing import Sequence

from normality import slugify

from tamiz.errors import SourceError
from tamiz.model import Address, Entity, Name, NameKind
from tamiz.sources.base import ParsedList, SourceFile, single_path
from tamiz.sources.countries import country_code
from tamiz.sources.dates import parse_date

HEADER = [
    "Name", "Street_Address", "City", "State", "Country", "Postal_Code", "Effective_Date",
    "Expiration_Date", "Standard_Order", "Last_Update", "Action", "FR_Citation",
]


def parse(paths: Sequence[Path], dataset: str) -> ParsedList:
    path = single_path(paths, "the DPL is one dpl.txt file")
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError:
        text = path.read_bytes().decode("cp1252", errors="strict") if _is_cp1252(path) else None
        if text is None:
            raise SourceError(path, "neither UTF-8 nor Windows-1252 text: wrong encoding?")
    except OSError as exc:
        raise SourceError(path, f"cannot read file: {exc.strerror or exc}") from exc
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter="\t"))
    if not rows or [h.strip() for h in rows[0]] != HEADER:
        raise SourceError(path, "header is not the BIS DPL tab-separated layout")
    groups: dict[str, list[dict[str, str]]] = {}
    for no, row in enumerate(rows[1:], 2):
        if not any(c.strip() for c in row):
            continue
        if len(row) != len(HEADER):
            raise SourceError(path, f"line {no} has {len(row)} fields, expected {len(HEADER)} (truncated?)")
        rec = {h: " ".join(c.split()) for h, c in zip(HEADER, row)}
        if not rec["Name"]:
            raise SourceError(path, f"line {no} has no Name")
        groups.setdefault(rec["Name"], []).append(rec)
    stats: Counter[str] = Counter(rows=sum(map(len, groups.values())))
    warnings: list[str] = []
    entities = [_entity(name, recs, dataset, stats, warnings) for name, recs in groups.items()]
    seen: set[str] = set()
    for entity in entities:  # names differing only in punctuation share a slug
        base, n = entity.id, 2
        while entity.id in seen:
            entity.id, n = f"{base}-{n}", n + 1
        seen.add(entity.id)
    stats["entries"] = len(entities)
    stats["names"] = sum(len(e.names) for e in entities)
    stats["addresses"] = sum(len(e.addresses) for e in entities)
    stats["identifiers"] = 0
    stats["unparsed"] = sum(len(e.unparsed) for e in entities)
    return ParsedList(dataset=dataset, entities=entities, files=[SourceFile.of(path)], stats=dict(stats), warnings=warnings)


def _is_cp1252(path: Path) -> bool:
    try:
        path.read_bytes().decode("cp1252")
        return True
    except UnicodeDecodeError:
        return False


def plausible(iso: str | None, future_years: int = 1, today: date | None = None) -> bool:
    """A list date is plausible from 1900 until `future_years` after today."""
    if not iso:
        return False
    year = int(iso[:4])
    return 1900 <= year <= (today or date.today()).year + future_years


_AKA = re.compile(r"\s+(A/K/A|A\.K\.A\.?|AKA|D/B/A|DBA|F/K/A|F\.K\.A\.?|FKA)\s+", re.I)
_PAREN = re.compile(r"\s*\(([^()]+)\)\s*")
_PAREN_AKA = re.compile(r"^(A/K/A|A\.K\.A\.?|AKA|D/B/A|DBA|F/K/A|F\.K\.A\.?|FKA)\s+", re.I)


def _kind(marker: str) -> NameKind:
    return NameKind.PREVIOUS if marker.upper().replace(".", "").replace("/", "").startswith("FKA") else NameKind.ALIAS


def split_names(raw: str) -> list[Name]:
    """The primary name and the other names written into one Name column."""
    parts = _AKA.split(raw)  # [name, marker, name, marker, name ...]
    head, others = parts[0], [(parts[i], parts[i + 1]) for i in range(1, len(parts) - 1, 2)]
    aliases: list[Name] = []
    paren = _PAREN.search(head)
    if paren:
        inner, after = paren.group(1).strip(), head[paren.end():].strip()
        head = " ".join(f"{head[:paren.start()]} {after}".split())
        marker = _PAREN_AKA.match(inner)
        if marker:  # "PEARL (A.K.A. NEI-CHIEN CHU) LI": the other name is whole
            aliases.append(Name(inner[marker.end():].strip(), _kind(marker.group(1))))
        else:  # "SAMMY (IHSAN MEDHAT) ELASHI": the given names stand in; "ACME (ASMAT)": another name
            aliases.append(Name(f"{inner} {after}".strip() if after and " " not in after else inner, NameKind.ALIAS))
    if not head.strip():  # nothing outside the brackets: the column is the name
        return [Name(raw, NameKind.PRIMARY)]
    names = [Name(head.strip(), NameKind.PRIMARY)]
    names += [Name(n.strip(), _kind(m)) for m, n in others if n.strip()]
    names += [a for a in aliases if a.full and a.full != head]
    return names


def _entity(name: str, recs: list[dict[str, str]], dataset: str, stats: Counter[str], warnings: list[str]) -> Entity:
    e = Entity(id=f"{dataset}:{slugify(name) or 'x'}", dataset=dataset, schema="LegalEntity", caption=name,
               names=split_names(name))
    props: dict[str, list[str]] = {}

    def prop(key: str, value: str | None) -> None:
        if value and value not in props.setdefault(key, []):
            props[key].append(value)

    effective: list[str] = []
    for rec in recs:
        parts = [rec["Street_Address"], rec["City"], rec["State"], rec["Postal_Code"], rec["Country"]]
        if any(parts):
            cc = country_code(rec["Country"]) if rec["Country"] else None
            address = Address(full=", ".join(p for p in parts if p), street=rec["Street_Address"] or None,
                              city=rec["City"] or None, region=rec["State"] or None,
                              postal_code=rec["Postal_Code"] or None, country=cc, country_name=rec["Country"] or None)
            if address not in e.addresses:
                e.addresses.append(address)
            if cc and cc not in e.countries:
                e.countries.append(cc)
        for col, key in (("Effective_Date", "startDate"), ("Expiration_Date", "endDate"), ("Last_Update", "modifiedAt")):
            raw = rec[col]
            if not raw:
                continue
            parsed = parse_date(raw, month_first=True)
            iso = parsed.start if parsed else None
            # Denials run for decades ("DENIED UNTIL 2056"); updates cannot be in the future.
            if not plausible(iso, future_years=100 if col == "Expiration_Date" else 1):
                e.unparsed.append(f"{col} implausible: {raw}")
                warning = f"{name}: implausible {col} {raw!r} kept as text"
                if warning not in warnings:
                    warnings.append(warning)
                stats["implausible_dates"] += 1
                prop(f"{key}Raw", raw)
                continue
            prop(key, iso)
            if col == "Effective_Date":
                effective.append(iso)
        prop("standardOrder", rec["Standard_Order"])
        prop("action", rec["Action"])
        prop("federalRegisterNotice", rec["FR_Citation"])
        remark = re.sub(r"\s+", " ", rec["Action"]).strip()
        if remark and remark not in (e.remarks or ""):
            e.remarks = f"{e.remarks}; {remark}" if e.remarks else remark
    e.listed_on = min(effective) if effective else None
    e.properties = {k: v for k, v in props.items() if v}
    return e
