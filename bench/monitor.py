"""Ongoing-monitoring and audit-overhead figures on real SDN name parts.

    python bench/monitor.py [--customers 100000] [--delta 50] [--db URL]

Prints: time to register N synthetic customers (given and family names drawn
from the SDN's individuals), time to re-screen all of them after a delta of
~50 parties, and the cost of an audit record per screening, single and batched.
No asserts: figures only.
"""

from __future__ import annotations

import argparse
import csv
import random
import sys
import tempfile
import time
from pathlib import Path

from tamiz.audit import AuditLog
from tamiz.audit.migrate import create_all
from tamiz.cases import CaseManager, Monitor
from tamiz.match import Matcher, Query
from tamiz.model import Entity, Name
from tamiz.store.engine import make_engine

SDN = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "lists" / "us_ofac_sdn" / "sdn.csv"


def read_sdn(path: Path) -> list[Entity]:
    out = []
    with open(path, encoding="utf-8", errors="replace", newline="") as fh:
        for row in csv.reader(fh):
            if len(row) < 4 or not row[0].strip().isdigit():
                continue
            name, kind = row[1].strip(), row[2].strip().lower()
            schema = "Person" if kind == "individual" else "Vessel" if kind == "vessel" else "Organization"
            given = family = None
            if schema == "Person" and "," in name:
                family, given = (p.strip() for p in name.split(",", 1))
            out.append(Entity(id=f"us_ofac_sdn:{row[0].strip()}", dataset="us_ofac_sdn", schema=schema, caption=name,
                              names=[Name(name, given=given, family=family)]))
    return out


def customers(entities: list[Entity], delta: list[Entity], n: int, rng: random.Random) -> list[dict]:
    people = [e.names[0] for e in entities if e.schema == "Person" and e.names[0].family]
    givens = [p.given.split()[0].title() for p in people if p.given]
    families = [p.family.title() for p in people]
    out = [{"reference": f"C{i:07d}", "name": f"{rng.choice(givens)} {rng.choice(families)}",
            "dob": f"{rng.randint(1940, 2004)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
            "country": rng.choice(["us", "gb", "de", "mx", "ae", "ru", "cn", "fr"])} for i in range(n)]
    # A handful of real customers who are (close to) a party of the delta.
    for j, e in enumerate(delta[:10]):
        name = f"{e.names[0].given} {e.names[0].family}" if e.names[0].family else e.caption
        out[j * 97] = {"reference": out[j * 97]["reference"], "name": name.title(), "schema": e.schema}
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--customers", type=int, default=100_000)
    ap.add_argument("--delta", type=int, default=50)
    ap.add_argument("--db", default=None)
    ap.add_argument("--screenings", type=int, default=300)
    args = ap.parse_args()
    if not SDN.exists():
        sys.exit(f"{SDN}: real data not found (../shared beside the checkout)")
    rng = random.Random(42)
    entities = read_sdn(SDN)
    delta = rng.sample(entities, args.delta)
    tmp = tempfile.TemporaryDirectory()
    url = args.db or f"sqlite:///{tmp.name}/bench.db"
    engine = make_engine(url)
    create_all(engine)
    audit = AuditLog(engine)
    cases = CaseManager(engine, audit)
    monitor = Monitor(engine, cases, audit)
    print(f"SDN parties: {len(entities)}; database: {engine.dialect.name}")

    rows = customers(entities, delta, args.customers, rng)
    t = time.perf_counter()
    monitor.add_many(rows)
    print(f"register {len(rows):,} customers: {time.perf_counter() - t:.1f} s")

    t = time.perf_counter()
    run = monitor.run(delta)
    took = time.perf_counter() - t
    print(f"re-screen {run.customers:,} customers against a delta of {run.delta_entities} parties: {took:.1f} s "
          f"({took / max(run.customers, 1) * 1e6:.0f} us/customer); hits {run.hits}, alerts opened "
          f"{len(run.alerts)}")

    matcher = Matcher.build(entities)
    queries = [r["name"] for r in rng.sample(rows, args.screenings)]
    t = time.perf_counter()
    results = [matcher.search(Query(name=q), limit=10, threshold=0.7) for q in queries]
    screen_s = (time.perf_counter() - t) / len(queries)
    payloads = [{"input": {"name": q}, "list_versions": {"us_ofac_sdn": 1}, "engine_version": "bench",
                 "threshold": 0.7, "results": [h.to_dict() for h in hits]} for q, hits in zip(queries, results)]
    t = time.perf_counter()
    for p in payloads:
        audit.record("screen", "bench", p)
    single_s = (time.perf_counter() - t) / len(payloads)
    t = time.perf_counter()
    audit.record_many([("screen", "bench", p) for p in payloads])
    many_s = (time.perf_counter() - t) / len(payloads)
    print(f"screening (full SDN matcher): {screen_s * 1e3:.2f} ms/query")
    print(f"audit record, one per screening: {single_s * 1e3:.2f} ms ({single_s / screen_s:.1%} of a screening)")
    print(f"audit record, batched (record_many): {many_s * 1e3:.3f} ms ({many_s / screen_s:.2%} of a screening)")
    t = time.perf_counter()
    result = audit.verify()
    print(f"verify {result.checked:,} records: {time.perf_counter() - t:.2f} s, ok={result.ok}")
    engine.dispose()


if __name__ == "__main__":
    main()
