"""Foundation benchmark: load the SDN snapshot, cold `tamiz screen`, steady screening rate.

Run: python bench/load.py [--repeat 5]

Each figure is the median of repeated runs, each in a fresh process (so peak
RSS is that process's own) against a fresh data directory. Targets from the
foundation issue: load < 10 s, cold `tamiz screen` < 2 s, > 500 names/s on one core.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SDN_DIR = REPO.parent / "shared" / "data" / "lists" / "us_ofac_sdn"

LOAD_CHILD = r"""
import json, resource, sys, time
t0 = time.perf_counter()
from tamiz.sources.snapshot import parse_snapshot
from tamiz.store import Store
parsed = parse_snapshot()
t1 = time.perf_counter()
store = Store.open()
result = store.load(parsed)
t2 = time.perf_counter()
print(json.dumps({"parse_s": t1 - t0, "store_s": t2 - t1, "total_s": t2 - t0,
                  "entities": result.version.entity_count,
                  "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""

RATE_CHILD = r"""
import json, random, resource, time
from tamiz import Screener
t0 = time.perf_counter()
screener = Screener.open()
t1 = time.perf_counter()
names = [e.caption for e in screener.entities.values()]
random.seed(7)
sample = random.sample(names, min(2000, len(names)))
queries = sample + [n.upper()[::-1] for n in sample[:500]]  # hits and misses
start = time.perf_counter()
for q in queries:
    screener.screen(q, limit=5)
elapsed = time.perf_counter() - start
print(json.dumps({"open_s": t1 - t0, "queries": len(queries), "rate_per_s": len(queries) / elapsed,
                  "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def run_child(code: str, env: dict[str, str]) -> dict:
    proc = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    return json.loads(proc.stdout.strip().splitlines()[-1])


def timed_cli(args: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(["tamiz", *args], env=env, capture_output=True, check=True)
    return time.perf_counter() - start


def fresh_env(home: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["TAMIZ_HOME"] = str(home)
    env.pop("TAMIZ_DB", None)
    env["OMP_NUM_THREADS"] = "1"
    return env


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    loads, first, cold, rates = [], [], [], []
    for _ in range(args.repeat):
        with tempfile.TemporaryDirectory() as tmp:
            env = fresh_env(Path(tmp) / "load")
            loads.append(run_child(LOAD_CHILD, env))
            env = fresh_env(Path(tmp) / "cli")
            # First ever run: unpacks and loads the snapshot, builds and caches the index.
            first.append(timed_cli(["screen", "Nemesio Oseguera", "--json"], env))
            # Cold process, warm caches: the everyday case.
            cold.append(timed_cli(["screen", "Ivan Archivaldo Guzman Salazar", "--json"], env))
            rates.append(run_child(RATE_CHILD, env))

    def med(values: list[float]) -> float:
        return statistics.median(values)

    print(f"machine: {platform.machine()} {os.cpu_count()} cores, Python {platform.python_version()}")
    print(f"runs: {args.repeat} (medians)")
    print("| figure | median | target |")
    print("|---|---|---|")
    print(f"| parse SDN snapshot (s) | {med([l['parse_s'] for l in loads]):.2f} | |")
    print(f"| store SDN version (s) | {med([l['store_s'] for l in loads]):.2f} | |")
    print(f"| load total (s) | {med([l['total_s'] for l in loads]):.2f} | < 10 |")
    print(f"| load peak RSS (MB) | {med([l['peak_rss_mb'] for l in loads]):.0f} | |")
    print(f"| first `tamiz screen` ever, incl. load + index build (s) | {med(first):.2f} | |")
    print(f"| cold `tamiz screen` (new process, caches warm) (s) | {med(cold):.2f} | < 2 |")
    print(f"| Screener.open in process (s) | {med([r['open_s'] for r in rates]):.2f} | |")
    print(f"| steady screening, one core (names/s) | {med([r['rate_per_s'] for r in rates]):.0f} | > 500 |")
    print(f"| screening peak RSS (MB) | {med([r['peak_rss_mb'] for r in rates]):.0f} | |")


if __name__ == "__main__":
    main()
