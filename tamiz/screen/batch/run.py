"""`screen_file`: a customer file in, one row per hit out, resumable at chunk boundaries."""

from __future__ import annotations

import itertools
import json
import logging
import os
import time
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tamiz.errors import TamizError
from tamiz.screen.batch.checkpoint import Checkpoint, checkpoint_path, input_fingerprint
from tamiz.screen.batch.mapping import ColumnMapping
from tamiz.screen.batch.pool import ChunkPool, ScreenerFactory
from tamiz.screen.batch.readers import RawRow, Reader, open_reader
from tamiz.screen.batch.rows import ChunkResult, QueryCache, screen_chunk
from tamiz.screen.batch.stats import RunStats
from tamiz.screen.batch.writers import ERROR_COLUMNS, CsvRows, errors_path, open_hits, output_format, resolve_output

log = logging.getLogger(__name__)
DEFAULT_CHUNK = 1000


class BatchInterrupted(TamizError):
    pass


@dataclass(slots=True)
class BatchSummary:
    input: str
    output: str
    format: str
    rows: int
    screened: int
    errors: int
    hits: int
    rows_with_hits: int
    seconds: float  # screening time over all runs, resumed ones included
    workers: int
    resumed_from_row: int
    errors_file: str | None
    report: str | None
    datasets: list[dict[str, Any]] = field(default_factory=list)
    stats: RunStats = field(default_factory=RunStats, repr=False)

    def to_dict(self) -> dict[str, Any]:
        out = {k: getattr(self, k) for k in self.__slots__ if k != "stats"}  # type: ignore[attr-defined]
        out["rows_per_second"] = round(self.screened / self.seconds, 1) if self.seconds else None
        return out


