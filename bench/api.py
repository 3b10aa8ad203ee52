"""HTTP benchmark: single-query yente `/match/default` against the SDN, then overload and recovery.

Run: python bench/api.py [--workers 2] [--connections 8] [--duration 10] [--generator auto|wrk|python]

Starts `tamiz serve` on 127.0.0.1 (loopback only) and drives it with `wrk`
(a C load generator; `apt-get install wrk`) running bench/api.lua, or, when
wrk is missing, with a small keep-alive HTTP/1.1 client written on asyncio
streams. The output names the generator and its share of the CPU: it runs
on the same machine as the server, as it would on a two-core host.

1. steady: N connections in a closed loop for `--duration` seconds: req/s, p50/p99;
2. overload: an open loop at twice the measured rate: the server must shed the
   excess at once with 503 + Retry-After, and keep the latency of what it
   accepts bounded;
3. recovery: a light closed loop again: every request answered 200.

Latencies are those of 200 answers, per request. Queries are the 8,799 probes
of ../shared/bench/name_variants.json (perturbed SDN names and near-miss
negatives); without ../shared, SDN captions are used. Every loop is bounded in
requests and time. "server CPU ms/ok" is the server processes' CPU time per
200 answer: unlike req/s it hardly moves when other work shares the machine.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
WRK_SCRIPT = Path(__file__).with_name("api.lua")
VARIANTS = REPO.parent / "shared" / "bench" / "name_variants.json"
HOST = "127.0.0.1"
MAX_REQUESTS = 500_000  # hard bound on any phase


@dataclass
class Stats:
    name: str
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)  # of 200 responses, ms
    codes: dict[int, int] = field(default_factory=dict)
    errors: int = 0
    dropped: int = 0  # open loop: not sent because the client's own bound was reached
    retry_after: int = 0
    client_cpu: float = float("nan")  # CPU seconds of the load generator
    server_cpu: float = float("nan")  # CPU seconds of the server processes

    def client_share(self) -> float:
        """The generator's share of the machine's CPU during the phase."""
        return self.client_cpu / (self.seconds * (os.cpu_count() or 1)) if self.seconds else float("nan")

    def server_ms_per_ok(self) -> float:
        ok = self.codes.get(200, 0)
        return self.server_cpu * 1000 / ok if ok else float("nan")

    def add(self, status: int, ms: float, retry_after: bool) -> None:
        self.codes[status] = self.codes.get(status, 0) + 1
        if status == 200:
            self.latencies.append(ms)
        if retry_after:
            self.retry_after += 1

    @property
    def total(self) -> int:
        return sum(self.codes.values())

    def pct(self, p: float) -> float:
        if not self.latencies:
            return float("nan")
        data = sorted(self.latencies)
        return data[min(len(data) - 1, round(p / 100 * (len(data) - 1)))]

    def ok_rate(self) -> float:
        return self.codes.get(200, 0) / self.seconds if self.seconds else 0.0


class Conn:
    """One keep-alive connection: send a request, read status and body."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter):
        self.reader, self.writer = reader, writer

    @classmethod
    async def open(cls, port: int) -> Conn:
        reader, writer = await asyncio.open_connection(HOST, port)
        return cls(reader, writer)

    async def request(self, raw: bytes) -> tuple[int, bool]:
        self.writer.write(raw)
        head = await self.reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        length, retry = 0, False
        for line in lines[1:]:
            key, _, value = line.partition(":")
            key = key.strip().lower()
            if key == "content-length":
                length = int(value.strip())
            elif key == "retry-after":
                retry = True
        if length:
            await self.reader.readexactly(length)
        return status, retry

    def close(self) -> None:
        self.writer.close()


def load_queries(limit: int) -> list[str]:
    if VARIANTS.exists():
        cases = json.loads(VARIANTS.read_text())["cases"]
        names = [c["query"] for c in cases]
    else:
        from tamiz.sources.snapshot import parse_snapshot

        names = [e.caption for e in parse_snapshot().entities]
    random.Random(7).shuffle(names)
    return names[:limit]


