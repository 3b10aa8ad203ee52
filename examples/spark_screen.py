"""Screen a customer file, or a Spark DataFrame, on Apache Spark with tamiz.

Local, on every core of this machine:

    python examples/spark_screen.py                            # a small demo DataFrame
    python examples/spark_screen.py customers.csv hits.csv     # a file, written as `tamiz batch` writes it

On a cluster (the driver reads the lists from --db; executors need tamiz
installed, or shipped with --archives, see docs/scaling.md):

    spark-submit --master spark://head:7077 examples/spark_screen.py \\
        hdfs:///in/customers.parquet hdfs:///out/hits.parquet --db postgresql://tamiz@db/tamiz
"""

from __future__ import annotations

import argparse
import json

import tamiz.spark
from tamiz.spark.session import spark_session

DEMO = [
    {"customer_id": "C1", "name": "Joaquín Guzmán Loera", "country": "MX"},
    {"customer_id": "C2", "name": "Loera Joaquin Guzman", "country": ""},
    {"customer_id": "C3", "name": "Ismael Zambada Garsia", "country": ""},
    {"customer_id": "C4", "name": "Maria Fernanda Lopez", "country": "CO"},
]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("input", nargs="?", help="CSV, JSONL or Parquet: a local path or a URL Spark reads.")
    ap.add_argument("output", nargs="?", help="Output .csv/.jsonl/.parquet: a local file or a URL (folder).")
    ap.add_argument("--db", help="The list store (SQLAlchemy URL or SQLite path); default TAMIZ_DB.")
    ap.add_argument("--master", help="Spark master; default: spark-submit's, else local[*].")
    ap.add_argument("--threshold", type=float, default=None)
    ap.add_argument("--format", choices=["csv", "jsonl", "parquet"], default=None,
                    help="Output format when the output's extension does not say (e.g. a folder 'out/').")
    args = ap.parse_args()

    spark = spark_session(args.master, app_name="tamiz-example")
    try:
        if args.input and args.output:
            summary = tamiz.spark.run_spark_batch(args.input, args.output, db=args.db, spark=spark,
                                                  threshold=args.threshold, out_format=args.format)
            print(json.dumps(summary.to_dict(), indent=2, default=str))
            return
        df = spark.createDataFrame(DEMO)
        hits = tamiz.spark.screen(df, db=args.db, threshold=args.threshold)
        hits.select("key", "name", "entity_id", "caption", "score", "explanation").show(truncate=60)
    finally:
        spark.stop()


if __name__ == "__main__":
    main()
