#!/usr/bin/env python
"""Soak the HTTP API on loopback at a steady rate and watch the server's memory.

    python bench/soak.py --minutes 30 [--rate 20] [--db PATH]

Starts the API (uvicorn, one worker) on 127.0.0.1 with the packaged SDN
snapshot, sends /screen requests at `--rate` per second for `--minutes`,
and prints the server's RSS every `--every` seconds with latency and status
counts. Traffic never leaves 127.0.0.1; the run stops by itself. A leak shows
as RSS that keeps climbing after the first minutes instead of levelling off.
"""

from __future__ import annotations

import argparse
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import httpx
import psutil

NAMES = ["Joaquin GUZMAN LOERA", "CARTEL DE JALISCO NUEVA GENERACION", "Nemesio OSEGUERA CERVANTES", "Maria Lopez",
         "ACME TRADING SA DE CV", "Ismael ZAMBADA GARCIA", "John Smith", "Banco Delta Asia", "Ali Hassan", "Li Wei"]


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Loopback soak test of the tamiz API.")
    ap.add_argument("--minutes", type=float, default=5.0)
    ap.add_argument("--rate", type=float, default=20.0, help="requests per second (sustainable, not a flood)")
    ap.add_argument("--every", type=float, default=15.0, help="seconds between memory samples")
    ap.add_argument("--db", default=None)
    args = ap.parse_args(argv)
    home = Path(tempfile.mkdtemp(prefix="tamiz-soak-"))
    db = args.db or str(home / "tamiz.db")
    port = _port()
    env = {**os.environ, "TAMIZ_HOME": str(home), "TAMIZ_DB": db, "TAMIZ_API_RELOAD_INTERVAL": "0", "TAMIZ_AUTH": "off"}
    server = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "tamiz.api.app:app_from_env", "--factory", "--host", "127.0.0.1",
         "--port", str(port), "--log-level", "warning"], env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{base}/readyz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if server.poll() is not None:
                print("server exited during start-up", file=sys.stderr)
                return 1
            time.sleep(0.5)
        proc = psutil.Process(server.pid)
        rng = random.Random(3)
        end = time.monotonic() + args.minutes * 60
        max_requests = int(args.minutes * 60 * args.rate) + 1  # bounded in count as well as time
        interval = 1.0 / args.rate
        codes: Counter[int] = Counter()
        latencies: list[float] = []
        samples: list[tuple[float, float]] = []
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
                if now < next_send:
                    time.sleep(next_send - now)
                next_send += interval
                t0 = time.monotonic()
                r = client.post("/screen", json={"name": rng.choice(NAMES) + f" {rng.randint(0, 99999)}"})
                latencies.append((time.monotonic() - t0) * 1000)
                codes[r.status_code] += 1
                sent += 1
        rss = proc.memory_info().rss / 2**20
        samples.append((time.monotonic() - started, rss))
        first_min = [r for t, r in samples if t >= 60] or [samples[0][1]]
        print(f"done: {sent} requests in {samples[-1][0]:.0f} s, statuses {dict(codes)}; RSS start {samples[0][1]:.1f} MiB, "
              f"after 1 min {first_min[0]:.1f} MiB, end {rss:.1f} MiB, max {max(r for _, r in samples):.1f} MiB; "
              f"latency p50 {statistics.median(latencies):.1f} ms")
        return 0 if set(codes) <= {200} else 1
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()


if __name__ == "__main__":
    sys.exit(main())