def raw_requests(names: list[str]) -> list[bytes]:
    out = []
    for name in names:
        body = json.dumps({"queries": {"q": {"schema": "LegalEntity", "properties": {"name": [name]}}}}).encode()
        head = (f"POST /match/default HTTP/1.1\r\nHost: {HOST}\r\nContent-Type: application/json\r\n"
                f"Content-Length: {len(body)}\r\n\r\n").encode()
        out.append(head + body)
    return out


async def closed_loop(port: int, reqs: list[bytes], connections: int, seconds: float, name: str) -> Stats:
    stats = Stats(name)
    deadline = time.perf_counter() + seconds
    counter = iter(range(MAX_REQUESTS))

    async def worker(offset: int) -> None:
        conn = await Conn.open(port)
        try:
            while time.perf_counter() < deadline:
                i = next(counter, None)
                if i is None:
                    return
                t = time.perf_counter()
                try:
                    status, retry = await conn.request(reqs[(i + offset) % len(reqs)])
                except (OSError, asyncio.IncompleteReadError):
                    stats.errors += 1
                    conn.close()
                    conn = await Conn.open(port)
                    continue
                stats.add(status, (time.perf_counter() - t) * 1000, retry)
                if status == 503:
                    await asyncio.sleep(0.05)  # a polite client honours Retry-After (scaled down)
        finally:
            conn.close()

    t0 = time.perf_counter()
    await asyncio.gather(*(worker(k * 997) for k in range(connections)))
    stats.seconds = time.perf_counter() - t0
    return stats


async def open_loop(port: int, reqs: list[bytes], rate: float, seconds: float, max_outstanding: int) -> Stats:
    """Requests at a fixed arrival rate, whatever the server's speed (bounded outstanding)."""
    stats = Stats(f"overload @ {rate:.0f}/s")
    pool: list[Conn] = []
    outstanding = 0
    total = min(MAX_REQUESTS, int(rate * seconds))

    async def one(raw: bytes) -> None:
        nonlocal outstanding
        conn = pool.pop() if pool else None
        try:
            if conn is None:
                conn = await Conn.open(port)
            t = time.perf_counter()
            status, retry = await conn.request(raw)
            stats.add(status, (time.perf_counter() - t) * 1000, retry)
            pool.append(conn)
        except (OSError, asyncio.IncompleteReadError):
            stats.errors += 1
            if conn is not None:
                conn.close()
        finally:
            outstanding -= 1

    tasks = []
    t0 = time.perf_counter()
    for i in range(total):
        delay = t0 + i / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        if outstanding >= max_outstanding:
            stats.dropped += 1
            continue
        outstanding += 1
        tasks.append(asyncio.create_task(one(reqs[i % len(reqs)])))
    await asyncio.wait_for(asyncio.gather(*tasks), timeout=60)
    stats.seconds = time.perf_counter() - t0
    for c in pool:
        c.close()
    return stats


class PythonDriver:
    """The asyncio generator: runs in this process, so its CPU time is this process's."""

    name = "python asyncio (this process)"

    def __init__(self, port: int, names: list[str]):
        self.port, self.reqs = port, raw_requests(names)

    def closed(self, offset: int, connections: int, seconds: float, name: str) -> Stats:
        return self._timed(closed_loop(self.port, self.reqs[offset:], connections, seconds, name))

    def open(self, offset: int, rate: float, seconds: float, connections: int) -> Stats:
        return self._timed(open_loop(self.port, self.reqs[offset:], rate, seconds, max_outstanding=1024))

    @staticmethod
    def _timed(coro: Any) -> Stats:
        t = time.process_time()
        stats = asyncio.run(coro)
        stats.client_cpu = time.process_time() - t
        return stats


