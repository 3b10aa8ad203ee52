"""Screening on Apache Spark, for customer files that outgrow one machine.

`screen(df)` gives one row per hit, with the same columns, scores and
explanations as `tamiz batch`; `run_spark_batch` (in `tamiz.spark.cli`) is
`tamiz batch --engine spark`. Needs `pip install 'tamiz[spark]'`.
"""

from tamiz.spark.bundle import Bundle, open_bundle, write_bundle
from tamiz.spark.screen import HIT_SCHEMA, SparkScreening, number_rows, screen, screen_dataframe

__all__ = [
    "HIT_SCHEMA",
    "Bundle",
    "SparkScreening",
    "number_rows",
    "open_bundle",
    "run_spark_batch",
    "screen",
    "screen_dataframe",
    "write_bundle",
]


def run_spark_batch(*args, **kwargs):  # type: ignore[no-untyped-def]
    """See `tamiz.spark.cli.run_spark_batch`."""
    from tamiz.spark.cli import run_spark_batch as run

    return run(*args, **kwargs)
