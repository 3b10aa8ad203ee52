"""OFAC legacy CSV file sets (SDN.CSV + ADD.CSV + ALT.CSV + SDN_COMMENTS.CSV, and CONS_*).

The files have no header, write "-0- " for an empty field, end lines in CRLF
and finish with a lone Ctrl-Z byte. Remarks too long for SDN.CSV continue,
mid-word, in the comments file; they are joined before the remarks are parsed.

Every alt.csv row becomes a Name; every add.csv row is accounted for: rows with
content become an Address, rows that are all "-0-" (OFAC's placeholder for "no
address known") are counted in stats["address_rows_empty"], so
stats["address_rows"] == stats["addresses"] + stats["address_rows_empty"].
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from tamiz.errors import SourceError
from tamiz.model import Address, Entity, Identifier, NameKind
from tamiz.sources.base import ParsedList, SourceFile
from tamiz.sources.countries import country_code
from tamiz.sources.ofac_remarks import (
    apply_remarks,
    decide_schema,
    make_name,
    parse_remarks,
    resolve_relations,
)

PRIMARY, ADDRESS, ALIAS, COMMENTS = "primary", "address", "alias", "comments"

_ROLES = {
    "sdn.csv": PRIMARY,
    "cons_prim.csv": PRIMARY,
    "add.csv": ADDRESS,
    "cons_add.csv": ADDRESS,
    "alt.csv": ALIAS,
    "cons_alt.csv": ALIAS,
    "sdn_comments.csv": COMMENTS,
    "cons_comments.csv": COMMENTS,
}
_WIDTHS = {PRIMARY: 12, ADDRESS: 6, ALIAS: 5, COMMENTS: 2}
_ALT_KINDS = {"aka": NameKind.ALIAS, "fka": NameKind.PREVIOUS, "nka": NameKind.NEW}
_POSTAL = re.compile(r"^(?P<city>.*?)[\s,]+(?P<postal>(?:C\.P\.\s*)?(?:[A-Z]{1,3}-?)?\d[\dA-Z\- ]*)$")


def file_role(path: Path) -> str | None:
    """Which part of an OFAC CSV set a file is, from its name (case-insensitive)."""
    return _ROLES.get(Path(path).name.lower())


@dataclass(frozen=True, slots=True)
class _Row:
    line: int
    fields: list[str | None]


def read_rows(path: Path, role: str) -> list[_Row]:
    """The rows of one OFAC CSV file, with "-0-" as None; SourceError if it is not one."""
    text = _decode(path)
    width = _WIDTHS[role]
    rows: list[_Row] = []
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        for raw in reader:
            line = reader.line_num
            if not raw or (len(raw) == 1 and raw[0].strip() in ("", "\x1a")):
                continue
            if not raw[0].strip().isdigit():
                raise SourceError(path, f"line {line}: first field {raw[0][:30]!r} is not an OFAC entry number")
            if len(raw) != width:
                raise SourceError(
                    path, f"line {line}: expected {width} fields for an OFAC {role} file, found {len(raw)} (truncated or broken row?)"
                )
            rows.append(_Row(line, [_null(v) for v in raw]))
    except csv.Error as exc:
        raise SourceError(path, f"line {reader.line_num}: broken CSV ({exc})") from None
    if not rows:
        raise SourceError(path, "no OFAC rows in file")
    return rows


def _decode(path: Path) -> str:
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise SourceError(path, f"cannot read file ({exc.strerror})") from None
    if not data.strip(b"\r\n\x1a \t"):
        raise SourceError(path, "file is empty")
    if data[:2] in (b"\xff\xfe", b"\xfe\xff") or data[:4] in (b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff"):
        raise SourceError(path, "file is UTF-16/UTF-32 encoded; OFAC CSV files are ASCII/UTF-8 or Windows-1252")
    if b"\x00" in data[:4096]:
        raise SourceError(path, "file contains NUL bytes: binary data or UTF-16 text, not an OFAC CSV file")
    head = data.lstrip(b"\xef\xbb\xbf \r\n\t")[:64].lower()
    if head.startswith((b"<?xml", b"<sdnlist", b"<!doctype", b"<html", b"<")):
        raise SourceError(path, "file is XML/HTML, not an OFAC CSV file (use the OFAC XML parser for SDN.XML)")
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        # OFAC's legacy files are Windows-1252 when not plain ASCII; latin-1 takes
        # the five bytes cp1252 leaves undefined.
        try:
            text = data.decode("cp1252")
        except UnicodeDecodeError:
            text = data.decode("latin-1")
    control = sum(1 for ch in text[:4096] if ord(ch) < 32 and ch not in "\r\n\t\x1a")
    if control > 8:
        raise SourceError(path, "file holds binary data, not an OFAC CSV file")
    return text.rstrip("\x1a\r\n ") + "\r\n"


def _ends_with_eof_marker(path: Path) -> bool:
    with open(path, "rb") as fh:
        fh.seek(0, 2)
        fh.seek(max(0, fh.tell() - 8))
        return b"\x1a" in fh.read()


def _null(value: str) -> str | None:
    value = value.strip()
    return None if value in ("-0-", "") else value


def _programs(value: str | None) -> list[str]:
    if not value:
        return []
    return [p.strip(" []") for p in value.split("] [") if p.strip(" []")]


def parse(paths: Sequence[Path], dataset: str) -> ParsedList:
    """Parse one OFAC CSV file set (primary required; addresses, aliases, comments optional)."""
    by_role: dict[str, Path] = {}
    for path in map(Path, paths):
        role = file_role(path)
        if role is None:
            raise SourceError(path, f"not an OFAC CSV file name; expected one of {', '.join(sorted(_ROLES))}")
        if role in by_role:
            raise SourceError(path, f"two {role} files given ({by_role[role].name} and {path.name})")
        by_role[role] = path
    if PRIMARY not in by_role:
        raise SourceError(", ".join(str(p) for p in paths) or "(no files)", "the primary file (sdn.csv or cons_prim.csv) is missing")

    stats: dict[str, int] = {}
    warnings: list[str] = []
    if not _ends_with_eof_marker(by_role[PRIMARY]):
        # Official OFAC CSVs end with a Ctrl-Z line; a file cut exactly at a row
        # boundary parses cleanly, so this marker is the only sign of truncation.
        stats["missing_eof_marker"] = 1
        warnings.append(f"{by_role[PRIMARY].name}: no end-of-file marker (0x1A): the file may be truncated")
    comments: dict[str, str] = {}
    if COMMENTS in by_role:
        rows = read_rows(by_role[COMMENTS], COMMENTS)
        stats["comment_rows"] = len(rows)
        for row in rows:
            ent, text = row.fields
            comments[str(ent)] = comments.get(str(ent), "") + (text or "")

    entities: dict[str, Entity] = {}
    fragments = 0
    for row in read_rows(by_role[PRIMARY], PRIMARY):
        ent_num = str(row.fields[0])
        if ent_num in entities:
            raise SourceError(by_role[PRIMARY], f"line {row.line}: entry number {ent_num} appears twice")
        remarks_text = (row.fields[11] or "") + comments.pop(ent_num, "")
        entity, kinds = _entity(dataset, row.fields, remarks_text or None)
        fragments += sum(kinds.values())
        entities[ent_num] = entity
    for ent_num in comments:
        warnings.append(f"{by_role[COMMENTS].name}: remarks for entry {ent_num}, which is not in the primary file")

    stats["entries"] = len(entities)
    if ALIAS in by_role:
        _attach_aliases(by_role[ALIAS], entities, stats, warnings)
    if ADDRESS in by_role:
        _attach_addresses(by_role[ADDRESS], entities, stats, warnings)

    ordered = list(entities.values())
    resolve_relations(ordered, stats, warnings)
    stats["names"] = sum(len(e.names) for e in ordered)
    stats["weak_aliases"] = sum(1 for e in ordered for n in e.names if n.kind == NameKind.WEAK_ALIAS)
    stats["identifiers"] = sum(len(e.identifiers) for e in ordered)
    stats["birth_dates"] = sum(len(e.birth_dates) for e in ordered)
    stats["remark_fragments"] = fragments
    stats["unparsed_fragments"] = sum(len(e.unparsed) for e in ordered)
    files = [SourceFile.of(p) for p in by_role.values()]
    return ParsedList(dataset=dataset, entities=ordered, files=files, published=None, stats=stats, warnings=warnings)


def _entity(dataset: str, f: list[str | None], remarks_text: str | None) -> tuple[Entity, dict[str, int]]:
    ent_num, name, sdn_type, program, title, call_sign, vess_type, tonnage, grt, vess_flag, vess_owner, _ = f
    name = " ".join((name or "").split())
    person = (sdn_type or "").lower() == "individual"
    remarks = parse_remarks(remarks_text, person=person)
    schema = decide_schema(sdn_type, name, remarks)
    entity = Entity(
        id=f"{dataset}:{ent_num}",
        dataset=dataset,
        schema=schema,
        caption=name,
        names=[make_name(name, NameKind.PRIMARY, person=person)],
        programs=_programs(program),
        remarks=remarks_text,
    )
    if title:
        entity.titles.append(title)
    for key, value in (
        ("callSign", call_sign),
        ("type", vess_type),
        ("tonnage", tonnage),
        ("grossRegisteredTonnage", grt),
        ("owner", vess_owner),
    ):
        if value:
            entity.properties[key] = [value]
    if call_sign:
        entity.identifiers.append(Identifier("call_sign", call_sign, label="Call Sign"))
    if vess_flag:
        code = country_code(vess_flag)
        entity.properties["flag"] = [code or vess_flag]
        if code:
            entity.countries.append(code)
    apply_remarks(entity, remarks)
    return entity, remarks.kinds


def _attach_aliases(path: Path, entities: dict[str, Entity], stats: dict[str, int], warnings: list[str]) -> None:
    rows = read_rows(path, ALIAS)
    attached = 0
    for row in rows:
        ent_num, _alt_num, alt_type, alt_name, alt_remarks = row.fields
        entity = entities.get(str(ent_num))
        if entity is None or not alt_name:
            warnings.append(f"{path.name} line {row.line}: alias for entry {ent_num} " + ("with no name" if entity else "not in the primary file"))
            continue
        kind = _ALT_KINDS.get((alt_type or "aka").lower().strip(". "))
        if kind is None:
            warnings.append(f"{path.name} line {row.line}: unknown alias type {alt_type!r}, kept as a.k.a.")
            kind = NameKind.ALIAS
        entity.names.append(make_name(alt_name, kind, person=entity.schema == "Person"))
        if alt_remarks:
            entity.properties.setdefault("notes", []).append(f"{alt_name}: {alt_remarks}")
        attached += 1
    stats["alias_rows"] = len(rows)
    stats["aliases"] = attached


def _attach_addresses(path: Path, entities: dict[str, Entity], stats: dict[str, int], warnings: list[str]) -> None:
    rows = read_rows(path, ADDRESS)
    attached = empty = 0
    for row in rows:
        ent_num, _add_num, street, city_line, country_name, add_remarks = row.fields
        entity = entities.get(str(ent_num))
        if entity is None:
            warnings.append(f"{path.name} line {row.line}: address for entry {ent_num}, which is not in the primary file")
            continue
        if not (street or city_line or country_name or add_remarks):
            empty += 1
            continue
        entity.addresses.append(make_address(street, city_line, country_name, add_remarks))
        code = country_code(country_name)
        if code and code not in entity.countries:
            entity.countries.append(code)
        attached += 1
    stats["address_rows"] = len(rows)
    stats["addresses"] = attached
    stats["address_rows_empty"] = empty


def make_address(street: str | None, city_line: str | None, country_name: str | None, remarks: str | None = None) -> Address:
    """An Address from OFAC's street / "city state postcode" / country fields.

    A trailing token group with digits in the city field ("London EC3N 1DY",
    "Zurich CH-8022") is taken as the postal code; the rest stays the city.
    """
    city, postal = city_line, None
    if city_line and (m := _POSTAL.match(city_line)) and m["city"].strip(" ,"):
        city, postal = m["city"].strip(" ,"), m["postal"].strip()
    full = ", ".join(p for p in (street, city_line, country_name) if p)
    if remarks:
        full = f"{full} ({remarks})" if full else remarks
    return Address(
        full=full,
        street=street,
        city=city,
        postal_code=postal,
        country=country_code(country_name),
        country_name=country_name,
    )
