"""Side-by-side matching benchmark: tamiz vs nomenklatura logic-v2 vs a rapidfuzz scan.

    python bench/matching.py [--quick] [--scale] [--json OUT] [--markdown OUT]

One run, same inputs for every engine (see ../shared/bench/README.md):
name_variants.json against the whole SDN (2021), OpenSanctions' 2,000 synthetic
people against SDN + UN (2026) screened as Person with their date of birth,
nationality and gender, and OpenSanctions' UN positives (plain and treated)
against the UN list. Each engine runs in its own subprocess pinned to one core,
so peak RSS and screenings/s are its own. logic-v2 costs milliseconds per
pair, so the peers built on it run on a fixed, seeded subsample; tamiz and the
rapidfuzz scan run on the full sets AND that same subsample, so ratios are
taken like for like. `--scale` adds tamiz on SDN + 100k and + 1M synthetic
parties recombined from real name parts (bench/synthetic.py).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from importlib.metadata import version
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench.datasets import TARGETS, ProbeSets, all_probes, sdn_entities, target_entities  # noqa: E402

ENGINE_ORDER = ["tamiz", "logicv2_tamiz", "yente_like", "rapidfuzz"]
SLOW = {"logicv2_tamiz", "yente_like"}  # subsample only
LABELS = {"tamiz": "tamiz", "logicv2_tamiz": "logic-v2 on tamiz's 30 candidates",
          "yente_like": "yente-like: WRatio top-30 → logic-v2", "rapidfuzz": "rapidfuzz token_sort scan"}
SHORT = {"tamiz": "tamiz", "logicv2_tamiz": "logic-v2/tamiz cands", "yente_like": "yente-like", "rapidfuzz": "rapidfuzz scan"}
SAMPLE = {"name_variants": 1000, "negatives": 2000, "un_treated": 200, "un_untreated": 200}
QUICK_FULL = {"name_variants": 600, "negatives": 300, "un_treated": 100, "un_untreated": 100}
QUICK_SAMPLE = {"name_variants": 120, "negatives": 120, "un_treated": 40, "un_untreated": 40}
SEED = 20260301


# ---- worker: one engine, one list, in its own process ------------------------------------------


def _rss_mb() -> float:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def worker(spec: dict) -> dict:
    from bench import peers

    core = peers.pin_to_core(spec.get("core"))
    target = spec["target"]
    t0 = time.perf_counter()
    if target.startswith("synthetic:"):
        from bench.synthetic import synthetic_entities

        real = sdn_entities()
        entities = real + synthetic_entities(real, int(target.split(":")[1]))
    else:
        entities = target_entities(target)
    probes = all_probes().sets
    load_s = time.perf_counter() - t0
    rss_loaded = _rss_mb()
    engine = peers.make(spec["engine"])
    t0 = time.perf_counter()
    engine.build(entities)
    build_s = time.perf_counter() - t0
    with tempfile.TemporaryDirectory() as tmp:
        index_bytes = engine.save(Path(tmp))
    runs = []
    for run in spec["runs"]:
        wanted = run["keys"]
        selected = [p for p in probes[run["set"]] if wanted is None or p.key in set(wanted)]
        results: dict[str, list] = {}
        elapsed = []
        for p in selected[:20]:  # warm lazy caches (transliterators, logic-v2's first call) outside the clock
            engine.screen(p)
        before = engine.stats()
        for r in range(run["repeats"]):
            if r == 1:
                after = engine.stats()
                pair_stats = {k: after[k] - before[k] for k in after}
            start = time.perf_counter()
            for p in selected:
                matched = engine.screen(p)
                if r == 0:
                    ids = {i for i, _ in matched}
                    results[p.key] = [p.expected is not None and p.expected in ids, bool(ids)]
            elapsed.append(time.perf_counter() - start)
        if run["repeats"] == 1:
            after = engine.stats()
            pair_stats = {k: after[k] - before[k] for k in after}
        runs.append({"label": run["label"], "set": run["set"], "n": len(selected), "elapsed": elapsed, "results": results,
                     "stats": pair_stats})
    return {"engine": spec["engine"], "target": target, "core": core, "entities": len(entities), "load_s": load_s,
            "build_s": build_s, "index_bytes": index_bytes, "rss_loaded_mb": rss_loaded,
            "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "stats": engine.stats(), "runs": runs}


def run_worker(spec: dict, timeout: float | None = None) -> dict:
    cmd = [sys.executable, str(Path(__file__).resolve()), "--worker"]
    t0 = time.perf_counter()
    try:
        proc = subprocess.run(cmd, input=json.dumps(spec), capture_output=True, text=True, timeout=timeout, cwd=REPO)
    except subprocess.TimeoutExpired:
        return {"engine": spec["engine"], "target": spec["target"], "error": f"timed out after {timeout:.0f} s"}
    if proc.returncode != 0:
        return {"engine": spec["engine"], "target": spec["target"], "error": proc.stderr.strip().splitlines()[-1:]}
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    out["wall_s"] = time.perf_counter() - t0
    return out


# ---- plan -----------------------------------------------------------------------------------


def plan(full: ProbeSets, sample: ProbeSets, engines: list[str], repeats: int) -> list[dict]:
    tasks = []
    for engine in engines:
        for target in dict.fromkeys(TARGETS.values()):
            runs = []
            for set_name, probes in sample.sets.items():
                if TARGETS[set_name] != target:
                    continue
                keys = [p.key for p in probes]
                if engine not in SLOW:
                    full_keys = None if len(full.sets[set_name]) == len(all_probes_cache().sets[set_name]) else [p.key for p in full.sets[set_name]]
                    runs.append({"label": "full", "set": set_name, "keys": full_keys, "repeats": repeats if engine == "tamiz" else 1})
                runs.append({"label": "sample", "set": set_name, "keys": keys, "repeats": 1 if engine in SLOW else repeats})
            tasks.append({"engine": engine, "target": target, "runs": runs})
    # Longest first, so the two slow peers start at once on separate cores.
    tasks.sort(key=lambda t: (t["engine"] not in SLOW, ENGINE_ORDER.index(t["engine"])))
    return tasks


_ALL: ProbeSets | None = None


def all_probes_cache() -> ProbeSets:
    global _ALL
    if _ALL is None:
        _ALL = all_probes()
    return _ALL


def execute(tasks: list[dict], jobs: int) -> list[dict]:
    free = list(range(jobs))
    import threading

    lock = threading.Lock()

    def go(task):
        with lock:
            core = free.pop(0)
        try:
            t0 = time.perf_counter()
            out = run_worker({**task, "core": core})
            print(f"  done {task['engine']:14s} on {task['target']:7s} core {core}  {time.perf_counter() - t0:6.0f} s"
                  + (f"  ERROR {out['error']}" if "error" in out else ""), file=sys.stderr, flush=True)
            return out
        finally:
            with lock:
                free.append(core)

    with ThreadPoolExecutor(max_workers=jobs) as pool:
        return list(pool.map(go, tasks))


# ---- scoring ---------------------------------------------------------------------------------


def score(outputs: list[dict], probes: ProbeSets) -> dict:
    """figures[engine][label] = {metric: value}; per-perturbation recall too."""
    by_key = {name: {p.key: p for p in ps} for name, ps in probes.sets.items()}
    figures: dict[str, dict[str, dict]] = defaultdict(lambda: defaultdict(dict))
    perturb: dict[str, dict[str, dict[str, tuple[int, int]]]] = defaultdict(lambda: defaultdict(dict))
    costs: dict[str, dict] = {}
    for out in outputs:
        if "error" in out:
            continue
        eng = out["engine"]
        if out["target"] == "sdn":
            costs[eng] = {k: out[k] for k in ("build_s", "index_bytes", "peak_rss_mb", "rss_loaded_mb", "entities")}
            pairs = sum(r["stats"].get("pairs", 0) for r in out["runs"])
            if pairs:
                costs[eng]["pair_ms"] = 1000 * sum(r["stats"]["pair_seconds"] for r in out["runs"]) / pairs
                costs[eng]["pairs_per_query"] = pairs / max(1, sum(r["n"] for r in out["runs"]))
        for run in out["runs"]:
            f = figures[eng][run["label"]]
            res, meta = run["results"], by_key[run["set"]]
            rate = run["n"] / statistics.median(run["elapsed"]) if run["n"] else 0.0
            f[f"rate:{run['set']}"] = rate
            f[f"n:{run['set']}"] = run["n"]
            if run["set"] == "name_variants":
                fam, per = Counter(), Counter()
                for key, (found, alert) in res.items():
                    p = meta[key]
                    if p.expected is None:
                        fam["neg_n"] += 1
                        fam["neg_alert"] += alert
                        per[(p.perturbation, "n")] += 1
                        per[(p.perturbation, "ok")] += alert
                    else:
                        fam[(p.family, "n")] += 1
                        fam[(p.family, "ok")] += found
                        per[(p.perturbation, "n")] += 1
                        per[(p.perturbation, "ok")] += found
                for family in ("benign", "degraded", "adversarial"):
                    if fam[(family, "n")]:
                        f[f"recall:{family}"] = fam[(family, "ok")] / fam[(family, "n")]
                pos_n = sum(fam[(x, "n")] for x in ("benign", "degraded", "adversarial"))
                f["recall:positives"] = sum(fam[(x, "ok")] for x in ("benign", "degraded", "adversarial")) / max(1, pos_n)
                f["alert:near_miss"] = fam["neg_alert"] / max(1, fam["neg_n"])
                for (pert, what), v in per.items():
                    if what == "n":
                        perturb[eng][run["label"]][pert] = (per[(pert, "ok")], v)
            elif run["set"] == "negatives":
                f["alert:synthetic"] = sum(a for _, a in res.values()) / max(1, len(res))
                f["alerts:synthetic"] = sum(a for _, a in res.values())
            else:
                resolved = [found for key, (found, _) in res.items() if meta[key].expected]
                f[f"recall:{run['set']}"] = sum(resolved) / max(1, len(resolved))
                f[f"any:{run['set']}"] = sum(a for _, a in res.values()) / max(1, len(res))
    return {"figures": figures, "perturbation": perturb, "costs": costs}


# ---- report ----------------------------------------------------------------------------------

ROWS = [
    ("recall:benign", "name_variants recall, benign", "{:.3f}"),
    ("recall:degraded", "name_variants recall, degraded", "{:.3f}"),
    ("recall:adversarial", "name_variants recall, adversarial", "{:.3f}"),
    ("recall:positives", "name_variants recall, all positives", "{:.3f}"),
    ("alert:near_miss", "name_variants near-miss alert rate (diagnostic)", "{:.3f}"),
    ("alert:synthetic", "OpenSanctions synthetic people: false-alert rate", "{:.2%}"),
    ("recall:un_untreated", "UN positives, plain names: recall of the listed entity", "{:.3f}"),
    ("recall:un_treated", "UN positives, typos/reshuffles: recall of the listed entity", "{:.3f}"),
    ("rate:name_variants", "screenings/s per core, name_variants vs SDN", "{:,.0f}"),
    ("rate:negatives", "screenings/s per core, synthetic people vs SDN+UN", "{:,.0f}"),
]
LOWER_IS_BETTER = {"alert:near_miss", "alert:synthetic"}


def _ratio(a: float | None, b: float | None) -> str:
    if a is None or b is None:
        return "—"
    if b == 0:
        return "—" if a == 0 else "∞"
    return f"{a / b:.2f}×"


def table(res: dict, label: str, engines: list[str], costs: bool) -> list[str]:
    figs = res["figures"]
    eng = [e for e in engines if label in figs.get(e, {})]
    peers_ = [e for e in eng if e != "tamiz"]
    head = "| figure | " + " | ".join(SHORT[e] for e in eng) + " | " + " | ".join(f"tamiz / {SHORT[e]}" for e in peers_) + " |"
    lines = [head, "|" + "---|" * (1 + len(eng) + len(peers_))]
    for key, title, fmt in ROWS:
        vals = {e: figs[e][label].get(key) for e in eng}
        if all(v is None for v in vals.values()):
            continue
        n = next((figs[e][label].get("n:" + key.split(":")[1]) for e in eng if figs[e][label].get("n:" + key.split(":")[1])), None)
        cells = [fmt.format(vals[e]) if vals[e] is not None else "—" for e in eng]
        ratios = [_ratio(vals.get("tamiz"), vals[e]) for e in peers_]
        lines.append(f"| {title}{f' (n={n:,})' if n and key.startswith('rate') else ''} | " + " | ".join(cells) + " | " + " | ".join(ratios) + " |")
    if costs:
        eng = [e for e in engines if e in res["costs"]]
        peers_ = [e for e in eng if e != "tamiz"]
        lines += ["", "| cost (SDN list, own process) | " + " | ".join(SHORT[e] for e in eng) + " | "
                  + " | ".join(f"tamiz / {SHORT[e]}" for e in peers_) + " |", "|" + "---|" * (1 + len(eng) + len(peers_))]
        c = res["costs"]
        for key, title, fmt in [("build_s", "index build, SDN (s; logic-v2 peers: + FtM conversion)", "{:.2f}"), ("index_bytes", "index on disk, SDN (MB)", "{:.1f}"),
                                ("peak_rss_mb", "peak RSS, SDN process (MB)", "{:.0f}"),
                                ("rss_loaded_mb", "  of which parsed entities, before build (MB)", "{:.0f}"),
                                ("pair_ms", "logic-v2 cost per pair (ms)", "{:.2f}"), ("pairs_per_query", "logic-v2 pairs per query", "{:.1f}")]:
            vals = {e: c.get(e, {}).get(key) for e in eng}
            if key == "index_bytes":
                vals = {e: (v / 2**20 if v is not None else None) for e, v in vals.items()}
            if all(v is None for v in vals.values()):
                continue
            cells = [fmt.format(vals[e]) if vals[e] is not None else "—" for e in eng]
            ratios = [_ratio(vals.get("tamiz"), vals[e]) if key not in ("pair_ms", "pairs_per_query") else "—" for e in peers_]
            lines.append(f"| {title} | " + " | ".join(cells) + " | " + " | ".join(ratios) + " |")
    return lines


def perturbation_table(res: dict, engines: list[str]) -> list[str]:
    cols = [(e, lab) for lab in ("full", "sample") for e in engines if res["perturbation"].get(e, {}).get(lab)]
    perts = sorted({p for e, lab in cols for p in res["perturbation"][e][lab]})
    lines = ["| perturbation | " + " | ".join(f"{SHORT[e]} ({lab})" for e, lab in cols) + " |", "|" + "---|" * (1 + len(cols))]
    neg = {"cross_pair", "token_swap", "edit_beyond"}
    for p in perts:
        cells = []
        for e, lab in cols:
            ok, n = res["perturbation"][e][lab].get(p, (0, 0))
            cells.append(f"{ok / n:.3f} (n={n})" if n else "—")
        lines.append(f"| {p}{' (near-miss, alert rate)' if p in neg else ''} | " + " | ".join(cells) + " |")
    return lines


def scale_table(outputs: list[dict]) -> list[str]:
    lines = ["| list | entities | build (s) | index on disk (MB) | peak RSS (MB) | screenings/s, name_variants | screenings/s, synthetic people | recall, name_variants positives |",
             "|---|---|---|---|---|---|---|---|"]
    for out in outputs:
        if "error" in out:
            lines.append(f"| {out['target']} | — | {out['error']} | | | | | |")
            continue
        rates = {run["set"]: run["n"] / statistics.median(run["elapsed"]) for run in out["runs"]}
        n = out["target"].split(":")[1] if ":" in out["target"] else ""
        name = f"SDN + {int(n):,} synthetic" if n else "SDN"
        neg = f"{rates['negatives']:,.0f}" if "negatives" in rates else "—"
        lines.append(f"| {name} | {out['entities']:,} | {out['build_s']:.1f} | {out['index_bytes'] / 2**20:.0f} | "
                     f"{out['peak_rss_mb']:.0f} | {rates.get('name_variants', 0):,.0f} | {neg} | {out.get('recall', '—')} |")
    return lines


def machine() -> list[str]:
    def v(pkg: str) -> str:
        try:
            return version(pkg)
        except Exception:
            return "?"

    cpu = "?"
    try:
        cpu = next(line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name"))
    except Exception:
        pass
    return [f"- machine: {platform.platform()}, {cpu}, {os.cpu_count()} cores (each engine pinned to one), "
            f"load average at start {os.getloadavg()[0]:.2f}",
            f"- Python {platform.python_version()}; tamiz {v('tamiz')}, nomenklatura {v('nomenklatura')}, "
            f"followthemoney {v('followthemoney')}, rigour {v('rigour')}, rapidfuzz {v('rapidfuzz')}"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--quick", action="store_true", help="small sets, one repeat: a smoke run")
    ap.add_argument("--scale", action="store_true", help="also tamiz on SDN + 100k and + 1M synthetic parties")
    ap.add_argument("--scale-sizes", default="100000,1000000")
    ap.add_argument("--scale-timeout", type=float, default=600.0, help="seconds allowed per scale run")
    ap.add_argument("--engines", default=",".join(ENGINE_ORDER))
    ap.add_argument("--sample-variants", type=int, default=SAMPLE["name_variants"])
    ap.add_argument("--sample-un", type=int, default=SAMPLE["un_treated"])
    ap.add_argument("--repeats", type=int, default=3, help="timing passes for tamiz (median reported)")
    ap.add_argument("--jobs", type=int, default=min(2, os.cpu_count() or 1))
    ap.add_argument("--seed", type=int, default=SEED)
    ap.add_argument("--json", type=Path, help="write every figure here")
    ap.add_argument("--markdown", type=Path, help="write the tables here too")
    args = ap.parse_args()
    if args.worker:
        print(json.dumps(worker(json.loads(sys.stdin.read()))))
        return

    engines = [e for e in args.engines.split(",") if e]
    probes = all_probes_cache()
    sizes = {**SAMPLE, "name_variants": args.sample_variants, "un_treated": args.sample_un, "un_untreated": args.sample_un}
    repeats = args.repeats
    if args.quick:
        full, sample, repeats = probes.subsample(QUICK_FULL, args.seed), probes.subsample(QUICK_FULL, args.seed).subsample(QUICK_SAMPLE, args.seed), 1
    else:
        full, sample = probes, probes.subsample(sizes, args.seed)
    started = time.perf_counter()
    header = machine()
    print("full sets: " + ", ".join(f"{k} {len(v):,}" for k, v in full.sets.items()), file=sys.stderr)
    print("subsample (seed %d): " % args.seed + ", ".join(f"{k} {len(v):,}" for k, v in sample.sets.items()), file=sys.stderr)
    outputs = execute(plan(full, sample, engines, repeats), args.jobs)
    scale_out = []
    if args.scale:
        for n in [int(x) for x in args.scale_sizes.split(",") if x]:
            runs = [{"label": "scale", "set": s, "keys": [p.key for p in sample.sets[s]], "repeats": repeats}
                    for s in ("name_variants", "negatives")]
            spec = {"engine": "tamiz", "target": f"synthetic:{n}", "runs": runs, "core": 0}
            t0 = time.perf_counter()
            out = run_worker(spec, timeout=args.scale_timeout)
            print(f"  done scale {n:,} {time.perf_counter() - t0:.0f} s" + (f" ERROR {out['error']}" if "error" in out else ""), file=sys.stderr)
            if "error" not in out:
                nv = next(r for r in out["runs"] if r["set"] == "name_variants")
                exp = {p.key for p in sample.sets["name_variants"] if p.expected}
                out["recall"] = f"{sum(nv['results'][k][0] for k in exp) / max(1, len(exp)):.3f}"
            scale_out.append(out)
        # Same probes on the plain SDN, for the baseline row.
        base = run_worker({"engine": "tamiz", "target": "sdn", "core": 0,
                           "runs": [{"label": "scale", "set": s, "keys": [p.key for p in sample.sets[s]], "repeats": repeats}
                                    for s in ("name_variants", "negatives")]})
        if "error" not in base:
            nv = base["runs"][0]
            exp = {p.key for p in sample.sets["name_variants"] if p.expected}
            base["recall"] = f"{sum(nv['results'][k][0] for k in exp) / max(1, len(exp)):.3f}"
        scale_out.insert(0, base)
    res = score(outputs, probes)
    lines = ["### Machine and versions", "", *header, f"- total wall time {time.perf_counter() - started:.0f} s", "",
             "### Full sets (tamiz and the rapidfuzz scan)", "",
             "Sets: " + ", ".join(f"{k} {len(v):,}" for k, v in full.sets.items()), "",
             *table(res, "full", engines, costs=False), "",
             f"### Seeded subsample (seed {args.seed}), all four engines", "",
             "Sets: " + ", ".join(f"{k} {len(v):,}" for k, v in sample.sets.items()), "",
             *table(res, "sample", engines, costs=True), "",
             "### name_variants recall per perturbation class", "", *perturbation_table(res, engines), ""]
    if scale_out:
        lines += ["### tamiz on larger lists (SDN + synthetic parties; the subsample's name_variants and synthetic people)", "",
                  *scale_table(scale_out), ""]
    errors = [o for o in outputs + scale_out if "error" in o]
    for e in errors:
        lines.append(f"- ERROR {e['engine']} on {e['target']}: {e['error']}")
    text = "\n".join(lines)
    print(text)
    if args.markdown:
        args.markdown.write_text(text + "\n", encoding="utf-8")
    if args.json:
        slim = [{k: v for k, v in o.items() if k != "runs"} | {"runs": [{k: v for k, v in r.items() if k != "results"} for r in o.get("runs", [])]}
                for o in outputs + scale_out]
        args.json.write_text(json.dumps({"machine": header, "figures": res["figures"], "perturbation": res["perturbation"],
                                         "costs": res["costs"], "workers": slim}, indent=1, default=str), encoding="utf-8")


if __name__ == "__main__":
    main()
