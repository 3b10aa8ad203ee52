"""Batch screening benchmark: a synthetic customer file with planted listed names.

    python bench/batch.py --rows 1000000 --workers 2
    python bench/batch.py --rows 20000          # quick

Customers are recombined from real name parts (given names and surnames of SDN
persons, words of SDN company names) and ordinary names from the OpenSanctions
synthetic negatives; `--planted` rows carry a listed name as is, accent-marked,
reordered or with a typo. Prints rows/s (overall and per worker), total time,
CPU seconds of the parent and the workers (so a figure taken on a busy machine
still says what 2 idle cores would do), peak RSS, memory sampled over the run
(parent RSS, largest worker RSS, workers' PSS: flat or growing?), the alert
rate on ordinary rows and recall on the planted ones. No asserts: figures only.
"""

from __future__ import annotations

import argparse
import csv
import random
import resource
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared" / "data" / "lists" / "opensanctions_benchmark"
ACCENTS = {"a": "á", "e": "é", "i": "í", "o": "ó", "u": "ú", "n": "ñ"}


def variant(name: str, kind: str, rng: random.Random) -> str:
    words = name.replace(",", "").split()
    if kind == "accent":
        out = list(name)
        spots = [i for i, ch in enumerate(out) if ch.lower() in ACCENTS]
        for i in rng.sample(spots, min(2, len(spots))):
            out[i] = ACCENTS[out[i].lower()]
        return "".join(out)
    if kind == "reorder" and len(words) > 1:
        return " ".join(words[1:] + words[:1])
    if kind == "typo":
        longest = max(range(len(words)), key=lambda i: len(words[i]))
        w = words[longest]
        if len(w) >= 5:
            i = rng.randrange(1, len(w) - 1)
            words[longest] = w[:i] + w[i + 1] + w[i] + w[i + 2:]  # transposition
        return " ".join(words)
    return name


def build_file(path: Path, rows: int, planted: int, screener: Any, seed: int = 7) -> dict[str, str]:
    """Write the customer CSV; return {customer key: planted entity id}."""
    rng = random.Random(seed)
    given, family, org_words, targets = [], [], [], []
    for e in screener.entities.values():
        for n in e.names:
            if e.schema == "Person" and n.given and n.family:
                given.extend(n.given.split())
                family.extend(n.family.split())
            elif e.schema in ("Company", "Organization"):
                org_words.extend(w for w in n.full.split() if len(w) > 3)
        if e.schema in ("Person", "Company", "Organization") and len(e.caption.split()) >= 2:
            targets.append(e)
    ordinary = []
    for f in ("negatives_global_synthetic.csv", "negatives_us_synthetic.csv"):
        with open(SHARED / f, encoding="utf-8") as fh:
            ordinary.extend(r["full_name"] for r in csv.DictReader(fh))
    truth: dict[str, str] = {}
    plant_at = set(rng.sample(range(rows), min(planted, rows)))
    kinds = ["exact", "accent", "reorder", "typo"]
    with open(path, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["customer_id", "name", "country"])
        for i in range(rows):
            key = f"C{i:07d}"
            if i in plant_at:
                e = rng.choice(targets)
                name = variant(e.caption, kinds[len(truth) % 4], rng)
                truth[key] = e.id
            else:
                r = rng.random()
                if r < 0.4:
                    name = f"{rng.choice(given).title()} {rng.choice(family).title()}"
                elif r < 0.55:
                    name = " ".join(rng.choice(org_words).title() for _ in range(2)) + rng.choice(
                        [" LLC", " S.A. de C.V.", " Ltd", " Trading"])
                else:
                    name = rng.choice(ordinary)
            w.writerow([key, name, rng.choice(["", "MX", "US", "CO"])])
    return truth


