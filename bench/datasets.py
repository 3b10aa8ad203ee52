"""Benchmark inputs: the lists screened against and the probes screened.

Every probe carries what a customer record would (name, optional schema, date
of birth, nationality, gender) plus what it must find (`expected`, an entity
id) so each engine is scored the same way end to end. Parsed lists are cached
as pickles next to the system temp dir: parsing the SDN CSVs takes ~10 s,
which would otherwise be paid by every engine's subprocess.
"""

from __future__ import annotations

import csv
import hashlib
import json
import pickle
import random
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from normality import normalize

from tamiz.model import Entity

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
LISTS = SHARED / "data" / "lists"
SDN_FILES = [LISTS / "us_ofac_sdn" / n for n in ("sdn.csv", "add.csv", "alt.csv", "sdn_comments.csv")]
UN_FILES = [LISTS / "un_sc" / "consolidated_2026-02-27.xml"]
NAME_VARIANTS = SHARED / "bench" / "name_variants.json"
OS_BENCH = LISTS / "opensanctions_benchmark"
NEGATIVE_FILES = [OS_BENCH / "negatives_global_synthetic.csv", OS_BENCH / "negatives_us_synthetic.csv"]
UN_POSITIVE_FILES = {"un_untreated": OS_BENCH / "positives_un_untreated.csv",
                     "un_treated": OS_BENCH / "positives_un_treated.csv"}
CACHE = Path(tempfile.gettempdir()) / "tamiz-bench-cache"

# Which list each probe set is screened against.
TARGETS = {"name_variants": "sdn", "negatives": "sdn+un", "un_untreated": "un", "un_treated": "un"}


@dataclass(frozen=True, slots=True)
class Probe:
    set: str  # name_variants, negatives, un_treated, un_untreated
    key: str  # unique within the set
    name: str
    expected: str | None  # entity id that must be found; None for a negative
    family: str = ""  # benign / degraded / adversarial / negative (name_variants)
    perturbation: str = ""
    schema: str | None = None
    birth_dates: tuple[str, ...] = ()
    countries: tuple[str, ...] = ()
    gender: str | None = None


@dataclass
class ProbeSets:
    sets: dict[str, list[Probe]] = field(default_factory=dict)

    def subsample(self, sizes: dict[str, int], seed: int) -> "ProbeSets":
        """A fixed, seeded subsample per set (whole set where the size is larger)."""
        out = {}
        for name, probes in self.sets.items():
            n = sizes.get(name, len(probes))
            rng = random.Random(f"{seed}:{name}")
            out[name] = probes if n >= len(probes) else sorted(rng.sample(probes, n), key=lambda p: p.key)
        return ProbeSets(out)


def _cached(name: str, paths: list[Path], build):
    """Keyed by the list files and by the parsers' and model's code, so a parser fix is never
    benchmarked on a parse made before it."""
    h = hashlib.sha256()
    for p in paths:
        st = p.stat()
        h.update(f"{p}:{st.st_size}:{st.st_mtime_ns}".encode())
    code = REPO / "tamiz"
    for p in sorted([code / "model.py", *(code / "sources").glob("*.py")]):
        h.update(p.read_bytes())
    path = CACHE / f"{name}-{h.hexdigest()[:16]}.pickle"
    if path.exists():
        return pickle.loads(path.read_bytes())
    value = build()
    CACHE.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_bytes(pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL))
    tmp.replace(path)
    return value


def sdn_entities() -> list[Entity]:
    from tamiz.sources.registry import parse_files

    return _cached("sdn", SDN_FILES, lambda: parse_files("us_ofac_sdn", SDN_FILES).entities)


def un_entities() -> list[Entity]:
    from tamiz.sources.registry import parse_files

    return _cached("un", UN_FILES, lambda: parse_files("un_sc_sanctions", UN_FILES).entities)


def target_entities(target: str) -> list[Entity]:
    if target == "sdn":
        return sdn_entities()
    if target == "un":
        return un_entities()
    if target == "sdn+un":
        return sdn_entities() + un_entities()
    raise ValueError(f"unknown target list {target!r}")


def name_variants() -> list[Probe]:
    cases = json.loads(NAME_VARIANTS.read_text(encoding="utf-8"))["cases"]
    return [Probe("name_variants", str(i), c["query"], f"us_ofac_sdn:{c['expected_entity_id']}" if c["expected_entity_id"] else None,
                  c["family"], c["perturbation"]) for i, c in enumerate(cases)]


def _rows(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def negatives() -> list[Probe]:
    """OpenSanctions' synthetic people, screened as Person with their date of birth, nationality, gender."""
    out = []
    for path in NEGATIVE_FILES:
        for i, r in enumerate(_rows(path)):
            out.append(Probe("negatives", f"{path.stem}:{i}", r["full_name"], None, "negative", path.stem, "Person",
                             _opt(r["date_of_birth"]), _opt(r["nationality"]), r["gender"] or None))
    return out


def _opt(value: str) -> tuple[str, ...]:
    return (value.strip(),) if value and value.strip() else ()


def _key(name: str) -> str:
    return " ".join(sorted((normalize(name) or "").split()))


def un_positives() -> dict[str, list[Probe]]:
    """UN persons as OpenSanctions' benchmark states them, plain and with typos/reshuffles.

    The CSVs name no entity, but row i of both files is the same person and the
    plain name is a UN-listed name verbatim, so the expected entity is the UN
    entity carrying that name. Rows whose name matches no entity, or more than
    one, keep `expected=None` and are scored only as "raised any alert".
    """
    by_name: dict[str, set[str]] = {}
    for e in un_entities():
        for n in e.all_names():
            by_name.setdefault(_key(n.full), set()).add(e.id)
    plain = _rows(UN_POSITIVE_FILES["un_untreated"])
    expected = []
    for r in plain:
        ids = by_name.get(_key(r["full_name"]), set())
        expected.append(next(iter(ids)) if len(ids) == 1 else None)
    out = {}
    for set_name, path in UN_POSITIVE_FILES.items():
        rows = _rows(path)
        if len(rows) != len(plain):
            raise ValueError(f"{path}: {len(rows)} rows, expected {len(plain)} (row-aligned with the untreated file)")
        out[set_name] = [Probe(set_name, str(i), r["full_name"], exp, "positive", "un", "Person",
                               _opt(r["date_of_birth"]), _opt(r["nationality"]), r["gender"] or None)
                         for i, (r, exp) in enumerate(zip(rows, expected))]
    return out


def all_probes() -> ProbeSets:
    return ProbeSets({"name_variants": name_variants(), "negatives": negatives(), **un_positives()})
