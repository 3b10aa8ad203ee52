"""A firm's own watch lists: CSV, JSON or JSON lines in one documented layout.

Former customers exited for cause, or front companies named in enforcement
news before any official listing, belong in the same store as the official
lists so that they are versioned, screened and audited the same way. The
layout (see docs/lists.md) is deliberately strict: an unknown column, a
duplicate id, an unreadable date or country is an error naming the file, line
and column, because a typo silently dropping a date of birth would weaken
every screening against the list.

Multi-valued cells are `;`-separated in CSV; in JSON they may also be arrays.
Ids are `<dataset>:<id>`.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tamiz.errors import SourceError, UnknownDataset
from tamiz.model import IDENTIFIER_TYPES, SCHEMAS, Address, Entity, Identifier, Name, NameKind, Relation
from tamiz.sources.base import ParsedList, SourceFile, json_lines
from tamiz.sources.countries import country_code
from tamiz.sources.dates import parse_date
from tamiz.sources.idtypes import identifier_type

FORMAT = "internal"
PARSER = "tamiz.sources.internal:parse"
REQUIRED = ("id", "name")
COLUMNS = (
    "id", "name", "schema", "aliases", "weak_aliases", "previous_names", "birth_date", "birth_place",
    "gender", "nationality", "country", "id_numbers", "address", "program", "reason", "listed_on",
    "notes", "linked_to",
)
_NAME_RE = re.compile(r"^[a-z0-9_]+$")
_SCHEMA_WORDS = {s.lower(): s for s in SCHEMAS} | {
    "individual": "Person", "organisation": "Organization", "entity": "Organization",
    "ship": "Vessel", "aircraft": "Airplane", "legal_entity": "LegalEntity",
}
_GENDERS = {"m": "male", "male": "male", "f": "female", "female": "female"}
_JSON_SUFFIXES = {".json", ".jsonl", ".ndjson"}


@dataclass(frozen=True, slots=True)
class Row:
    """One record with where it came from, so every error can point at it."""

    path: Path
    line: int
    values: dict[str, Any]

    def error(self, column: str | None, problem: str) -> SourceError:
        where = f"line {self.line}" + (f", column {column!r}" if column else "")
        return SourceError(self.path, f"{where}: {problem}")

    def items(self, column: str) -> list[str]:
        """The cell's values: a JSON array, or text split on ';'."""
        raw = self.values.get(column)
        if raw is None:
            return []
        parts = raw if isinstance(raw, list) else str(raw).split(";")
        out: list[str] = []
        for part in parts:
            if isinstance(part, (dict, list)):
                raise self.error(column, "expected text or a list of text")
            text = " ".join(str(part).split())
            if text and text not in out:
                out.append(text)
        return out

    def text(self, column: str) -> str:
        raw = self.values.get(column)
        if isinstance(raw, (dict, list)):
            raise self.error(column, "expected a single text value")
        return " ".join(str(raw).split()) if raw is not None else ""


def validate_dataset_name(name: str) -> str:
    """An internal list's name: lowercase `[a-z0-9_]+`, never an official dataset's name.

    A name the registry maps to this very parser (an operator's TAMIZ_SOURCES
    entry for an internal list) is allowed; any other registry name is refused
    so a firm's file can never land as, say, a version of the OFAC SDN list.
    """
    from tamiz.sources.registry import load_registry

    if not _NAME_RE.match(name or ""):
        raise UnknownDataset(f"invalid internal list name {name!r}: use lowercase letters, digits and '_' only")
    spec = load_registry().get(name)
    if spec is not None and spec.parser != PARSER:
        raise UnknownDataset(f"{name!r} is an official dataset ({spec.title}); choose another name for an internal list")
    return name