class RssSampler(threading.Thread):
    """Every few seconds: rows done (from the checkpoint), parent RSS, and the workers' RSS and PSS.

    PSS splits pages that forked workers still share with the parent, so it shows
    what each worker really adds; RSS counts shared pages in every process.
    """

    def __init__(self, checkpoint: Path, every: float):
        super().__init__(daemon=True)
        self.checkpoint, self.every = checkpoint, every
        self.samples: list[tuple[float, int, float, float, float]] = []
        self.stop = threading.Event()

    def run(self) -> None:
        import json

        import psutil

        me, start = psutil.Process(), time.monotonic()
        while not self.stop.wait(self.every):
            try:
                done = json.loads(self.checkpoint.read_text())["rows_done"]
            except (OSError, ValueError, KeyError):
                done = self.samples[-1][1] if self.samples else 0
            rss, pss = [], []
            for child in me.children(recursive=True):
                try:
                    info = child.memory_full_info()
                except psutil.Error:
                    continue
                rss.append(info.rss / 1e6)
                pss.append(info.pss / 1e6)
            self.samples.append((time.monotonic() - start, done, me.memory_info().rss / 1e6,
                                 max(rss, default=0.0), sum(pss)))

    def report(self, points: int = 12) -> None:
        if not self.samples:
            return
        step = max(1, len(self.samples) // points)
        shown = self.samples[::step] + ([self.samples[-1]] if (len(self.samples) - 1) % step else [])
        print("memory over the run (MB): elapsed s, rows done, parent RSS, largest worker RSS, workers' PSS total")
        for t, done, parent, worker, pss in shown:
            print(f"  {t:7.0f} {done:>10,} {parent:8.0f} {worker:8.0f} {pss:8.0f}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--planted", type=int, default=1000)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--chunk", type=int, default=1000)
    ap.add_argument("--keep", type=Path, default=None, help="Folder to keep input/output in.")
    ap.add_argument("--sample-every", type=float, default=5.0, help="Seconds between memory samples.")
    args = ap.parse_args()
    from tamiz.screen.batch import screen_file
    from tamiz.screen.batch.checkpoint import checkpoint_path
    from tamiz.screen.screener import Screener

    screener = Screener.open()  # once, before the clock starts, as a real run opens it once
    folder = args.keep or Path(tempfile.mkdtemp(prefix="tamiz-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    src, out = folder / "customers.csv", folder / "hits.csv"
    t = time.perf_counter()
    truth = build_file(src, args.rows, min(args.planted, args.rows // 2), screener)
    print(f"built {args.rows:,} rows ({src.stat().st_size / 1e6:.1f} MB) with {len(truth)} planted in "
          f"{time.perf_counter() - t:.1f} s")
    sampler = RssSampler(checkpoint_path(out), args.sample_every)
    sampler.start()
    cpu0 = resource.getrusage(resource.RUSAGE_SELF)
    t = time.perf_counter()
    summary = screen_file(src, out, screener=screener, workers=args.workers, chunk_size=args.chunk, resume=False,
                          progress=sys.stderr.isatty())
    wall = time.perf_counter() - t
    sampler.stop.set()
    sampler.join()
    cpu = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    found: dict[str, set[str]] = {}
    with open(out, encoding="utf-8", newline="") as fh:
        for h in csv.DictReader(fh):
            found.setdefault(h["key"], set()).add(h["entity_id"])
    recalled = sum(1 for k, eid in truth.items() if eid in found.get(k, ()))
    by_kind: dict[str, list[int]] = {}
    for n, (k, eid) in enumerate(truth.items()):
        by_kind.setdefault(["exact", "accent", "reorder", "typo"][n % 4], []).append(int(eid in found.get(k, ())))
    ordinary_alerts = sum(1 for k in found if k not in truth)
    self_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    child_rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"screened {summary.screened:,} rows in {wall:.1f} s with {args.workers} workers: "
          f"{summary.screened / wall:,.0f} rows/s, {summary.screened / wall / args.workers:,.0f} rows/s per worker")
    print(f"projected 1M rows: {1_000_000 / (summary.screened / wall) / 60:.1f} min (total {wall / 60:.1f} min)")
    parent_cpu = cpu.ru_utime + cpu.ru_stime - cpu0.ru_utime - cpu0.ru_stime
    print(f"CPU: parent {parent_cpu:,.1f} s, workers {kids.ru_utime + kids.ru_stime:,.1f} s = "
          f"{summary.screened / max(1e-9, kids.ru_utime + kids.ru_stime):,.0f} rows per worker CPU second")
    print(f"peak RSS: parent {self_rss:,.0f} MB, largest worker {child_rss:,.0f} MB")
    print(f"hits {summary.hits:,}; ordinary rows alerted {ordinary_alerts:,} "
          f"({ordinary_alerts / max(1, summary.screened - len(truth)):.2%})")
    print(f"recall on planted rows: {recalled}/{len(truth)} = {recalled / max(1, len(truth)):.1%}; "
          + ", ".join(f"{k} {sum(v)}/{len(v)}" for k, v in by_kind.items()))
    sampler.report()
    print(f"errors {summary.errors}; files in {folder}")


if __name__ == "__main__":
    main()
