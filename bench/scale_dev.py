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


def main() -> None:
    from bench.quality_dev import load_sdn
    from tamiz.match import Matcher, Query

    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--queries", type=int, default=2000)
    ap.add_argument("--cache", default=None)
    args = ap.parse_args()
    from pathlib import Path

    sdn = load_sdn(Path(args.cache) if args.cache else None)
    ents = synthetic_entities(sdn, args.n)
    t0 = time.process_time()
    m = Matcher.build(ents)
    print(f"n={args.n} build {time.process_time() - t0:.1f}s cpu")
    rng = random.Random(1)
    queries = [rng.choice(ents).caption for _ in range(args.queries)]
    t0 = time.process_time()
    for q in queries:
        m.search(Query(q))
    dt = time.process_time() - t0
    print(f"screenings/s (cpu) {len(queries) / dt:.0f}  peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    main()