def parse(paths: Sequence[Path], dataset: str) -> ParsedList:
    validate_dataset_name(dataset)
    if not paths:
        raise SourceError("(none)", "an internal list needs at least one CSV or JSON file")
    rows: list[Row] = []
    files: list[SourceFile] = []
    for path in map(Path, paths):
        rows.extend(_read(path))
        files.append(SourceFile.of(path))
    if not rows:
        raise SourceError(", ".join(map(str, paths)), "no records: the internal list is empty")
    seen: dict[str, Row] = {}
    for row in rows:
        for column in REQUIRED:
            if not row.text(column):
                raise row.error(column, f"required column {column!r} is empty")
        rid = row.text("id")
        if ":" in rid or len(rid) > 200:
            raise row.error("id", f"id {rid!r} must not contain ':' and must be at most 200 characters")
        if rid in seen:
            first = seen[rid]
            raise row.error("id", f"duplicate id {rid!r} (first used at {first.path.name} line {first.line})")
        seen[rid] = row
    stats: Counter[str] = Counter(rows=len(rows))
    entities = [_entity(row, dataset, seen, stats) for row in rows]
    stats["entries"] = len(entities)
    stats["names"] = sum(len(e.names) for e in entities)
    stats["identifiers"] = sum(len(e.identifiers) for e in entities)
    stats["addresses"] = sum(len(e.addresses) for e in entities)
    stats["birth_dates"] = sum(len(e.birth_dates) for e in entities)
    stats["unparsed"] = 0
    return ParsedList(dataset=dataset, entities=entities, files=files, stats=dict(stats))


# --- reading files --------------------------------------------------------------------------


def _read(path: Path) -> list[Row]:
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except OSError as exc:
        raise SourceError(path, f"cannot read file: {exc.strerror or exc}") from exc
    except UnicodeDecodeError as exc:
        raise SourceError(path, f"not UTF-8 text (byte {exc.start}): save the internal list as UTF-8") from exc
    stripped = text.lstrip()
    if path.suffix.lower() in _JSON_SUFFIXES or stripped[:1] in ("[", "{"):
        rows = list(_json_rows(path, text))
    else:
        rows = list(_csv_rows(path, text))
    for row in rows:
        unknown = sorted(k for k in row.values if k not in COLUMNS)
        if unknown:
            raise row.error(unknown[0], f"unknown column {unknown[0]!r}; the internal list columns are: {', '.join(COLUMNS)}")
    return rows


def _csv_rows(path: Path, text: str) -> Iterator[Row]:
    reader = csv.reader(io.StringIO(text, newline=""))
    header: list[str] | None = None
    for record in reader:
        if not any(cell.strip() for cell in record):
            continue
        if header is None:
            header = [h.strip().lower() for h in record]
            missing = [c for c in REQUIRED if c not in header]
            if missing:
                raise SourceError(path, f"line {reader.line_num}: missing required column {missing[0]!r} in the header")
            dupes = [h for h, n in Counter(header).items() if n > 1 and h]
            if dupes:
                raise SourceError(path, f"line {reader.line_num}: column {dupes[0]!r} appears twice in the header")
            continue
        if len(record) > len(header) and any(c.strip() for c in record[len(header):]):
            raise SourceError(path, f"line {reader.line_num}: {len(record)} cells but the header has {len(header)} columns")
        values = {h: record[i] for i, h in enumerate(header) if h and i < len(record) and record[i].strip()}
        yield Row(path, reader.line_num, values)
    if header is None:
        raise SourceError(path, "empty file: expected a header line with at least 'id' and 'name'")


def _json_rows(path: Path, text: str) -> Iterator[Row]:
    stripped = text.lstrip()
    if stripped.startswith("["):
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise SourceError(path, f"line {exc.lineno}: not valid JSON: {exc.msg}") from exc
        except RecursionError:
            raise SourceError(path, "JSON nested too deeply to be a watch list") from None
        line_of = _object_lines(text)
        for i, item in enumerate(data):
            yield _json_row(path, line_of[i] if i < len(line_of) else 0, item)
        return
    for no, item in json_lines(path, text.splitlines(), "a watch list entry"):
        yield _json_row(path, no, item)


def _json_row(path: Path, line: int, item: Any) -> Row:
    if not isinstance(item, dict):
        raise SourceError(path, f"line {line}: expected a JSON object per record")
    values = {str(k).strip().lower(): v for k, v in item.items() if v not in (None, "", [])}
    missing = [c for c in REQUIRED if c not in values]
    if missing:
        raise SourceError(path, f"line {line}, column {missing[0]!r}: missing required column {missing[0]!r}")
    return Row(path, line, values)


