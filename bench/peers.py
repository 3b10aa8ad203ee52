"""The engines compared in bench/matching.py, behind one small interface.

`build(entities)` compiles whatever the engine screens against; `screen(probe)`
returns the (entity id, score) pairs at or above the engine's own match
threshold; `save(dir)` writes what it would keep between runs and returns the
bytes written. Peers are built from their own libraries only (rapidfuzz,
nomenklatura, followthemoney); tamiz is used through its public API.

Schema handling is the same everywhere: a probe with a schema (the synthetic
and UN people are `Person`) only meets entities FtM says that schema can
match; a probe without one (name_variants, which names persons, companies,
vessels and aircraft alike) meets every entity, and logic-v2 is then given the
candidate's own schema for the query so the type is never why it misses.
"""

from __future__ import annotations

import os
import pickle
import time
from pathlib import Path
from typing import Protocol

from bench.datasets import Probe
from tamiz.model import Entity

MATCH = 0.7


class Engine(Protocol):
    name: str
    threshold: float

    def build(self, entities: list[Entity]) -> None: ...

    def screen(self, probe: Probe) -> list[tuple[str, float]]: ...

    def save(self, directory: Path) -> int: ...

    def stats(self) -> dict[str, float]: ...


def _size(path: Path) -> int:
    return sum(p.stat().st_size for p in ([path] if path.is_file() else path.rglob("*")) if p.is_file())


# ---- tamiz ------------------------------------------------------------------------------------


def _tamiz_query(probe: Probe):
    from tamiz.match import Query

    return Query(name=probe.name, schema=probe.schema, birth_dates=list(probe.birth_dates),
                 countries=list(probe.countries), gender=probe.gender)


class Tamiz:
    name = "tamiz"

    def __init__(self) -> None:
        from tamiz.match import MATCH_THRESHOLD

        self.threshold = MATCH_THRESHOLD

    def build(self, entities: list[Entity]) -> None:
        from tamiz.match import Matcher

        self.matcher = Matcher.build(entities)

    def screen(self, probe: Probe) -> list[tuple[str, float]]:
        hits = self.matcher.search(_tamiz_query(probe), limit=10, threshold=self.threshold)
        return [(h.entity.id, h.score) for h in hits if h.score >= self.threshold]

    def save(self, directory: Path) -> int:
        path = directory / "tamiz.index"
        self.matcher.save(path)
        return _size(path)

    def stats(self) -> dict[str, float]:
        return {}


# ---- nomenklatura logic-v2 --------------------------------------------------------------------


def _ftm_entity(entity: Entity):
    from followthemoney import ValueEntity

    from tamiz.sources.ftm import to_ftm

    data = to_ftm(entity)
    data.pop("tamiz", None)
    return ValueEntity.from_dict(data, cleaned=False)


def _ftm_query(probe: Probe, schema: str):
    from followthemoney import ValueEntity, model

    props: dict[str, list[str]] = {"name": [probe.name]}
    s = model.get(schema)
    if s is not None and s.get("birthDate") is not None and probe.birth_dates:
        props["birthDate"] = list(probe.birth_dates)
    if s is not None and s.get("nationality") is not None and probe.countries:
        props["nationality"] = list(probe.countries)
    if s is not None and s.get("gender") is not None and probe.gender:
        props["gender"] = [probe.gender]
    return ValueEntity.from_dict({"id": f"q:{probe.set}:{probe.key}:{schema}", "schema": schema, "properties": props}, cleaned=False)


def _can_match(query_schema: str | None, candidate_schema: str) -> bool:
    from followthemoney import model

    if query_schema is None:
        return True
    q, c = model.get(query_schema), model.get(candidate_schema)
    return q is not None and c is not None and c in q.matchable_schemata


class _LogicV2:
    """logic-v2 scoring over some candidate source; subclasses pick the candidates."""

    threshold = MATCH

    def __init__(self) -> None:
        from nomenklatura.matching import get_algorithm

        self.algo = get_algorithm("logic-v2")
        self.config = self.algo.default_config()
        self.pairs = 0
        self.pair_seconds = 0.0

    def _build_ftm(self, entities: list[Entity]) -> None:
        self.entities = entities
        self.ftm = [_ftm_entity(e) for e in entities]
        self.pos = {e.id: i for i, e in enumerate(entities)}

    def _score(self, probe: Probe, positions: list[int]) -> list[tuple[str, float]]:
        out = []
        queries: dict[str, object] = {}
        for pos in positions:
            cand = self.ftm[pos]
            schema = probe.schema or cand.schema.name
            q = queries.get(schema)
            if q is None:
                q = queries[schema] = _ftm_query(probe, schema)
            t = time.perf_counter()
            score = self.algo.compare(q, cand, self.config).score
            self.pair_seconds += time.perf_counter() - t
            self.pairs += 1
            if score >= self.threshold:
                out.append((self.entities[pos].id, score))
        out.sort(key=lambda x: -x[1])
        return out

    def stats(self) -> dict[str, float]:
        return {"pairs": self.pairs, "pair_seconds": self.pair_seconds}


