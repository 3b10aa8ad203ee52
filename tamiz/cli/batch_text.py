"""`tamiz batch` (a customer file) and `tamiz text` (names mentioned in free text)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from tamiz.cli.common import DbOption, JsonOption, err, friendly_errors, out, print_json, warn_freshness
from tamiz.errors import TamizError


@friendly_errors
def batch(
    # Strings, not Paths: Path("s3://bucket/x") is "s3:/bucket/x", and a trailing "/" (Spark's part-file folder) is lost.
    input: Annotated[str, typer.Argument(help="Customer file: CSV (any delimiter/encoding), JSONL or Parquet; "
                                              "with --engine spark also a URL Spark reads (hdfs://, s3a://...).")],
    output: Annotated[str, typer.Option("--out", "-o", help="Output file: .csv, .jsonl or .parquet, one row per hit; "
                                                            "with --engine spark a URL or a path ending in / is a folder of part files.")],
    out_format: Annotated[str | None, typer.Option("--format", help="Output format when the extension does not say.")] = None,
    input_format: Annotated[str | None, typer.Option("--input-format", help="csv, jsonl or parquet (default: by extension).")] = None,
    out_dir: Annotated[str | None, typer.Option("--out-dir", help="Folder that output and report must stay inside.")] = None,
    report: Annotated[str | None, typer.Option("--report", help="Write a self-contained HTML report here.")] = None,
    name_col: Annotated[str | None, typer.Option("--name-col", help="Column with the full name.")] = None,
    first_name_col: Annotated[str | None, typer.Option("--first-name-col")] = None,
    last_name_col: Annotated[str | None, typer.Option("--last-name-col")] = None,
    dob_col: Annotated[str | None, typer.Option("--dob-col")] = None,
    country_col: Annotated[str | None, typer.Option("--country-col")] = None,
    id_col: Annotated[str | None, typer.Option("--id-col", help="Column with a passport/national id number.")] = None,
    type_col: Annotated[str | None, typer.Option("--type-col", help="Column saying person/company/vessel...")] = None,
    key_col: Annotated[str | None, typer.Option("--key-col", help="Column with your customer reference.")] = None,
    delimiter: Annotated[str | None, typer.Option(help="CSV delimiter (default: sniffed).")] = None,
    encoding: Annotated[str | None, typer.Option(help="Input encoding (default: utf-8, else cp1252).")] = None,
    workers: Annotated[int | None, typer.Option(help="Worker processes (default: all cores).")] = None,
    chunk_size: Annotated[int, typer.Option(help="Rows per chunk (the unit of resume).")] = 1000,
    threshold: Annotated[float | None, typer.Option(help="Match threshold (default: calibrated).")] = None,
    resume: Annotated[bool, typer.Option("--resume/--restart", help="Continue an interrupted run (default) or start over.")] = True,
    dataset: Annotated[list[str] | None, typer.Option(help="Dataset or collection (default: all loaded).")] = None,
    db: DbOption = None,
    as_json: JsonOption = False,
    # --engine spark (tamiz.spark, owned by the scaling work): same rows, same output, on Apache Spark.
    engine: Annotated[str, typer.Option(help="local (process pool) or spark (needs pip install 'tamiz[spark]').")] = "local",
    spark_master: Annotated[str | None, typer.Option(help="Spark master with --engine spark (default: spark-submit's, else local[*]).")] = None,
) -> None:
    """Screen every row of a customer file; write one row per hit."""
    from tamiz.screen.batch import ColumnMapping, screen_file

    mapping = ColumnMapping(name=name_col, first_name=first_name_col, last_name=last_name_col, dob=dob_col,
                            country=country_col, id_number=id_col, type=type_col, key=key_col)
    if delimiter is not None:
        delimiter = {"\\t": "\t", "tab": "\t"}.get(delimiter, delimiter)
    run, extra = screen_file, {}
    if engine == "spark":  # --engine spark: see tamiz/spark/cli.py
        from tamiz.spark.cli import run_spark_batch as run

        extra = {"master": spark_master}
    elif engine != "local":
        raise TamizError(f"unknown engine {engine!r}: use local or spark")
    else:
        for given in (input, output):
            if _is_url(given):
                raise TamizError(f"{given}: the local engine reads and writes local files; use --engine spark for URLs")
        input, output = _local(input), _local(output)
    summary = run(
        input, output, db=db, datasets=dataset, workers=workers, mapping=mapping, input_format=input_format,
        out_format=out_format, delimiter=delimiter, encoding=encoding, threshold=threshold, chunk_size=chunk_size,
        resume=resume, report=report, out_dir=out_dir, progress=not as_json and sys.stderr.isatty(), **extra,
    )
    if as_json:
        print_json(summary.to_dict())
        return
    for d in summary.datasets:
        stale = f" [bold yellow]WARNING:[/] {d['warning']}" if d.get("warning") else ""
        err.print(f"[dim]list {d['name']} v{d['version']}, {d.get('published') or 'date unknown'}[/]{stale}",
                  highlight=False)
    resumed = f", resumed at row {summary.resumed_from_row}" if summary.resumed_from_row else ""
    out.print(f"{summary.rows} rows, {summary.screened} screened, {summary.errors} errors, "
              f"{summary.hits} hits in {summary.rows_with_hits} rows ({summary.seconds:.1f} s{resumed})", highlight=False)
    out.print(f"hits: {summary.output}", highlight=False)
    if summary.errors_file:
        out.print(f"unreadable rows: {summary.errors_file}", highlight=False)
    if summary.report:
        out.print(f"report: {summary.report}", highlight=False)


def _is_url(value: str) -> bool:
    scheme, sep, _ = value.partition("://")
    return bool(sep) and scheme.isalnum() and len(scheme) > 1 and scheme.lower() != "file"  # not C:\\ paths


def _local(value: str) -> str:
    return value.removeprefix("file://") if value.startswith("file:///") else value


@friendly_errors
def text(
    source: Annotated[str, typer.Argument(help="A text file, or - for standard input.")],
    threshold: Annotated[float | None, typer.Option(help="Match threshold (default: calibrated).")] = None,
    encoding: Annotated[str, typer.Option(help="Encoding of the file.")] = "utf-8",
    dataset: Annotated[list[str] | None, typer.Option(help="Dataset or collection (default: all loaded).")] = None,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Find listed parties mentioned in free text."""
    from tamiz.screen.screener import Screener
    from tamiz.screen.text import find_mentions

    if source == "-":
        body = sys.stdin.read()
    else:
        path = Path(source)
        try:
            body = path.read_text(encoding=encoding)
        except FileNotFoundError:
            raise TamizError(f"{path}: no such file") from None
        except UnicodeDecodeError as exc:
            raise TamizError(f"{path}: not valid {encoding} text ({exc.reason} at byte {exc.start}); give --encoding") from None
    screener = Screener.open(db, datasets=dataset)
    mentions = find_mentions(body, screener, threshold)
    screener.close()
    statuses = screener.status()
    if as_json:
        print_json({"mentions": [m.to_dict() for m in mentions], "datasets": [s.to_dict() for s in statuses]})
        return
    warn_freshness(statuses)
    if not mentions:
        out.print("no listed party mentioned")
    for m in mentions:
        out.print(f"[bold]{m.start}-{m.end}[/] {m.text!r} -> {m.id} {m.caption} ({m.score:.2f})", highlight=False)
        out.print(f"    {m.explanation}", style="italic", highlight=False)


