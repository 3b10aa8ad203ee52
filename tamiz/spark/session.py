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
    builder = SparkSession.builder.appName(app_name)
    given = _submitted_master()
    master = master or given or os.environ.get("TAMIZ_SPARK_MASTER", "local[*]")
    if master != given:
        builder = builder.master(master)
    if master.startswith("local"):
        # Local workers must run this Python (and so this tamiz). On a cluster the
        # driver's interpreter path may not exist on the executors: Spark's own
        # setting (PYSPARK_PYTHON, spark.pyspark.python) decides there.
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
        os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
    for k, v in {**DEFAULT_CONF, **(conf or {})}.items():
        builder = builder.config(k, v)
    return builder.getOrCreate()


def _submitted_master() -> str | None:
    """spark-submit's --master when spark-submit started this driver, else None.

    spark-submit hands the Python driver its running JVM (PYSPARK_GATEWAY_PORT);
    the master is a setting of that JVM, invisible to a SparkConf made before
    attaching to it, and a master set here would override the cluster's.
    """
    if "PYSPARK_GATEWAY_PORT" not in os.environ:
        return None
    from pyspark import SparkConf, SparkContext

    SparkContext._ensure_initialized()  # attach to spark-submit's JVM (its settings hold --master)
    return SparkConf().get("spark.master", None)