class WrkDriver:
    """wrk with bench/api.lua: a C event loop, so the generator takes little of the two cores."""

    name = "wrk (bench/api.lua)"

    def __init__(self, port: int, names: list[str], workdir: Path, threads: int = 2):
        self.url = f"http://{HOST}:{port}"
        self.names, self.workdir, self.threads = names, workdir, threads

    def closed(self, offset: int, connections: int, seconds: float, name: str) -> Stats:
        return self._run(name, offset, connections, seconds, None)

    def open(self, offset: int, rate: float, seconds: float, connections: int) -> Stats:
        return self._run(f"overload @ {rate:.0f}/s", offset, connections, seconds, rate)

    def _run(self, name: str, offset: int, connections: int, seconds: float, rate: float | None) -> Stats:
        names_file = self.workdir / f"names-{offset}.txt"
        names_file.write_text("".join(json.dumps(n) + "\n" for n in self.names[offset:] or self.names))
        out = self.workdir / "wrk-out.json"
        out.unlink(missing_ok=True)
        threads = max(1, min(self.threads, connections))
        env = {**os.environ, "WRK_OUT": str(out)}
        args = [str(names_file), "/match/default", str(threads)]
        if rate is not None:
            env["WRK_RATE"] = str(rate)
            args.append(str(rate))
        cmd = ["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{max(1, round(seconds))}s",
               "--timeout", "10s", "-s", str(WRK_SCRIPT), self.url, "--", *args]
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        subprocess.run(cmd, env=env, check=True, stdout=subprocess.DEVNULL, timeout=seconds + 60)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        data = json.loads(out.read_text())
        stats = Stats(name, seconds=data["seconds"], latencies=data["latencies_ms"],
                      codes={int(k): v for k, v in data["codes"].items()}, errors=data["errors"],
                      dropped=data["dropped"], retry_after=data["retry_after"])
        stats.client_cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        return stats


def server_cpu(pid: int) -> float:
    """CPU seconds used so far by the server process and its workers (nan without psutil)."""
    try:
        import psutil
    except ImportError:
        return float("nan")
    total = 0.0
    try:
        root = psutil.Process(pid)
        for p in [root, *root.children(recursive=True)]:
            with contextlib.suppress(psutil.Error):
                t = p.cpu_times()
                total += t.user + t.system
    except psutil.Error:
        return float("nan")
    return total


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def wait_ready(port: int, timeout: float = 180.0) -> None:
    from tamiz.api.ready import wait_until_ready

    try:
        wait_until_ready(f"http://{HOST}:{port}", timeout, interval=0.5)
    except TimeoutError as exc:
        raise SystemExit(f"server did not become ready: {exc}") from exc


def row(s: Stats) -> str:
    codes = " ".join(f"{k}:{v}" for k, v in sorted(s.codes.items()))
    return (f"| {s.name:<22} | {s.total:>8} | {s.ok_rate():>8.0f} | {s.pct(50):>6.1f} | {s.pct(99):>6.1f} | "
            f"{codes:<20} | {s.retry_after:>11} | {s.errors + s.dropped:>6} | {s.server_ms_per_ok():>13.2f} | "
            f"{s.client_share():>10.0%} |")