def screen_file(
    input: str | Path,
    output: str | Path,
    *,
    screener: Any = None,
    screener_factory: ScreenerFactory | None = None,
    db: str | None = None,
    datasets: list[str] | None = None,
    workers: int | None = None,
    mapping: ColumnMapping | None = None,
    input_format: str | None = None,
    out_format: str | None = None,
    delimiter: str | None = None,
    encoding: str | None = None,
    threshold: float | None = None,
    limit: int = 10,
    chunk_size: int = DEFAULT_CHUNK,
    resume: bool = True,
    report: str | Path | None = None,
    out_dir: str | Path | None = None,
    progress: bool = False,
) -> BatchSummary:
    """Screen every row of `input`; write hits to `output` (CSV, JSONL or Parquet).

    With `resume` (the default) a checkpoint left by an interrupted run of the
    same input and settings is continued from the next chunk; otherwise the
    run starts over. Workers default to all cores.
    """
    input = Path(input)
    output = resolve_output(output, out_dir)
    report_path = resolve_output(report, out_dir) if report else None
    fmt = output_format(output, out_format)
    reader = open_reader(input, input_format, delimiter, encoding)
    resolved = (mapping or ColumnMapping()).resolve(reader.columns, str(input))
    if screener is None:
        if screener_factory is not None:
            screener = screener_factory()
        else:
            from tamiz.screen.screener import Screener

            screener = Screener.open(db, datasets=datasets)
    workers = max(1, workers if workers is not None else (os.cpu_count() or 1))

    settings = json.loads(json.dumps({
        "mapping": resolved.to_dict(), "threshold": threshold, "limit": limit,
        "lists": getattr(screener, "state", ""), "input_format": reader.format,
        "delimiter": getattr(reader, "delimiter", None), "encoding": getattr(reader, "encoding", None),
    }))
    cp_path = checkpoint_path(output)
    fresh = Checkpoint(str(input.resolve()), input_fingerprint(input), chunk_size, fmt, settings)
    cp = fresh
    old = Checkpoint.load(cp_path) if resume and cp_path.exists() else None
    if old is not None and old.matches(fresh):
        cp = old
        log.info("resuming %s from chunk %d (%d rows done)", output, old.next_chunk, old.rows_done)
    elif old is not None:
        log.warning("%s: checkpoint is for another input or other settings; starting over", cp_path)
    resuming = cp is old
    stats = RunStats.from_dict(cp.stats) if resuming else RunStats()
    hits_out = open_hits(output, fmt, cp.output_bytes if resuming else None)
    errors_out = CsvRows(errors_path(output), ERROR_COLUMNS, cp.errors_bytes if resuming else None)
    resumed_from = cp.rows_done if resuming else 0
    if not resuming:
        cp.output_bytes, cp.errors_bytes = hits_out.commit(), errors_out.commit()
        cp.save(cp_path)

    pool = ChunkPool(workers, screener, screener_factory) if workers > 1 else None
    started = time.monotonic()
    base_seconds = stats.seconds
    bar = _progress(progress, reader, resumed_from)
    aborted = False
    try:
        chunks = _chunks(reader, chunk_size, cp.next_chunk)
        results: Iterator[ChunkResult]
        if pool is None:
            cache = QueryCache()
            results = (screen_chunk(i, rows, screener, resolved, threshold, limit, cache) for i, rows in chunks)
        else:
            results = pool.run(chunks, resolved, threshold, limit)
        record = getattr(screener, "record", None)
        for result in results:
            hits_out.write(result.hits)
            errors_out.write(result.errors)
            cp.output_bytes, cp.errors_bytes = hits_out.commit(), errors_out.commit()
            if record is not None and result.audit:
                # Before the checkpoint: a crash here re-screens (and re-audits) the
                # chunk on resume, so no screening ever goes unrecorded.
                record("batch", screener.batch_audit_payload(str(input), result.audit, threshold, result.index),
                       durable=True)
            stats.add_chunk(result.rows, result.screened, len(result.errors), result.hits)
            stats.seconds = base_seconds + time.monotonic() - started
            cp.next_chunk, cp.rows_done, cp.stats = result.index + 1, cp.rows_done + result.rows, stats.to_dict()
            cp.save(cp_path)
            if bar is not None:
                bar[0].advance(bar[1], result.rows)
    except KeyboardInterrupt:
        aborted = True
        raise BatchInterrupted(
            f"{input}: interrupted after {cp.rows_done} rows; run the same command again to resume") from None
    finally:
        if pool is not None:
            pool.close(abort=aborted)
        if bar is not None:
            bar[0].stop()
        if aborted:
            hits_out.file.close()
            errors_out.file.close()

    hits_out.finish()
    errors_out.finish()
    err_file: Path | None = errors_path(output)
    if stats.errors == 0 and err_file is not None:
        err_file.unlink(missing_ok=True)
        err_file = None
    summary = BatchSummary(
        input=str(input), output=str(output), format=fmt, rows=stats.rows, screened=stats.screened,
        errors=stats.errors, hits=stats.hits, rows_with_hits=stats.rows_with_hits, seconds=round(stats.seconds, 3),
        workers=workers, resumed_from_row=resumed_from, errors_file=str(err_file) if err_file else None,
        report=str(report_path) if report_path else None,
        datasets=[s.to_dict() for s in screener.status()] if hasattr(screener, "status") else [], stats=stats,
    )
    sidecar = output.with_name(output.name + ".summary.json")
    sidecar.write_text(json.dumps(summary.to_dict(), indent=2, ensure_ascii=False, default=str), encoding="utf-8")
    if report_path is not None:
        from tamiz.screen.batch.report import write_report

        write_report(report_path, summary)
    cp_path.unlink(missing_ok=True)
    return summary


def _chunks(reader: Reader, size: int, start: int) -> Iterator[tuple[int, list[RawRow]]]:
    rows = reader.rows()
    if start:
        deque(itertools.islice(rows, start * size), maxlen=0)  # chunks already committed
    index = start
    while True:
        chunk = list(itertools.islice(rows, size))
        if not chunk:
            return
        yield index, chunk
        index += 1


def _progress(enabled: bool, reader: Reader, done: int):
    if not enabled:
        return None
    from rich.console import Console
    from rich.progress import (BarColumn, MofNCompleteColumn, Progress, TaskProgressColumn, TextColumn,
                               TimeElapsedColumn, TimeRemainingColumn)

    total = reader.estimate_rows()
    bar = Progress(TextColumn("screening"), BarColumn(), MofNCompleteColumn(), TaskProgressColumn(),
                   TextColumn("{task.fields[rate]}"), TimeElapsedColumn(), TimeRemainingColumn(),
                   console=Console(stderr=True))
    task = bar.add_task("rows", total=total, completed=done, rate="")
    bar.start()

    class _Bar:
        def advance(self, t: Any, n: int) -> None:
            bar.advance(t, n)
            speed = bar.tasks[0].speed
            bar.update(t, rate=f"{speed:,.0f} rows/s" if speed else "")

        def stop(self) -> None:
            bar.stop()

    return _Bar(), task
