"""Dev loop for the matcher: recall per class on name_variants.json, near-miss and
synthetic-negative alert rates, candidate recall, speed. Not the formal benchmark
(that is bench/matching.py); this is what to run after every scoring change.

    python bench/quality_dev.py [--cache /tmp/sdn.pickle] [--misses /tmp/misses.txt]
"""

from __future__ import annotations

import argparse
import csv
import json
import pickle
import resource
import time
from collections import Counter, defaultdict
from pathlib import Path

from tamiz.match import MATCH_THRESHOLD, Matcher, Query

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
SDN = SHARED / "data" / "lists" / "us_ofac_sdn"
BENCH = SHARED / "bench" / "name_variants.json"
NEGATIVES = SHARED / "data" / "lists" / "opensanctions_benchmark"


def load_sdn(cache: Path | None):
    if cache and cache.exists():
        return pickle.loads(cache.read_bytes())
    from tamiz.sources.ofac_csv import parse

    entities = parse([SDN / n for n in ("sdn.csv", "add.csv", "alt.csv", "sdn_comments.csv")], "us_ofac_sdn").entities
    if cache:
        cache.write_bytes(pickle.dumps(entities))
    return entities


def un_recall(threshold: float, misses: Path | None = None) -> None:
    """OpenSanctions' UN positives (plain and with typos) against the UN list, with their DOB and nationality."""
    from tamiz.sources.registry import parse_files

    un = parse_files("un_sc_sanctions", [SHARED / "data" / "lists" / "un_sc" / "consolidated_2026-02-27.xml"]).entities
    matcher = Matcher.build(un)
    lines = []
    for fname in ("positives_un_untreated.csv", "positives_un_treated.csv"):
        n = ok = ok_name = 0
        with open(NEGATIVES / fname, encoding="utf-8") as fh:
            for row in csv.DictReader(fh):
                evidence = dict(birth_dates=[row["date_of_birth"]] if row["date_of_birth"] else [],
                                countries=[row["nationality"]] if row["nationality"] else [])
                hits = matcher.search(Query(row["full_name"], schema="Person", **evidence), limit=5, threshold=threshold)
                plain = matcher.search(Query(row["full_name"], schema="Person"), limit=5, threshold=threshold)
                n += 1
                ok += any(h.match for h in hits)
                ok_name += any(h.match for h in plain)
                if not any(h.match for h in hits):
                    top = hits[0] if hits else None
                    lines.append(f"{fname}\t{row['full_name']!r}\t{row['date_of_birth']}\t{row['nationality']}\t"
                                 f"top={top.entity.caption if top else None}:{top.score if top else 0:.2f}\t{top.explanation if top else ''}")
        print(f"UN {fname}: recall with evidence {ok / n:.4f} ({ok}/{n}), name only {ok_name / n:.4f}")
    if misses:
        misses.write_text("\n".join(lines) + "\n")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--cache", type=Path, default=None)
    ap.add_argument("--misses", type=Path, default=None)
    ap.add_argument("--threshold", type=float, default=MATCH_THRESHOLD)
    ap.add_argument("--limit", type=int, default=10)
    ap.add_argument("--un", action="store_true", help="only the UN positives against the UN list")
    args = ap.parse_args()
    if args.un:
        un_recall(args.threshold, args.misses)
        return
    entities = load_sdn(args.cache)
    t0 = time.perf_counter()
    matcher = Matcher.build(entities)
    build = time.perf_counter() - t0
    cases = json.loads(BENCH.read_text())["cases"]
    found: dict[str, Counter] = defaultdict(Counter)
    fam: dict[str, Counter] = defaultdict(Counter)
    cand_ok = cand_n = 0
    misses = []
    t0 = time.perf_counter()
    for case in cases:
        hits = matcher.search(Query(case["query"]), limit=args.limit, threshold=args.threshold)
        matched = {h.entity.id for h in hits if h.match}
        exp = case["expected_entity_id"]
        key = case["perturbation"]
        if exp:
            ok = f"us_ofac_sdn:{exp}" in matched
            found[key]["n"] += 1
            found[key]["ok"] += ok
            fam[case["family"]]["n"] += 1
            fam[case["family"]]["ok"] += ok
            if not ok:
                best = hits[0] if hits else None
                mine = next((h for h in hits if h.entity.id == f"us_ofac_sdn:{exp}"), None)
                misses.append(f"{key}\t{case['query']!r}\t{case['source_name']!r}\t"
                              f"mine={mine.score if mine else None}\ttop={best.entity.caption if best else None}:{best.score if best else 0:.2f}")
        else:
            found[key]["n"] += 1
            found[key]["alert"] += bool(matched)
            fam["negative"]["n"] += 1
            fam["negative"]["alert"] += bool(matched)
    elapsed = time.perf_counter() - t0
    # Candidate recall (index only).
    for case in cases:
        if case["expected_entity_id"]:
            cand_n += 1
            ids = {e.id for e, _ in matcher.candidates(Query(case["query"]), limit=50)}
            cand_ok += f"us_ofac_sdn:{case['expected_entity_id']}" in ids
    # Synthetic negatives with their evidence.
    neg_alerts = neg_n = 0
    neg_examples = []
    for fname in ("negatives_global_synthetic.csv", "negatives_us_synthetic.csv"):
        with open(NEGATIVES / fname, encoding="utf-8") as fh:
            for row in csv.DictReader(fh):
                q = Query(row["full_name"], schema="Person", birth_dates=[row["date_of_birth"]] if row["date_of_birth"] else [],
                          countries=[row["nationality"]] if row["nationality"] else [], gender=row["gender"] or None)
                hits = [h for h in matcher.search(q, limit=5, threshold=args.threshold) if h.match]
                neg_n += 1
                if hits:
                    neg_alerts += 1
                    neg_examples.append(f"{row['full_name']} -> {hits[0].entity.caption} {hits[0].score:.2f} | {hits[0].explanation}")
    pos = sum(c["n"] for k, c in fam.items() if k != "negative")
    pos_ok = sum(c["ok"] for k, c in fam.items() if k != "negative")
    print(f"threshold {args.threshold}  build {build:.2f}s  screenings/s {len(cases) / elapsed:.0f}  "
          f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")
    print(f"recall all positives {pos_ok / pos:.4f} ({pos_ok}/{pos})  candidate recall@50 {cand_ok / cand_n:.4f}")
    for k, c in sorted(fam.items()):
        print(f"  family {k:12s} " + (f"alert rate {c['alert'] / c['n']:.3f}" if k == "negative" else f"recall {c['ok'] / c['n']:.4f}") + f"  n={c['n']}")
    for k, c in sorted(found.items()):
        print(f"  class {k:18s} " + (f"alert {c['alert'] / c['n']:.3f}" if "alert" in c or c["ok"] == 0 and k in ("cross_pair", "token_swap", "edit_beyond") else f"recall {c['ok'] / c['n']:.4f}") + f"  n={c['n']}")
    print(f"synthetic negatives alert rate {neg_alerts / neg_n:.4f} ({neg_alerts}/{neg_n})")
    if args.misses:
        args.misses.write_text("\n".join(misses) + "\n\nSYNTHETIC ALERTS\n" + "\n".join(neg_examples) + "\n")


if __name__ == "__main__":
    main()