def pick_driver(choice: str, port: int, names: list[str], workdir: Path) -> PythonDriver | WrkDriver:
    if choice == "wrk" or (choice == "auto" and shutil.which("wrk")):
        if not shutil.which("wrk"):
            raise SystemExit("wrk is not installed (apt-get install wrk), or use --generator python")
        return WrkDriver(port, names, workdir)
    return PythonDriver(port, names)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--connections", type=int, default=8)
    ap.add_argument("--overload-connections", type=int, default=256,
                    help="wrk's bound on requests outstanding in the open loop")
    ap.add_argument("--duration", type=float, default=10.0)
    ap.add_argument("--max-in-flight", type=int, default=8, help="per worker; beyond it the server sheds")
    ap.add_argument("--generator", choices=("auto", "wrk", "python"), default="auto",
                    help="auto: wrk when installed, else the Python generator")
    ap.add_argument("--home", type=Path, help="TAMIZ_HOME to use (default: a fresh temporary one)")
    ap.add_argument("--json", type=Path, help="also write the figures to this file")
    args = ap.parse_args()

    home = args.home or Path(tempfile.mkdtemp(prefix="tamiz-bench-api-"))
    env = {**os.environ, "TAMIZ_HOME": str(home), "TAMIZ_DB": f"sqlite:///{home / 'tamiz.db'}"}
    print(f"preparing lists and index in {home} ...", flush=True)
    subprocess.run([sys.executable, "-c", "from tamiz import Screener; Screener.open()"], env=env, check=True)
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-c", "from tamiz.cli.main import app; app()", "serve", "--host", HOST, "--port", str(port),
         "--workers", str(args.workers), "--max-in-flight", str(args.max_in_flight), "--reload-interval", "0",
         "--log-level", "warning", "--no-access-log"],
        env=env,
    )
    try:
        wait_ready(port)
        with tempfile.TemporaryDirectory(prefix="tamiz-bench-wrk-") as workdir:
            driver = pick_driver(args.generator, port, load_queries(4000), Path(workdir))
            results = run_phases(driver, server.pid, args)
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()

    print(f"\n/match/default, one query per request, `tamiz serve --workers {args.workers}`, {os.cpu_count()} cores, "
          f"max in flight {args.max_in_flight}/worker; load generator: {driver.name}, on the same host")
    print("| phase                  | requests | ok req/s | p50 ms | p99 ms | status codes         | Retry-After "
          "| errors | server CPU ms/ok | client CPU |")
    print("|------------------------|---------:|---------:|-------:|-------:|----------------------|------------:"
          "|-------:|--------------:|-----------:|")
    for s in results:
        print(row(s))
    steady, overload, recovery = results[1], results[2], results[3]
    shed = overload.codes.get(503, 0) + overload.codes.get(429, 0)
    print(f"\nsteady: {steady.ok_rate():.0f} req/s, p50 {steady.pct(50):.1f} ms, p99 {steady.pct(99):.1f} ms "
          f"(target >= 1000 req/s, p99 < 25 ms); server {steady.server_ms_per_ok():.2f} CPU ms per answer, "
          f"generator {steady.client_share():.0%} of the CPU")
    print(f"overload: {shed} of {overload.total} shed with 503/429 ({overload.retry_after} with Retry-After), "
          f"accepted p99 {overload.pct(99):.1f} ms, {overload.errors} connection errors, {overload.dropped} not sent")
    print(f"recovery: {recovery.codes.get(200, 0)} of {recovery.total} answered 200, p99 {recovery.pct(99):.1f} ms")
    if args.json:
        args.json.write_text(json.dumps([
            {"phase": s.name, "generator": driver.name, "requests": s.total, "ok_per_s": s.ok_rate(),
             "p50_ms": s.pct(50), "p99_ms": s.pct(99), "codes": s.codes, "retry_after": s.retry_after,
             "errors": s.errors, "dropped": s.dropped, "server_cpu_ms_per_ok": s.server_ms_per_ok(),
             "client_cpu_share": s.client_share()}
            for s in results], indent=2))


def run_phases(driver: PythonDriver | WrkDriver, server_pid: int, args: argparse.Namespace) -> list[Stats]:
    def measured(phase: Any) -> Stats:
        before = server_cpu(server_pid)
        stats = phase()
        stats.server_cpu = server_cpu(server_pid) - before
        return stats

    warm = measured(lambda: driver.closed(0, args.connections, 2.0, "warm-up"))
    steady = measured(lambda: driver.closed(1000, args.connections, args.duration, "steady"))
    rate = max(50.0, 2 * steady.ok_rate())
    overload = measured(lambda: driver.open(2000, rate, args.duration, args.overload_connections))
    time.sleep(1.0)
    recovery = measured(lambda: driver.closed(3000, 2, 3.0, "recovery"))
    return [warm, steady, overload, recovery]


if __name__ == "__main__":
    main()