def _object_lines(text: str) -> list[int]:
    """Line numbers where each top-level object of a JSON array starts."""
    lines: list[int] = []
    depth, line, in_str, escape = 0, 1, False, False
    for ch in text:
        if ch == "\n":
            line += 1
        if in_str:
            escape = not escape and ch == "\\"
            if ch == '"' and not escape:
                in_str = False
            continue
        if ch == '"':
            in_str = True
        elif ch in "[{":
            if depth == 1 and ch == "{":
                lines.append(line)
            depth += 1
        elif ch in "]}":
            depth -= 1
    return lines


# --- one record → Entity ----------------------------------------------------------------------


def _entity(row: Row, dataset: str, ids: dict[str, Row], stats: Counter[str]) -> Entity:
    rid = row.text("id")
    schema = _schema(row)
    primary = Name(row.text("name"))
    names = [primary]
    for column, kind in (("aliases", NameKind.ALIAS), ("weak_aliases", NameKind.WEAK_ALIAS), ("previous_names", NameKind.PREVIOUS)):
        for value in row.items(column):
            name = Name(value, kind)
            if all(n.full != value for n in names):
                names.append(name)
    e = Entity(id=f"{dataset}:{rid}", dataset=dataset, schema=schema, caption=primary.full, names=names)
    for value in row.items("birth_date"):
        date = parse_date(value)
        if date is None:
            raise row.error("birth_date", f"not a date: {value!r} (use YYYY, YYYY-MM or YYYY-MM-DD)")
        if date not in e.birth_dates:
            e.birth_dates.append(date)
    e.birth_places = row.items("birth_place")
    gender = row.text("gender").lower()
    if gender:
        if gender not in _GENDERS:
            raise row.error("gender", f"not a gender: {gender!r} (use male or female)")
        e.gender = _GENDERS[gender]
    e.nationalities = _countries(row, "nationality")
    e.countries = _countries(row, "country")
    e.identifiers = [_identifier(row, value) for value in row.items("id_numbers")]
    for value in row.items("address"):
        tail = value.rsplit(",", 1)[-1].strip()
        code = country_code(tail) if "," in value else None
        e.addresses.append(Address(full=value, country=code, country_name=tail if code else None))
        if code and code not in e.countries:
            e.countries.append(code)
    e.programs = row.items("program")
    reason = row.text("reason")
    if reason:
        e.properties["reason"] = [reason]
    listed = row.text("listed_on")
    if listed:
        date = parse_date(listed)
        if date is None:
            raise row.error("listed_on", f"not a date: {listed!r} (use YYYY-MM-DD)")
        e.listed_on = date.start
    e.remarks = row.text("notes") or None
    for target in row.items("linked_to"):
        if target not in ids:
            raise row.error("linked_to", f"links to id {target!r}, which is not in this list")
        if target == rid:
            raise row.error("linked_to", "a record cannot link to itself")
        e.relations.append(Relation("linked_to", ids[target].text("name"), f"{dataset}:{target}"))
        stats["relations"] += 1
    return e


def _schema(row: Row) -> str:
    value = row.text("schema")
    if not value:
        return "LegalEntity"
    schema = _SCHEMA_WORDS.get(value.lower().replace(" ", "_")) or _SCHEMA_WORDS.get(value.lower().replace(" ", ""))
    if schema is None:
        raise row.error("schema", f"unknown schema {value!r}; use one of {', '.join(SCHEMAS)}")
    return schema


def _countries(row: Row, column: str) -> list[str]:
    out: list[str] = []
    for value in row.items(column):
        code = country_code(value)
        if code is None:
            raise row.error(column, f"not a country: {value!r} (use a name or an ISO code such as 'mx')")
        if code not in out:
            out.append(code)
    return out


def _identifier(row: Row, value: str) -> Identifier:
    """`type:value`; without a recognisable type prefix the whole text is an "other" number."""
    label, sep, number = value.partition(":")
    key = label.strip().lower().replace(" ", "_").replace("-", "_")
    if sep and number.strip():
        if key in IDENTIFIER_TYPES:
            return Identifier(type=key, value=number.strip(), label=label.strip())
        guessed = identifier_type(label)
        if guessed != "other":
            return Identifier(type=guessed, value=number.strip(), label=label.strip())
    if sep and not number.strip():
        raise row.error("id_numbers", f"{value!r} has a type but no number")
    return Identifier(type="other", value=value)
