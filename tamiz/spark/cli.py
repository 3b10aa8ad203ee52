"""`tamiz batch --engine spark`: a customer file screened by Spark, written as `tamiz batch` writes it.

Input is read by Spark (CSV, JSON lines or Parquet; local paths or any URL
Spark reads, such as hdfs:// or s3a://). A local output file gets the very
file a local run writes (same columns, order, CSV quoting, errors file and
summary), assembled on the driver from the hits; an output URL, or a path
ending in '/', is written by Spark as a folder of part files.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from tamiz.screen.batch.mapping import ColumnMapping
from tamiz.screen.batch.readers import FORMATS, InputError, detect_format, open_reader
from tamiz.screen.batch.run import BatchSummary
from tamiz.screen.batch.stats import RunStats
from tamiz.screen.batch.writers import (
    ERROR_COLUMNS,
    CsvRows,
    errors_path,
    open_hits,
    output_format,
    resolve_output,
)
from tamiz.spark.screen import screen_dataframe

# Python codec names (as the local reader sniffs them) → Java charset names.
_CHARSETS = {"utf-8-sig": "UTF-8", "utf-8": "UTF-8", "cp1252": "windows-1252", "latin-1": "ISO-8859-1"}


def is_url(path: str | Path) -> bool:
    text = str(path)
    return "://" in text and not text.startswith("file:")


def is_folder_output(path: str | Path) -> bool:
    """Spark writes part files into a folder for a URL, or a path ending in '/'."""
    return is_url(path) or str(path).endswith("/")


def run_spark_batch(input: str | Path, output: str | Path, *, db: str | None = None,
                    datasets: list[str] | None = None, mapping: ColumnMapping | None = None,
                    input_format: str | None = None, out_format: str | None = None, delimiter: str | None = None,
                    encoding: str | None = None, threshold: float | None = None, limit: int = 10,
                    out_dir: str | Path | None = None, master: str | None = None, spark: Any = None,
                    partitions: int | None = None, multiline: bool = False, audit: bool = True,
                    screener: Any = None, report: str | Path | None = None, **_ignored: Any) -> BatchSummary:
    """Screen every row of `input` on Spark; write hits to `output` like `tamiz batch` does.

    Options the local engine has and Spark does not need (workers, chunk size,
    resume, progress) are accepted and ignored, so the CLI can pass its options
    through unchanged. A run is not resumable: Spark retries failed tasks itself.
    """
    from tamiz.screen.screener import Screener
    from tamiz.spark.session import spark_session

    started = time.monotonic()
    spark = spark or spark_session(master)
    _fmt, df, first_line, sep = _read(spark, input, input_format, delimiter, encoding, multiline)
    screener = screener or Screener.open(db, datasets=datasets, audit=False)
    run = screen_dataframe(df, screener=screener, threshold=threshold, mapping=mapping, limit=limit,
                           first_line=first_line, partitions=partitions, excerpt_sep=sep)
    results = run.results.persist()
    try:
        counts = run.counts()
        stats = RunStats()
        out_path, out_fmt, err_file = _write(run, output, out_format, out_dir, counts["errors"], stats)
    finally:
        results.unpersist()
    seconds = round(time.monotonic() - started, 3)
    for k, v in counts.items():
        setattr(stats, k, v)
    stats.seconds = seconds
    report_path = resolve_output(report, out_dir) if report else None
    summary = BatchSummary(
        input=str(input), output=str(out_path), format=out_fmt, rows=counts["rows"], screened=counts["screened"],
        errors=counts["errors"], hits=counts["hits"], rows_with_hits=counts["rows_with_hits"], seconds=seconds,
        workers=spark.sparkContext.defaultParallelism, resumed_from_row=0, errors_file=err_file,
        report=str(report_path) if report_path else None, datasets=[s.to_dict() for s in screener.status()],
        stats=stats,
    )
    if report_path is not None:
        from tamiz.screen.batch.report import write_report

        write_report(report_path, summary)
    if not is_folder_output(out_path):
        sidecar = Path(out_path).with_name(Path(out_path).name + ".summary.json")
        sidecar.write_text(json.dumps({**summary.to_dict(), "engine": "spark"}, indent=2, ensure_ascii=False,
                                      default=str), encoding="utf-8")
    if audit and screener.store is not None:
        from tamiz import __version__
        from tamiz.audit import AuditLog

        AuditLog(screener.store.engine).record("batch", screener.actor, {
            "input": str(input), "output": str(out_path), "engine": f"tamiz {__version__} on spark",
            "list_versions": screener.list_versions(), "threshold": threshold, "counts": counts,
        })
    return summary


def _read(spark: Any, input: str | Path, fmt: str | None, delimiter: str | None, encoding: str | None,
          multiline: bool) -> tuple[str, Any, int, str | None]:
    """(format, DataFrame, number of the first data line, excerpt separator)."""
    text = str(input)
    local = not is_url(text)
    if local:
        path = Path(text.removeprefix("file:").removeprefix("//")) if text.startswith("file:") else Path(text)
        if not path.is_file():
            raise InputError(f"{path}: no such file")
        fmt = detect_format(path, fmt)
        text = str(path.resolve())
    else:
        fmt = fmt or FORMATS.get(Path(text.split("?")[0]).suffix.lower())
        if fmt not in ("csv", "jsonl", "parquet"):
            raise InputError(f"{text}: cannot tell the input format; give --input-format csv|jsonl|parquet")
    if fmt == "parquet":
        return fmt, spark.read.parquet(text), 1, None
    if fmt == "jsonl":
        reader = spark.read.option("mode", "PERMISSIVE")
        if encoding:
            reader = reader.option("encoding", _CHARSETS.get(encoding.lower(), encoding))
        return fmt, reader.json(text), 1, None
    if local and (delimiter is None or encoding is None):
        sniffed = open_reader(Path(text), "csv", delimiter, encoding)  # header checks, delimiter, encoding
        delimiter, encoding = sniffed.delimiter, sniffed.encoding  # type: ignore[attr-defined]
    df = (spark.read.option("header", True).option("sep", delimiter or ",").option("quote", '"')
          .option("escape", '"').option("multiLine", multiline).option("inferSchema", False)
          .option("encoding", _CHARSETS.get((encoding or "utf-8").lower(), encoding or "UTF-8")).csv(text))
    df = df.toDF(*[c.strip().lstrip("\ufeff") for c in df.columns])
    return fmt, df, 2, delimiter or ","  # line 1 is the header


def _write(run: Any, output: str | Path, out_format: str | None, out_dir: str | Path | None,
           errors: int, stats: RunStats) -> tuple[str, str, str | None]:
    """Write hits and errors; hits written on the driver also feed `stats` (histogram, top hits)."""
    if is_folder_output(output):
        fmt = out_format or output_format(Path(str(output).split("?")[0]))
        hits = run.hits
        if fmt == "csv":
            from pyspark.sql import functions as F

            hits = hits.withColumn("datasets", F.concat_ws(";", "datasets")).withColumn(
                "programs", F.concat_ws(";", "programs"))
            hits.write.mode("overwrite").option("header", True).csv(str(output))
        elif fmt == "jsonl":
            hits.write.mode("overwrite").json(str(output))
        else:
            hits.write.mode("overwrite").parquet(str(output))
        err_url = None
        if errors:
            err_url = str(output).rstrip("/") + ".errors"
            run.errors.write.mode("overwrite").option("header", True).csv(err_url)
        return str(output), fmt, err_url
    path = resolve_output(Path(str(output).removeprefix("file:")), out_dir)
    fmt = output_format(path, out_format)
    hits_out = open_hits(path, fmt)
    batch: list[dict[str, Any]] = []
    for row in run.ordered_hits().toLocalIterator():
        batch.append(row.asDict())
        if len(batch) >= 5000:
            hits_out.write(batch)
            stats.add_chunk(0, 0, 0, batch)
            batch = []
    hits_out.write(batch)
    stats.add_chunk(0, 0, 0, batch)
    hits_out.finish()
    err_path = errors_path(path)
    if not errors:
        err_path.unlink(missing_ok=True)
        return str(path), fmt, None
    errors_out = CsvRows(err_path, ERROR_COLUMNS)
    errors_out.write(r.asDict() for r in run.errors.orderBy("line").toLocalIterator())
    errors_out.finish()
    return str(path), fmt, str(err_path)
