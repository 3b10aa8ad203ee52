"""Append-only output files that can be cut back to a committed size.

Resume works on byte offsets: after each chunk the file is flushed and fsynced
and its size goes into the checkpoint; a resumed run truncates the file to that
size, so rows from a chunk that was written only in part are dropped and
written again once. Parquet cannot be appended to, so Parquet output is
spooled as JSON lines and converted when the run completes.
"""

from __future__ import annotations

import csv
import io
import json
import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from tamiz.errors import TamizError

HIT_COLUMNS = ("key", "line", "name", "entity_id", "caption", "schema", "score", "match", "datasets", "programs",
               "explanation")
ERROR_COLUMNS = ("line", "key", "problem", "excerpt")
OUTPUT_FORMATS = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "jsonl", ".parquet": "parquet",
                  ".pq": "parquet"}
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


class OutputError(TamizError):
    pass


def output_format(path: Path, given: str | None = None) -> str:
    fmt = given or OUTPUT_FORMATS.get(path.suffix.lower())
    if fmt not in ("csv", "jsonl", "parquet"):
        raise OutputError(f"{path}: cannot tell the output format from the extension; use --format csv|jsonl|parquet")
    return fmt


def safe_cell(value: Any) -> str:
    """A cell a spreadsheet will show as text, never run as a formula."""
    if value is None:
        return ""
    if isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, (list, tuple)):
        text = ";".join(str(v) for v in value)
    else:
        text = str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def resolve_output(path: Path | str, out_dir: Path | str | None) -> Path:
    """The output path, refused when it would land outside `out_dir`."""
    path = Path(path)
    if out_dir is None:
        return path
    base = Path(out_dir).resolve()
    target = (base / path).resolve()
    if not target.is_relative_to(base):
        raise OutputError(f"{path}: output path escapes the output folder {base}")
    return target


class _ByteFile:
    """A binary file opened for appending at a known committed size."""

    def __init__(self, path: Path, resume_at: int | None):
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        if resume_at is not None and path.exists() and path.stat().st_size >= resume_at:
            self.fh = open(path, "r+b")
            self.fh.truncate(resume_at)
            self.fh.seek(resume_at)
            self.fresh = False
        else:
            self.fh = open(path, "wb")
            self.fresh = True

    def write(self, data: bytes) -> None:
        self.fh.write(data)

    def commit(self) -> int:
        self.fh.flush()
        os.fsync(self.fh.fileno())
        return self.fh.tell()

    def close(self) -> None:
        self.fh.close()


class CsvRows:
    def __init__(self, path: Path, columns: Sequence[str], resume_at: int | None = None):
        self.columns = tuple(columns)
        self.file = _ByteFile(path, resume_at)
        if self.file.fresh:
            self._emit([self.columns])

    def _emit(self, rows: Iterable[Sequence[str]]) -> None:
        buf = io.StringIO()
        csv.writer(buf, lineterminator="\r\n").writerows(rows)
        self.file.write(buf.getvalue().encode("utf-8"))

    def write(self, records: Iterable[dict[str, Any]]) -> None:
        self._emit([safe_cell(r.get(c)) for c in self.columns] for r in records)

    def commit(self) -> int:
        return self.file.commit()

    def finish(self) -> None:
        self.file.commit()
        self.file.close()


class JsonlRows:
    def __init__(self, path: Path, columns: Sequence[str], resume_at: int | None = None):
        self.columns = tuple(columns)
        self.file = _ByteFile(path, resume_at)

    def write(self, records: Iterable[dict[str, Any]]) -> None:
        lines = [json.dumps({c: r.get(c) for c in self.columns}, ensure_ascii=False) + "\n" for r in records]
        self.file.write("".join(lines).encode("utf-8"))

    def commit(self) -> int:
        return self.file.commit()

    def finish(self) -> None:
        self.file.commit()
        self.file.close()


class ParquetRows(JsonlRows):
    """JSON lines spool beside the target; converted to Parquet in record batches at the end."""

    def __init__(self, path: Path, columns: Sequence[str], resume_at: int | None = None):
        self.target = path
        super().__init__(spool_path(path), columns, resume_at)

    def finish(self) -> None:
        super().finish()
        import pyarrow as pa
        import pyarrow.parquet as pq

        schema = pa.schema([
            ("key", pa.string()), ("line", pa.int64()), ("name", pa.string()), ("entity_id", pa.string()),
            ("caption", pa.string()), ("schema", pa.string()), ("score", pa.float64()), ("match", pa.bool_()),
            ("datasets", pa.list_(pa.string())), ("programs", pa.list_(pa.string())), ("explanation", pa.string()),
        ])
        tmp = self.target.with_name(self.target.name + ".tmp")
        with pq.ParquetWriter(tmp, schema) as writer, open(self.file.path, encoding="utf-8") as spool:
            batch: list[dict[str, Any]] = []
            for line in spool:
                batch.append(json.loads(line))
                if len(batch) >= 50_000:
                    writer.write_table(pa.Table.from_pylist(batch, schema=schema))
                    batch = []
            if batch:
                writer.write_table(pa.Table.from_pylist(batch, schema=schema))
        tmp.replace(self.target)
        self.file.path.unlink()


def spool_path(path: Path) -> Path:
    return path.with_name(path.name + ".spool.jsonl")


def open_hits(path: Path, fmt: str, resume_at: int | None = None) -> CsvRows | JsonlRows:
    cls = {"csv": CsvRows, "jsonl": JsonlRows, "parquet": ParquetRows}[fmt]
    return cls(path, HIT_COLUMNS, resume_at)


def errors_path(path: Path) -> Path:
    return path.with_name(path.name + ".errors.csv")
