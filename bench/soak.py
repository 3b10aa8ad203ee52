#!/usr/bin/env python
"""Soak the HTTP API on loopback at a steady rate and watch the server's memory.

    python bench/soak.py --minutes 30 [--rate 20] [--every 60] [--tail 20] [--db PATH]
    python bench/soak.py --minutes 10 --tracemalloc 4    # where does memory grow?

Starts the API (uvicorn, one worker) on 127.0.0.1 with the packaged SDN
snapshot, sends /screen requests at `--rate` per second for `--minutes`,
and prints the server's RSS every `--every` seconds with latency and status
counts. Traffic never leaves 127.0.0.1; the run stops by itself.

A leak shows as RSS that keeps climbing after the first minutes instead of
levelling off, so the summary fits a least-squares line to the RSS samples of
the last `--tail` minutes and prints its slope (MiB/min) and the rise over
that window; `--max-slope` turns it into a pass/fail exit code.

`--tracemalloc N` runs the server under tracemalloc (N frames; several times
slower, so RSS figures are not comparable) and at the end prints the Python
allocation sites that grew most over the tail window, plus how full the name
analysis caches are.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import tracemalloc
from collections import Counter
from pathlib import Path

import httpx
import psutil
from tamiz.api.ready import wait_until_ready

NAMES = ["Joaquin GUZMAN LOERA", "CARTEL DE JALISCO NUEVA GENERACION", "Nemesio OSEGUERA CERVANTES", "Maria Lopez",
         "ACME TRADING SA DE CV", "Ismael ZAMBADA GARCIA", "John Smith", "Banco Delta Asia", "Ali Hassan", "Li Wei"]
APP = "tamiz.api.app:app_from_env"


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def slope(samples: list[tuple[float, float]]) -> float:
    """Least-squares slope of (seconds, MiB) samples, in MiB per minute."""
    if len(samples) < 2:
        return 0.0
    return statistics.linear_regression([t for t, _ in samples], [r for _, r in samples]).slope * 60


# -- tracemalloc mode: the server side ------------------------------------------------------------


def serve_traced(port: int, frames: int, snapdir: Path) -> None:
    """Run the API with tracemalloc; a request file `<name>.want` in `snapdir` gets `<name>.tm` + `<name>.json`."""
    tracemalloc.start(frames)

    def answer() -> None:
        while True:
            for want in sorted(snapdir.glob("*.want")):
                from tamiz.normalize.caches import cache_info

                stem = want.with_suffix("")
                tracemalloc.take_snapshot().dump(str(stem) + ".tm.part")
                os.replace(str(stem) + ".tm.part", str(stem) + ".tm")
                stem.with_suffix(".json").write_text(json.dumps(cache_info()))
                want.unlink()
            time.sleep(0.5)

    threading.Thread(target=answer, name="soak-snapshots", daemon=True).start()
    import uvicorn

    uvicorn.run(APP, factory=True, host="127.0.0.1", port=port, log_level="warning")


def _snapshot(snapdir: Path, name: str, timeout: float = 300) -> tuple[tracemalloc.Snapshot, dict]:
    (snapdir / f"{name}.want").touch()
    deadline = time.monotonic() + timeout
    while (snapdir / f"{name}.want").exists() and time.monotonic() < deadline:
        time.sleep(0.5)
    snap = tracemalloc.Snapshot.load(str(snapdir / f"{name}.tm"))
    return snap, json.loads((snapdir / f"{name}.json").read_text())


def _report_growth(first: tracemalloc.Snapshot, last: tracemalloc.Snapshot, caches: dict, top: int = 12) -> None:
    ignore = [tracemalloc.Filter(False, tracemalloc.__file__), tracemalloc.Filter(False, "<frozen importlib._bootstrap*>")]
    first, last = first.filter_traces(ignore), last.filter_traces(ignore)
    total = sum(s.size for s in last.statistics("filename")) - sum(s.size for s in first.statistics("filename"))
    print(f"tracemalloc: traced Python memory {total / 2**20:+.2f} MiB over the tail window; top growth sites:")
    for stat in last.compare_to(first, "traceback")[:top]:
        where = " <- ".join(f"{Path(f.filename).name}:{f.lineno}" for f in reversed(stat.traceback))
        print(f"  {stat.size_diff / 2**20:+7.2f} MiB {stat.count_diff:+8d} blocks  {where}")
    print("name caches (size/bound): " + ", ".join(f"{k} {v['currsize']}/{v['maxsize']}" for k, v in caches.items()))


# -- the load generator -----------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Loopback soak test of the tamiz API.")
    ap.add_argument("--minutes", type=float, default=5.0)
    ap.add_argument("--rate", type=float, default=20.0, help="requests per second (sustainable, not a flood)")
    ap.add_argument("--every", type=float, default=15.0, help="seconds between memory samples")
    ap.add_argument("--tail", type=float, default=20.0,
                    help="minutes at the end of the run to fit the RSS slope on (at most the last two thirds)")
    ap.add_argument("--max-slope", type=float, default=None, help="fail (exit 1) above this many MiB/min in the tail")
    ap.add_argument("--tracemalloc", type=int, default=0, metavar="FRAMES", help="trace the server's allocations")
    ap.add_argument("--db", default=None)
    ap.add_argument("--serve", type=int, default=None, help=argparse.SUPPRESS)  # internal: the traced server
    args = ap.parse_args(argv)
    if args.serve is not None:
        serve_traced(args.serve, args.tracemalloc, Path(os.environ["TAMIZ_SOAK_SNAPSHOTS"]))
        return 0
    home = Path(tempfile.mkdtemp(prefix="tamiz-soak-"))
    snapdir = home / "snapshots"
    snapdir.mkdir()
    db = args.db or str(home / "tamiz.db")
    port = _port()
    env = {**os.environ, "TAMIZ_HOME": str(home), "TAMIZ_DB": db, "TAMIZ_API_RELOAD_INTERVAL": "0", "TAMIZ_AUTH": "off",
           "TAMIZ_SOAK_SNAPSHOTS": str(snapdir)}
    if args.tracemalloc:
        cmd = [sys.executable, __file__, "--serve", str(port), "--tracemalloc", str(args.tracemalloc)]
    else:
        cmd = [sys.executable, "-m", "uvicorn", APP, "--factory", "--host", "127.0.0.1", "--port", str(port),
               "--log-level", "warning"]
    server = subprocess.Popen(cmd, env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        try:
            wait_until_ready(base, 300, alive=lambda: server.poll() is None, interval=0.5)
        except (RuntimeError, TimeoutError) as exc:
            print(exc, file=sys.stderr)
            return 1
        proc = psutil.Process(server.pid)
        rng = random.Random(3)
        duration = args.minutes * 60
        tail = min(args.tail, args.minutes * 2 / 3) * 60
        end = time.monotonic() + duration
        max_requests = int(duration * args.rate) + 1  # bounded in count as well as time
        interval = 1.0 / args.rate
        codes: Counter[int] = Counter()
        latencies: list[float] = []
        samples: list[tuple[float, float]] = []
        first_snap: tracemalloc.Snapshot | None = None
        tail_from: float | None = None  # traced runs: after the first snapshot, whose own memory is not a trend
        started = time.monotonic()
        next_sample = started
        next_send = started
        sent = 0
        print(f"{'t (s)':>7}{'RSS (MiB)':>11}{'requests':>10}{'p50 ms':>8}{'p99 ms':>8}  statuses")
        with httpx.Client(base_url=base, timeout=30) as client:
            while time.monotonic() < end and sent < max_requests:
                now = time.monotonic()
                if now >= next_sample:
                    rss = proc.memory_info().rss / 2**20
                    samples.append((now - started, rss))
                    window = sorted(latencies[-int(args.every * args.rate):]) or [0.0]
                    p99 = window[min(len(window) - 1, int(len(window) * 0.99))]
                    print(f"{now - started:>7.0f}{rss:>11.1f}{sent:>10}{statistics.median(window):>8.1f}{p99:>8.1f}  "
                          f"{dict(codes)}", flush=True)
                    next_sample += args.every
                    if args.tracemalloc and first_snap is None and now - started >= duration - tail:
                        first_snap, _ = _snapshot(snapdir, "tail-start")
                        tail_from = time.monotonic() - started
                        next_send = time.monotonic()  # the pause is the snapshot's, not a backlog to catch up
                if now < next_send:
                    time.sleep(next_send - now)
                next_send += interval
                t0 = time.monotonic()
                r = client.post("/screen", json={"name": rng.choice(NAMES) + f" {rng.randint(0, 99999)}"})
                latencies.append((time.monotonic() - t0) * 1000)
                codes[r.status_code] += 1
                sent += 1
        rss = proc.memory_info().rss / 2**20
        elapsed = time.monotonic() - started
        samples.append((elapsed, rss))
        in_tail = [(t, r) for t, r in samples if t >= (elapsed - tail if tail_from is None else tail_from)]
        first_min = [r for t, r in samples if t >= 60] or [samples[0][1]]
        per_min = slope(in_tail)
        print(f"done: {sent} requests in {elapsed:.0f} s, statuses {dict(codes)}; RSS start {samples[0][1]:.1f} MiB, "
              f"after 1 min {first_min[0]:.1f} MiB, end {rss:.1f} MiB, max {max(r for _, r in samples):.1f} MiB; "
              f"latency p50 {statistics.median(latencies):.1f} ms")
        print(f"last {tail / 60:.0f} min ({len(in_tail)} samples): RSS {min(r for _, r in in_tail):.1f}.."
              f"{max(r for _, r in in_tail):.1f} MiB, slope {per_min:+.3f} MiB/min "
              f"({per_min * tail / 60:+.1f} MiB over the window)"
              + ("; RSS includes tracemalloc's own memory" if args.tracemalloc else ""))
        if args.tracemalloc and first_snap is not None:
            last_snap, caches = _snapshot(snapdir, "tail-end")
            _report_growth(first_snap, last_snap, caches)
        ok = set(codes) <= {200}
        if args.max_slope is not None and per_min > args.max_slope:
            print(f"RSS is still growing: {per_min:+.3f} MiB/min > {args.max_slope} MiB/min", file=sys.stderr)
            ok = False
        return 0 if ok else 1
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
