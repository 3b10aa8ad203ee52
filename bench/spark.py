"""Spark against the local process pool on the same machine and input; cluster size for 100M rows/hour.

    python bench/spark.py --rows 50000            # local[2] vs 2 local workers
    python bench/spark.py --rows 10000 --repeat 3 # alternate the engines 3 times, report medians
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
import resource
import statistics
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


def _tree_cpu() -> dict[int, float]:
    """CPU seconds so far of this process and each live descendant (the JVM, Spark's Python workers)."""
    import psutil

    out: dict[int, float] = {}
    for p in [psutil.Process(), *psutil.Process().children(recursive=True)]:
        try:
            t = p.cpu_times()
            out[p.pid] = t.user + t.system + t.children_user + t.children_system
        except psutil.Error:
            pass
    return out


def _spent(before: dict[int, float], after: dict[int, float]) -> float:
    return sum(v - before.get(pid, 0.0) for pid, v in after.items())


def _own_cpu() -> float:
    """CPU seconds of this process and its reaped children (the local pool's workers once it is done)."""
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=50_000)
    ap.add_argument("--planted", type=int, default=500)
    ap.add_argument("--workers", type=int, default=2, help="Local pool workers (and Spark local[N] cores).")
    ap.add_argument("--master", default=None, help="Spark master (default local[WORKERS]).")
    ap.add_argument("--keep", type=Path, default=None, help="Folder to keep input and outputs in.")
    ap.add_argument("--json", type=Path, default=None, help="Write the figures here as JSON.")
    ap.add_argument("--repeat", type=int, default=1,
                    help="Timed runs per engine, alternated (a shared machine's load hits both): medians reported.")
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
    screener = Screener.open(audit=False)
    truth = build_file(src, args.rows, min(args.planted, args.rows // 2), screener)
    small = folder / "small.csv"
    small.write_text("".join(src.open(encoding="utf-8").readlines()[:201]), encoding="utf-8")
    load = os.getloadavg()[0]

    conf = {"spark.ui.enabled": "false", "spark.sql.shuffle.partitions": str(args.workers)}
    t = time.perf_counter()
    spark = spark_session(master, conf=conf)
    startup = time.perf_counter() - t  # the JVM and the first SparkContext
    t = time.perf_counter()
    run_spark_batch(small, folder / "small_spark.csv", spark=spark, screener=screener, audit=False)
    fixed = time.perf_counter() - t
    cores = spark.sparkContext.defaultParallelism
    spark.stop()
    local_runs, spark_runs, local_cpu, spark_cpu = [], [], [], []
    for _ in range(max(1, args.repeat)):
        c, t = _own_cpu(), time.perf_counter()
        local = screen_file(src, folder / "local.csv", workers=args.workers, resume=False, chunk_size=1000)
        local_runs.append(time.perf_counter() - t)
        local_cpu.append(_own_cpu() - c)
        # A fresh SparkContext per run: new Python workers, cold caches, as the local pool's workers are.
        spark = spark_session(master, conf=conf)
        c, t = _tree_cpu(), time.perf_counter()
        remote = run_spark_batch(src, folder / "spark.csv", spark=spark, screener=screener, audit=False,
                                 partitions=4 * cores)
        spark_runs.append(time.perf_counter() - t)
        spark_cpu.append(_spent(c, _tree_cpu()))
        spark.stop()
    local_wall, spark_wall = statistics.median(local_runs), statistics.median(spark_runs)
    local_cpu_s, spark_cpu_s = statistics.median(local_cpu), statistics.median(spark_cpu)

    identical = (folder / "spark.csv").read_bytes() == (folder / "local.csv").read_bytes()
    figures = {
        "rows": args.rows, "planted": len(truth), "load_average_at_start": round(load, 1), "cpus": os.cpu_count(),
        "runs": {"local_seconds": [round(x, 1) for x in local_runs], "spark_seconds": [round(x, 1) for x in spark_runs],
                 "local_cpu_seconds": [round(x, 1) for x in local_cpu],
                 "spark_cpu_seconds": [round(x, 1) for x in spark_cpu]},
        "local": {"workers": args.workers, "seconds": round(local_wall, 1), "rows_per_second":
                  round(local.screened / local_wall, 1), "per_core": round(local.screened / local_wall / args.workers, 1),
                  "cpu_seconds": round(local_cpu_s, 1), "rows_per_cpu_second": round(local.screened / local_cpu_s, 1)},
        "spark": {"master": master, "cores": cores, "session_start_seconds": round(startup, 1),
                  "fixed_cost_seconds_200_rows": round(fixed, 1), "seconds": round(spark_wall, 1),
                  "rows_per_second": round(remote.screened / spark_wall, 1),
                  "per_core": round(remote.screened / spark_wall / cores, 1),
                  # driver, JVM and Python workers together: what idle cores would do, whatever the load
                  "cpu_seconds": round(spark_cpu_s, 1), "rows_per_cpu_second": round(remote.screened / spark_cpu_s, 1)},
        "hits": {"local": local.hits, "spark": remote.hits}, "identical_output": identical,
    }
    figures["projection"] = projection(figures["spark"]["per_core"])
    figures["projection_idle_cores"] = projection(figures["spark"]["rows_per_cpu_second"])
    p = figures["projection"]
    print(json.dumps(figures, indent=2))
    print(f"\n100M rows in 1 h needs {TARGET_ROWS:,} / {TARGET_SECONDS} s = {p['rows_per_second_needed']:,} rows/s; "
          f"at {p['per_core']} rows/s per core x {EFFICIENCY} efficiency = "
          f"{p['per_core'] * EFFICIENCY:.1f} rows/s per cluster core -> {p['cores']} cores "
          f"= {p['executors']} executors of {p['cores_per_executor']} cores")
    q = figures["projection_idle_cores"]
    print(f"with the CPU-time rate ({q['per_core']} rows per CPU-second, as on idle cores): "
          f"{q['per_core'] * EFFICIENCY:.1f} rows/s per cluster core -> {q['cores']} cores "
          f"= {q['executors']} executors of {q['cores_per_executor']} cores")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