@friendly_errors
def message(
    files: Annotated[list[Path], typer.Argument(help="SWIFT MT103 (incl. RJE batches), ISO 20022 pacs.008 / pain.001.")],
    threshold: Annotated[float | None, typer.Option(help="Match threshold (default: calibrated).")] = None,
    dataset: Annotated[list[str] | None, typer.Option(help="Dataset or collection (default: all loaded).")] = None,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Screen every party and free-text field of payment messages."""
    from tamiz.screen.message_screening import messages_to_json, screen_messages
    from tamiz.screen.messages import parse_files
    from tamiz.screen.screener import Screener

    screener = Screener.open(db, datasets=dataset)
    results = screen_messages(parse_files(list(files)), screener, threshold=threshold)
    screener.close()
    warn_freshness(screener.status())
    if as_json:
        print_json(messages_to_json(results))
        return
    for r in results:
        summary = r.summary()
        colour = {"hit": "bold red", "error": "yellow"}.get(r.status, "green")
        out.print(f"[{colour}]{r.status.upper():5}[/] {summary.get('source')} #{summary.get('index')} "
                  f"{summary.get('format')} {summary.get('message_id') or ''}", highlight=False)
        if r.error:
            out.print(f"      {r.error}", highlight=False)
        for h in r.hits:
            out.print(f"      {h.path}: {h.query!r} -> {h.entity_id} {h.caption} ({h.score:.2f}) {h.explanation}", highlight=False)
