"""A large synthetic list built from real name parts, to see how the matcher scales.

`synthetic_entities(base, n)` recombines given names, surnames and organisation
words found in a real list (the SDN) into `n` new parties, so token frequencies
look like a real list's rather than random strings'.

    python bench/scale_dev.py --n 1000000 [--queries 2000]
"""

from __future__ import annotations

import argparse
import random
import resource
import time
from collections.abc import Sequence

from tamiz.model import Entity, FuzzyDate, Name


def synthetic_entities(base: Sequence[Entity], n: int, seed: int = 7) -> list[Entity]:
    rng = random.Random(seed)
    given: list[str] = []
    family: list[str] = []
    org_words: list[str] = []
    for e in base:
        for name in e.names:
            if e.schema == "Person" and name.given and name.family:
                given += name.given.split()
                family += name.family.split()
            elif e.schema != "Person":
                org_words += name.full.replace(",", " ").split()
    out: list[Entity] = []
    for i in range(n):
        if i % 2 == 0:
            g = " ".join(rng.choice(given) for _ in range(rng.choice((1, 1, 2))))
            f = " ".join(rng.choice(family) for _ in range(rng.choice((1, 2, 2))))
            dob = FuzzyDate.exact(f"{rng.randint(1940, 2000)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}")
            out.append(Entity(id=f"synthetic:{i}", dataset="synthetic", schema="Person", caption=f"{f}, {g}",
                              names=[Name(f"{f}, {g}", given=g, family=f)], birth_dates=[dob]))
        else:
            words = " ".join(rng.choice(org_words) for _ in range(rng.randint(2, 4)))
            out.append(Entity(id=f"synthetic:{i}", dataset="synthetic", schema="Company", caption=words, names=[Name(words)]))
    return out


def _rss_mb() -> float:
    import psutil

    return psutil.Process().memory_info().rss / 2**20


def main() -> None:
    from pathlib import Path
    import statistics

    from bench.quality_dev import load_sdn
    from tamiz.match import Matcher, Query

    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="100000,1000000", help="comma-separated list sizes; 0 = the SDN itself")
    ap.add_argument("--n", type=int, default=None, help="one size (kept for old scripts)")
    ap.add_argument("--queries", type=int, default=2000)
    ap.add_argument("--cache", default=None)
    args = ap.parse_args()
    sizes = [args.n] if args.n else [int(x) for x in args.sizes.split(",")]
    sdn = load_sdn(Path(args.cache) if args.cache else None)
    for n in sizes:
        ents = sdn if n == 0 else synthetic_entities(sdn, n)
        before = _rss_mb()
        t0 = time.process_time()
        m = Matcher.build(ents)
        build = time.process_time() - t0
        after = _rss_mb()
        rng = random.Random(1)
        # Listed names (some cut to two words) and names that are not listed, half and half.
        queries = []
        for i in range(args.queries):
            e = rng.choice(ents)
            words = e.caption.replace(",", " ").split()
            if i % 2:
                words = [rng.choice(rng.choice(ents).caption.replace(",", " ").split()) for _ in words[:3]]
            queries.append(" ".join(words))
        rates = []
        for _ in range(3):
            t0 = time.process_time()
            for q in queries:
                m.search(Query(q))
            rates.append(len(queries) / (time.process_time() - t0))
        print(f"n={n or len(ents)} names={len(m.index.names)} build {build:.1f}s cpu  index RSS +{after - before:.0f} MB  "
              f"RSS {_rss_mb():.0f} MB  peak {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB  "
              f"screenings/s (cpu, median of 3) {statistics.median(rates):.0f}", flush=True)
        del m, ents


if __name__ == "__main__":
    main()
