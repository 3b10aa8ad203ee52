"""Spark against the local process pool on the same machine and input; cluster size for 100M rows/hour.

    python bench/spark.py --rows 50000            # local[2] vs 2 local workers
    python bench/spark.py --rows 200000 --master local[2] --keep /tmp/tamiz-spark-bench

The input is `bench/batch.py`'s synthetic customer file (real SDN name parts,
OpenSanctions synthetic negatives, planted listed names). Measures: Spark
session start-up, the fixed cost of a Spark run (bundle, shipping, worker
load: a 200-row file), rows/s of the local pool and of Spark, per core, and
checks that both wrote byte-identical output. No asserts beyond that: figures.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "bench"))

TARGET_ROWS, TARGET_SECONDS = 100_000_000, 3600
EFFICIENCY = 0.8  # cluster cores do less than a dedicated local core: stragglers, shuffle, driver collect


def projection(per_core: float, cores_per_executor: int = 8) -> dict[str, float]:
    need = TARGET_ROWS / TARGET_SECONDS
    cores = math.ceil(need / (per_core * EFFICIENCY))
    return {"rows_per_second_needed": round(need, 1), "per_core": round(per_core, 1), "efficiency": EFFICIENCY,
            "cores": cores, "executors": math.ceil(cores / cores_per_executor),
            "cores_per_executor": cores_per_executor}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=50_000)
    ap.add_argument("--planted", type=int, default=500)
    ap.add_argument("--workers", type=int, default=2, help="Local pool workers (and Spark local[N] cores).")
    ap.add_argument("--master", default=None, help="Spark master (default local[WORKERS]).")
    ap.add_argument("--keep", type=Path, default=None, help="Folder to keep input and outputs in.")
    ap.add_argument("--json", type=Path, default=None, help="Write the figures here as JSON.")
    args = ap.parse_args()

    from batch import build_file  # bench/batch.py: the same customers as the local batch benchmark

    from tamiz.screen.batch import screen_file
    from tamiz.screen.screener import Screener
    from tamiz.spark.cli import run_spark_batch
    from tamiz.spark.session import spark_session

    master = args.master or f"local[{args.workers}]"
    folder = args.keep or Path(tempfile.mkdtemp(prefix="tamiz-spark-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    src = folder / "customers.csv"
    truth = build_file(src, args.rows, min(args.planted, args.rows // 2))
    small = folder / "small.csv"
    small.write_text("".join(src.open(encoding="utf-8").readlines()[:201]), encoding="utf-8")
    screener = Screener.open(audit=False)
    load = os.getloadavg()[0]

    t = time.perf_counter()
    local = screen_file(src, folder / "local.csv", workers=args.workers, resume=False, chunk_size=1000)
    local_wall = time.perf_counter() - t

    t = time.perf_counter()
    spark = spark_session(master, conf={"spark.ui.enabled": "false", "spark.sql.shuffle.partitions": str(args.workers)})
    startup = time.perf_counter() - t
    t = time.perf_counter()
    run_spark_batch(small, folder / "small_spark.csv", spark=spark, screener=screener, audit=False)
    fixed = time.perf_counter() - t
    cores = spark.sparkContext.defaultParallelism
    t = time.perf_counter()
    remote = run_spark_batch(src, folder / "spark.csv", spark=spark, screener=screener, audit=False,
                             partitions=4 * cores)
    spark_wall = time.perf_counter() - t
    spark.stop()

    identical = (folder / "spark.csv").read_bytes() == (folder / "local.csv").read_bytes()
    figures = {
        "rows": args.rows, "planted": len(truth), "load_average_at_start": round(load, 1), "cpus": os.cpu_count(),
        "local": {"workers": args.workers, "seconds": round(local_wall, 1), "rows_per_second":
                  round(local.screened / local_wall, 1), "per_core": round(local.screened / local_wall / args.workers, 1)},
        "spark": {"master": master, "cores": cores, "session_start_seconds": round(startup, 1),
                  "fixed_cost_seconds_200_rows": round(fixed, 1), "seconds": round(spark_wall, 1),
                  "rows_per_second": round(remote.screened / spark_wall, 1),
                  "per_core": round(remote.screened / spark_wall / cores, 1)},
        "hits": {"local": local.hits, "spark": remote.hits}, "identical_output": identical,
    }
    figures["projection"] = projection(figures["spark"]["per_core"])
    p = figures["projection"]
    print(json.dumps(figures, indent=2))
    print(f"\n100M rows in 1 h needs {TARGET_ROWS:,} / {TARGET_SECONDS} s = {p['rows_per_second_needed']:,} rows/s; "
          f"at {p['per_core']} rows/s per core x {EFFICIENCY} efficiency = "
          f"{p['per_core'] * EFFICIENCY:.1f} rows/s per cluster core -> {p['cores']} cores "
          f"= {p['executors']} executors of {p['cores_per_executor']} cores")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
