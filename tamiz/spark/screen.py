"""`screen(df)`: the local batch screening, run by Spark executors over Arrow batches.

Each executor's Python workers screen rows with the very same code as a local
`tamiz batch` (`screen_chunk`, `hit_record`), from a bundle of the compiled
index shipped once per node, so hits, scores and explanations are identical to
a local run over the same lists.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tamiz.screen.batch.mapping import ColumnMapping
from tamiz.screen.batch.readers import EXCERPT, RawRow
from tamiz.screen.batch.rows import QueryCache, screen_chunk
from tamiz.screen.batch.writers import ERROR_COLUMNS, HIT_COLUMNS
from tamiz.spark.bundle import Bundle, worker_screener, write_bundle

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd
    from pyspark.sql import DataFrame

LINE = "__tamiz_line"
CORRUPT = "_corrupt_record"  # Spark's column for JSON lines it could not parse
_ID_BITS = 33  # monotonically_increasing_id: partition id above bit 33, row number below

# One row per hit, the same columns and types as the local Parquet output.
HIT_SCHEMA = ("key string, line long, name string, entity_id string, caption string, schema string, "
              "score double, match boolean, datasets array<string>, programs array<string>, explanation string")
# Hits, errors and per-batch counts travel together; the public frames are filtered views.
_RESULT_SCHEMA = HIT_SCHEMA + (", problem string, excerpt string, _kind string, _rank int, _rows long, "
                               "_screened long")
_RESULT_COLUMNS = (*HIT_COLUMNS, "problem", "excerpt", "_kind", "_rank", "_rows", "_screened")


def _pyspark() -> Any:
    try:
        import pyspark  # noqa: F401
    except ImportError:
        from tamiz.errors import TamizError

        raise TamizError("Spark screening needs pyspark: pip install 'tamiz[spark]'") from None


@dataclass(slots=True)
class SparkScreening:
    """The result of one Spark screening: hits, unscreenable rows and counts, lazily computed."""

    results: DataFrame
    screener: Any
    bundle: Bundle
    mapping: ColumnMapping

    @property
    def hits(self) -> DataFrame:
        return self.results.where("_kind = 'hit'").select(*HIT_COLUMNS)

    @property
    def errors(self) -> DataFrame:
        return self.results.where("_kind = 'error'").select(*ERROR_COLUMNS)

    def ordered_hits(self) -> DataFrame:
        """Hits in input order, each row's hits best first: the local output's order."""
        return self.results.where("_kind = 'hit'").orderBy("line", "_rank").select(*HIT_COLUMNS)

    def counts(self) -> dict[str, int]:
        from pyspark.sql import functions as F

        row = self.results.agg(
            F.sum("_rows").alias("rows"), F.sum("_screened").alias("screened"),
            F.sum((F.col("_kind") == "error").cast("long")).alias("errors"),
            F.sum((F.col("_kind") == "hit").cast("long")).alias("hits"),
            F.countDistinct(F.when(F.col("_kind") == "hit", F.col("line"))).alias("rows_with_hits"),
        ).first()
        return {k: int(row[k] or 0) for k in ("rows", "screened", "errors", "hits", "rows_with_hits")}


def screen(dataframe: DataFrame, *, db: str | None = None, datasets: list[str] | None = None,
           threshold: float | None = None, mapping: ColumnMapping | Mapping[str, str] | None = None,
           limit: int = 10, screener: Any = None, line_col: str | None = None, first_line: int = 1,
           partitions: int | None = None) -> DataFrame:
    """One row per hit (columns as `tamiz batch` writes them) for every row of `dataframe`.

    Columns are found as in `tamiz batch` (name or first/last name, dob, country, id,
    type, key), or named by `mapping`. `line` is `line_col` when given, else the
    row's position counted from `first_line`. Rows without a name are left out;
    `screen_dataframe` returns them too.
    """
    return screen_dataframe(dataframe, db=db, datasets=datasets, threshold=threshold, mapping=mapping,
                            limit=limit, screener=screener, line_col=line_col, first_line=first_line,
                            partitions=partitions).hits


def screen_dataframe(dataframe: DataFrame, *, db: str | None = None, datasets: list[str] | None = None,
                     threshold: float | None = None, mapping: ColumnMapping | Mapping[str, str] | None = None,
                     limit: int = 10, screener: Any = None, line_col: str | None = None, first_line: int = 1,
                     partitions: int | None = None, excerpt_sep: str | None = ",") -> SparkScreening:
    """Like `screen`, keeping the unscreenable rows and the counts (what `tamiz batch` reports)."""
    _pyspark()
    from pyspark.sql import functions as F

    if screener is None:
        from tamiz.screen.screener import Screener

        screener = Screener.open(db, datasets=datasets, audit=False)
    columns = [c for c in dataframe.columns if c not in (CORRUPT, line_col)]
    given = mapping if isinstance(mapping, ColumnMapping) else ColumnMapping(**dict(mapping or {}))
    resolved = given.resolve(columns, "dataframe")
    bundle = write_bundle(screener)
    spark = dataframe.sparkSession
    _ship(spark.sparkContext, bundle)

    df = dataframe.withColumn(LINE, F.col(line_col).cast("long")) if line_col else number_rows(dataframe, first_line)
    corrupt = CORRUPT in dataframe.columns
    df = df.select(*[F.col(f"`{c}`").cast("string").alias(c) for c in columns],
                   *([F.col(CORRUPT).cast("string")] if corrupt else []), F.col(LINE))
    wanted = partitions or 2 * spark.sparkContext.defaultParallelism
    if df.rdd.getNumPartitions() < wanted:
        df = df.repartition(wanted)
    fn = _batch_screener(bundle.key, bundle.filename, resolved, threshold, limit, columns, corrupt, excerpt_sep)
    return SparkScreening(df.mapInPandas(fn, _RESULT_SCHEMA), screener, bundle, resolved)


def _ship(sc: Any, bundle: Bundle) -> None:
    """Send the bundle to the executors, once per Spark application."""
    shipped = {Path(str(uri)).name for uri in getattr(sc, "listFiles", [])}
    if bundle.filename not in shipped:  # same name, same key, same content
        sc.addFile(str(bundle.path))


def number_rows(df: DataFrame, first_line: int = 1) -> DataFrame:
    """Add each row's position (from `first_line`) without a pass through Python or a sort.

    Row numbers within a partition come from `monotonically_increasing_id`; one
    small job counts the rows of each partition to turn them into offsets.
    """
    from pyspark.sql import functions as F

    low = (1 << _ID_BITS) - 1
    with_id = df.withColumn(LINE, F.monotonically_increasing_id())
    part = F.shiftright(F.col(LINE), _ID_BITS)
    counts = sorted((r[0], r[1]) for r in with_id.groupBy(part.alias("p")).count().collect())
    offsets, total = [], first_line
    for p, n in counts:
        offsets += [F.lit(p), F.lit(total)]
        total += n
    if not offsets:
        return with_id
    return with_id.withColumn(LINE, F.element_at(F.create_map(*offsets), part) + F.col(LINE).bitwiseAND(F.lit(low)))


def _batch_screener(key: str, filename: str, mapping: ColumnMapping, threshold: float | None, limit: int,
                    columns: list[str], corrupt: bool, excerpt_sep: str | None):
    """The function each executor runs over its Arrow batches (pickled with its arguments)."""

    def excerpt(values: dict[str, Any]) -> str:
        if excerpt_sep is None:
            return json.dumps({k: v for k, v in values.items() if v is not None}, ensure_ascii=False)[:EXCERPT]
        return excerpt_sep.join("" if v is None else v for v in values.values())[:EXCERPT]

    def run(batches: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
        import pandas as pd

        screener = worker_screener(key, filename)
        cache = QueryCache()  # customer files repeat names: screen each distinct query once per task
        for pdf in batches:
            records = pdf.astype(object).where(pdf.notna(), None).to_dict("records")
            rows = []
            for rec in records:
                line = int(rec[LINE])
                values = {c: rec[c] for c in columns}
                bad = rec.get(CORRUPT) if corrupt else None
                if bad is not None:
                    rows.append(RawRow(line, None, "invalid JSON", str(bad).strip()[:EXCERPT]))
                else:
                    rows.append(RawRow(line, values, None, excerpt(values)))
            result = screen_chunk(0, rows, screener, mapping, threshold, limit, cache=cache)
            out: list[dict[str, Any]] = []
            rank: dict[int, int] = {}
            for hit in result.hits:
                rank[hit["line"]] = rank.get(hit["line"], 0) + 1
                out.append({**hit, "_kind": "hit", "_rank": rank[hit["line"]]})
            for err in result.errors:
                out.append({**err, "_kind": "error"})
            out.append({"_kind": "stats", "_rows": result.rows, "_screened": result.screened})
            # Object columns keep None as None (not NaN), which Arrow turns into nulls.
            yield pd.DataFrame({c: pd.Series([r.get(c) for r in out], dtype=object) for c in _RESULT_COLUMNS})

    return run
