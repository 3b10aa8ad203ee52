"""Stream rows out of customer files (CSV, JSON lines, Parquet) without loading them.

Each reader yields `RawRow`s in file order: a row that cannot be read (bad
encoding bytes, broken JSON) is still yielded, with its problem, so it lands in
the errors file and chunk boundaries stay the same on every pass over the file.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tamiz.errors import TamizError

SAMPLE_BYTES = 64 * 1024
EXCERPT = 200
_BAD_BYTES = re.compile("[\udc80-\udcff]")
FORMATS = {
    ".csv": "csv", ".tsv": "csv", ".txt": "csv", ".psv": "csv",
    ".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "jsonl",
    ".parquet": "parquet", ".pq": "parquet",
}


class InputError(TamizError):
    pass


@dataclass(slots=True)
class RawRow:
    line: int  # physical line (CSV: last line of the record; JSONL: line; Parquet: row number)
    values: dict[str, Any] | None  # None when the row could not be read
    problem: str | None = None
    excerpt: str = ""


def detect_format(path: Path, given: str | None = None) -> str:
    if given:
        if given not in ("csv", "jsonl", "parquet"):
            raise InputError(f"{path}: unknown input format {given!r}; use csv, jsonl or parquet")
        return given
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        with open(path, "rb") as fh:
            head = fh.read(4)
        fmt = "parquet" if head == b"PAR1" else "csv"
    return fmt


def sniff_encoding(sample: bytes) -> str:
    """utf-8 (with or without BOM) when the sample decodes, else cp1252, else latin-1."""
    cut = sample.rfind(b"\n")
    body = sample[: cut + 1] if 0 < cut < len(sample) - 1 and len(sample) >= SAMPLE_BYTES else sample
    for enc in ("utf-8-sig", "cp1252"):
        try:
            body.decode(enc)
            return enc
        except UnicodeDecodeError:
            continue
    return "latin-1"


def sniff_delimiter(text: str) -> str:
    lines = [ln for ln in text.splitlines() if ln.strip()][:50]
    if not lines:
        return ","
    try:
        return csv.Sniffer().sniff("\n".join(lines), delimiters=",;\t|").delimiter
    except csv.Error:
        counts = {d: lines[0].count(d) for d in ",;\t|"}
        best = max(counts, key=lambda d: counts[d])
        return best if counts[best] else ","


class Reader:
    """Rows of one input file; `columns` is known before the first row is read."""

    format: str
    columns: list[str]

    def rows(self) -> Iterator[RawRow]:  # pragma: no cover - interface
        raise NotImplementedError

    def estimate_rows(self) -> int | None:
        return None


class CsvReader(Reader):
    format = "csv"

    def __init__(self, path: Path, delimiter: str | None = None, encoding: str | None = None):
        self.path = path
        with open(path, "rb") as fh:
            sample = fh.read(SAMPLE_BYTES)
        self.encoding = encoding or sniff_encoding(sample)
        text = sample.decode(self.encoding, errors="replace")
        self.delimiter = delimiter or sniff_delimiter(text)
        with self._open() as fh:
            header = next(csv.reader(fh, delimiter=self.delimiter), None)
        if not header:
            raise InputError(f"{path}: empty file, or no header line")
        self.columns = [h.strip().lstrip("\ufeff") for h in header]
        if _BAD_BYTES.search("".join(self.columns)):
            raise InputError(f"{path}: header is not valid {self.encoding}; give --encoding")

    def _open(self) -> io.TextIOWrapper:
        try:
            return open(self.path, encoding=self.encoding, errors="surrogateescape", newline="")
        except LookupError:
            raise InputError(f"{self.path}: unknown encoding {self.encoding!r}") from None

    def rows(self) -> Iterator[RawRow]:
        with self._open() as fh:
            reader = csv.reader(fh, delimiter=self.delimiter)
            next(reader, None)
            cols = self.columns
            width = len(cols)
            while True:
                try:
                    record = next(reader)
                except StopIteration:
                    return
                except csv.Error as exc:
                    yield RawRow(reader.line_num, None, f"unreadable CSV record: {exc}", "")
                    continue
                if not record or (len(record) == 1 and not record[0].strip()):
                    continue
                joined = self.delimiter.join(record)
                if _BAD_BYTES.search(joined):
                    excerpt = joined.encode("utf-8", "surrogateescape").decode(self.encoding, "replace")[:EXCERPT]
                    yield RawRow(reader.line_num, None, f"bytes that are not valid {self.encoding}", excerpt)
                    continue
                if len(record) < width:
                    record = record + [""] * (width - len(record))
                yield RawRow(reader.line_num, dict(zip(cols, record)), None, joined[:EXCERPT])

    def estimate_rows(self) -> int | None:
        return max(0, count_lines(self.path) - 1)


class JsonlReader(Reader):
    format = "jsonl"

    def __init__(self, path: Path, encoding: str | None = None):
        self.path = path
        self.encoding = encoding or "utf-8-sig"
        cols: dict[str, None] = {}
        with open(path, encoding=self.encoding, errors="replace") as fh:
            for i, line in enumerate(fh):
                if i >= 200:
                    break
                try:
                    obj = json.loads(line)
                except ValueError:
                    continue
                if isinstance(obj, dict):
                    cols.update(dict.fromkeys(obj))
        if not cols:
            raise InputError(f"{path}: no JSON objects in the first lines; expected one JSON object per line")
        self.columns = list(cols)

    def rows(self) -> Iterator[RawRow]:
        with open(self.path, "rb") as fh:
            for number, raw in enumerate(fh, start=1):
                if not raw.strip():
                    continue
                try:
                    line = raw.decode(self.encoding)
                except UnicodeDecodeError:
                    yield RawRow(number, None, f"bytes that are not valid {self.encoding}",
                                 raw.decode(self.encoding, "replace")[:EXCERPT])
                    continue
                try:
                    obj = json.loads(line)
                except ValueError as exc:
                    yield RawRow(number, None, f"invalid JSON: {exc}", line[:EXCERPT])
                    continue
                if not isinstance(obj, dict):
                    yield RawRow(number, None, "not a JSON object", line[:EXCERPT])
                    continue
                yield RawRow(number, obj, None, line.strip()[:EXCERPT])

    def estimate_rows(self) -> int | None:
        return count_lines(self.path)


class ParquetReader(Reader):
    format = "parquet"

    def __init__(self, path: Path, batch_size: int = 4096):
        import pyarrow.parquet as pq

        self.path = path
        self.batch_size = batch_size
        try:
            self._file = pq.ParquetFile(path)
        except Exception as exc:  # pyarrow raises several types for a bad file
            raise InputError(f"{path}: not a readable Parquet file: {exc}") from None
        self.columns = list(self._file.schema_arrow.names)

    def rows(self) -> Iterator[RawRow]:
        number = 0
        for batch in self._file.iter_batches(batch_size=self.batch_size):
            for record in batch.to_pylist():
                number += 1
                yield RawRow(number, record, None, "")

    def estimate_rows(self) -> int | None:
        return self._file.metadata.num_rows


def open_reader(path: Path, fmt: str | None = None, delimiter: str | None = None, encoding: str | None = None) -> Reader:
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: no such file")
    kind = detect_format(path, fmt)
    if kind == "parquet":
        return ParquetReader(path)
    if kind == "jsonl":
        return JsonlReader(path, encoding)
    return CsvReader(path, delimiter, encoding)


def count_lines(path: Path, cheap_limit: int = 2 << 30) -> int | None:
    """Newlines in the file, when the file is small enough to count quickly."""
    size = path.stat().st_size
    if size > cheap_limit:
        return None
    count = 0
    last = b"\n"
    with open(path, "rb") as fh:
        while block := fh.read(1 << 20):
            count += block.count(b"\n")
            last = block[-1:]
    return count + (0 if last == b"\n" else 1)