class LogicV2OnTamizCandidates(_LogicV2):
    """logic-v2 given the 30 candidates tamiz's index returns (as yente gives it Elasticsearch's)."""

    name = "logic-v2 on tamiz candidates"

    def build(self, entities: list[Entity]) -> None:
        from tamiz.match import Matcher

        self.matcher = Matcher.build(entities)
        self._build_ftm(entities)

    def screen(self, probe: Probe) -> list[tuple[str, float]]:
        cands = self.matcher.candidates(_tamiz_query(probe), limit=30)
        return self._score(probe, [self.pos[e.id] for e, _ in cands])

    def save(self, directory: Path) -> int:
        path = directory / "tamiz.index"
        self.matcher.save(path)
        (directory / "ftm.pickle").write_bytes(pickle.dumps([e.to_dict() for e in self.ftm]))
        return _size(directory)


class _NameTable:
    """Every name of every entity, normalised with rapidfuzz's default_process, split by schema filter."""

    def __init__(self, entities: list[Entity]) -> None:
        from rapidfuzz.utils import default_process

        self.entities = entities
        self.names: list[str] = []
        self.owner: list[int] = []
        for pos, e in enumerate(entities):
            seen = set()
            for n in e.all_names():
                s = default_process(n.full)
                if s and s not in seen:
                    seen.add(s)
                    self.names.append(s)
                    self.owner.append(pos)
        self._by_schema: dict[str | None, tuple[list[str], list[int]]] = {None: (self.names, self.owner)}

    def for_schema(self, schema: str | None) -> tuple[list[str], list[int]]:
        got = self._by_schema.get(schema)
        if got is None:
            keep = [i for i, pos in enumerate(self.owner) if _can_match(schema, self.entities[pos].schema)]
            got = self._by_schema[schema] = ([self.names[i] for i in keep], [self.owner[i] for i in keep])
        return got

    def save(self, path: Path) -> int:
        path.write_bytes(pickle.dumps((self.names, self.owner)))
        return _size(path)


class YenteLike(_LogicV2):
    """The README's yente-like pipeline: rapidfuzz WRatio top-30 entities, then logic-v2."""

    name = "yente-like (WRatio top-30 + logic-v2)"

    def build(self, entities: list[Entity]) -> None:
        self.table = _NameTable(entities)
        self._build_ftm(entities)

    def screen(self, probe: Probe) -> list[tuple[str, float]]:
        from rapidfuzz import fuzz, process
        from rapidfuzz.utils import default_process

        names, owner = self.table.for_schema(probe.schema)
        q = default_process(probe.name)
        positions: list[int] = []
        seen: set[int] = set()
        for _, _, idx in process.extract(q, names, scorer=fuzz.WRatio, processor=None, limit=300):
            pos = owner[idx]
            if pos not in seen:
                seen.add(pos)
                positions.append(pos)
                if len(positions) == 30:
                    break
        return self._score(probe, positions)

    def save(self, directory: Path) -> int:
        self.table.save(directory / "names.pickle")
        (directory / "ftm.pickle").write_bytes(pickle.dumps([e.to_dict() for e in self.ftm]))
        return _size(directory)


# ---- rapidfuzz scan ---------------------------------------------------------------------------


class RapidfuzzScan:
    """token_sort_ratio of the query against every name of every entity; a match at 70."""

    name = "rapidfuzz token_sort_ratio scan"
    threshold = MATCH

    def build(self, entities: list[Entity]) -> None:
        self.table = _NameTable(entities)

    def screen(self, probe: Probe) -> list[tuple[str, float]]:
        from rapidfuzz import fuzz, process
        from rapidfuzz.utils import default_process

        names, owner = self.table.for_schema(probe.schema)
        best: dict[str, float] = {}
        for _, score, idx in process.extract(default_process(probe.name), names, scorer=fuzz.token_sort_ratio,
                                             processor=None, score_cutoff=self.threshold * 100, limit=None):
            eid = self.table.entities[owner[idx]].id
            best[eid] = max(best.get(eid, 0.0), score / 100)
        return sorted(best.items(), key=lambda x: -x[1])

    def save(self, directory: Path) -> int:
        return self.table.save(directory / "names.pickle")

    def stats(self) -> dict[str, float]:
        return {}


ENGINES = {
    "tamiz": Tamiz,
    "logicv2_tamiz": LogicV2OnTamizCandidates,
    "yente_like": YenteLike,
    "rapidfuzz": RapidfuzzScan,
}


def make(key: str) -> Engine:
    if key not in ENGINES:
        raise KeyError(f"unknown engine {key!r}; one of {', '.join(ENGINES)}")
    return ENGINES[key]()


def pin_to_core(core: int | None) -> int | None:
    """Pin this process to one core so a figure is per core; returns the core used."""
    if core is None or not hasattr(os, "sched_setaffinity"):
        return None
    cores = sorted(os.sched_getaffinity(0))
    chosen = cores[core % len(cores)]
    os.sched_setaffinity(0, {chosen})
    return chosen
