"""A Spark session fit for screening, when the caller has none of its own."""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from pyspark.sql import SparkSession

DEFAULT_CONF = {
    "spark.sql.execution.arrow.pyspark.enabled": "true",
    # Screening is slow per row next to Arrow: small batches spread work evenly.
    "spark.sql.execution.arrow.maxRecordsPerBatch": "2000",
    "spark.python.worker.reuse": "true",  # keep the opened bundle across tasks
    "spark.ui.showConsoleProgress": "false",
}


def spark_session(master: str | None = None, app_name: str = "tamiz-screen",
                  conf: dict[str, str] | None = None) -> SparkSession:
    """The active session (under spark-submit), else a new one on `master` (default local[*])."""
    from pyspark.sql import SparkSession

    active = SparkSession.getActiveSession()
    if active is not None and master is None:
        return active
    # Executors must run the same Python (and so the same tamiz) as the driver.
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
    from pyspark import SparkConf

    builder = SparkSession.builder.appName(app_name)
    if master is not None:
        builder = builder.master(master)
    elif not SparkConf().contains("spark.master"):  # spark-submit --master sets it
        builder = builder.master(os.environ.get("TAMIZ_SPARK_MASTER", "local[*]"))
    for k, v in {**DEFAULT_CONF, **(conf or {})}.items():
        builder = builder.config(k, v)
    return builder.getOrCreate()
