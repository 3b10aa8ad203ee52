"""How much auditing slows screening: the same queries through `Screener.screen`
with the audit log on (the default group commit) and off, alternated, medians.

    python bench/audit_overhead.py [--rounds 5] [--queries 2000]

Target (compliance workflow issue): recording adds at most 10%.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import tempfile
import time


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--queries", type=int, default=2000)
    args = parser.parse_args()
    os.environ.setdefault("TAMIZ_HOME", tempfile.mkdtemp(prefix="tamiz-audit-bench-"))

    from tamiz import Screener

    screener = Screener.open()
    rng = random.Random(11)
    names = [e.caption for e in screener.entities.values()]
    queries = rng.sample(names, args.queries // 2) + [f"{rng.choice(names).split(',')[0]} Customer {i}" for i in range(args.queries // 2)]
    for q in queries[:50]:  # warm caches
        screener.screen(q, audit=False)

    def rate(audit: bool) -> float:
        start = time.perf_counter()
        for q in queries:
            screener.screen(q, audit=audit)
        if audit:
            screener.flush()  # the records are durable before the clock stops
        return len(queries) / (time.perf_counter() - start)

    off, on = [], []
    for i in range(args.rounds):  # alternate which goes first, so drift cancels out
        if i % 2:
            on.append(rate(True))
            off.append(rate(False))
        else:
            off.append(rate(False))
            on.append(rate(True))
    med_off, med_on = statistics.median(off), statistics.median(on)
    print(f"queries per round: {len(queries)}, rounds: {args.rounds} (wall clock, medians)")
    print("| audit | screenings/s | ")
    print("|---|---|")
    print(f"| off | {med_off:.0f} |")
    print(f"| on (group commit, flushed) | {med_on:.0f} |")
    print(f"overhead: {(med_off / med_on - 1):.1%}")
    print(f"audit chain valid: {screener.audit.verify().ok}, records: {screener.audit.count()}")


if __name__ == "__main__":
    main()
