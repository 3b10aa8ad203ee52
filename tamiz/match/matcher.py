"""The matcher: an index over a list's names plus the scorer, with explanations."""

from __future__ import annotations

import hashlib
import pickle
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from followthemoney.types import registry

from tamiz.index import CandidateIndex, IndexedName
from tamiz.match.bound import QueryBound
from tamiz.match.evidence import (
    DEFAULT_WEIGHTS,
    country_features,
    dob_features,
    gender_features,
    identifier_features,
    legal_form_features,
    schema_compatible,
)
from tamiz.match.explain import explain
from tamiz.match.names import NameComparison, compare_parts
from tamiz.match.results import Comparison, Feature, Hit
from tamiz.model import Entity, Identifier, NameKind
from tamiz.normalize import TAG_WEIGHT, Tag, analyse
from tamiz.normalize.names import is_legal

MATCH_THRESHOLD = 0.7
NEAR_MISS_FLOOR = 0.5  # results below this are not shown at all
NAMES_PER_PARTY = 3  # a party's names scored: the best the index found (aliases often share their words)
CANDIDATE_RATIO = 0.5  # score only candidates whose index score is at least this share of the best
FORMAT = 2


@lru_cache(maxsize=4096)
def _country_code(value: str) -> str | None:
    value = value.strip()
    if not value:
        return None
    return registry.country.clean(value) or registry.country.clean_text(value) if len(value) > 2 else value.lower()


@dataclass
class Query:
    name: str
    schema: str | None = None
    birth_dates: list[str] = field(default_factory=list)
    countries: list[str] = field(default_factory=list)
    identifiers: list[str | Identifier] = field(default_factory=list)
    gender: str | None = None

    def country_codes(self) -> list[str]:
        out = []
        for c in self.countries:
            code = _country_code(c)
            if code:
                out.append(code)
        return out


def _name_kind(schema: str | None) -> str | None:
    return "Person" if schema == "Person" else schema


class _Analysed:
    """A query analysed once as a person name and once as an organisation name."""

    def __init__(self, query: Query):
        self.query = query
        schema = query.schema
        self.person = analyse(query.name, "Person") if schema in (None, "Person", "LegalEntity") else None
        self.org = analyse(query.name, "Organization") if schema != "Person" else None
        self.found: dict[str, dict[str, float]] = {}  # query word -> listed words the index found it under, with their similarity
        self.cache: dict = {}  # word-pair similarities for this query
        self._weights: dict[tuple, list[float]] = {}  # query word weights per analysed variant
        self._bounds: dict[tuple, QueryBound] = {}
        self.countries = query.country_codes()
        # A query of unknown type that ends in a legal form reads as a company.
        org = self.org
        # Only a true legal form counts (not a one-slip guess such as "FA" or "PTR"), and a two-letter
        # one only when written with its dots ("S.A.", not the given name "Sa").
        last = org.tokens[-1] if schema is None and org is not None and len(org.tokens) > 1 else None
        self.legal_form = (last if last and is_legal(last) and (len(last) > 2 or query.name.rstrip().endswith("."))
                           else None)

    def weights(self, parts, weight: Callable[[str, int], float]) -> list[float]:
        key = (parts.tokens, parts.tags)  # a person and an organisation reading tag words differently
        got = self._weights.get(key)
        if got is None:
            got = self._weights[key] = [weight(t, g) for t, g in zip(parts.tokens, parts.tags)]
        return got

    def bound(self, parts, weight: Callable[[str, int], float]) -> QueryBound:
        """The variant prepared for bounding its comparisons; made after the index has filled `found`."""
        key = (parts.tokens, parts.tags)
        got = self._bounds.get(key)
        if got is None:
            got = self._bounds[key] = QueryBound(parts.tokens, parts.tags, self.weights(parts, weight), self.found)
        return got

    def for_candidate(self, person: bool):
        return (self.person if person else self.org) or self.person or self.org

    def variants(self):
        seen = set()
        for parts in (self.person, self.org):
            if parts is not None and parts.tokens not in seen:
                seen.add(parts.tokens)
                yield parts


def _indexed_names(entities: Sequence[Entity]):
    for pos, entity in enumerate(entities):
        person = entity.schema == "Person"
        seen: set[tuple[str, ...]] = set()
        for name in entity.all_names():
            parts = analyse(name.full, entity.schema, name.given, name.family)
            if not parts.tokens or parts.tokens in seen:
                continue
            seen.add(parts.tokens)
            yield IndexedName(pos, str(name.kind), person, parts.tokens, tuple(int(t) for t in parts.tags))


class Matcher:
    # Part of the screener's cache key: bump whenever the saved index format or scoring changes.
    CACHE_VERSION = "6"

    def __init__(self, entities: Sequence[Entity], index: CandidateIndex):
        self.entities = list(entities)
        self.index = index
        self._by_entity: dict[int, list[int]] | None = None

    # ---- build / persist ------------------------------------------------------------------
    @classmethod
    def build(cls, entities: Sequence[Entity]) -> "Matcher":
        return cls(entities, CandidateIndex.build(_indexed_names(entities)))

    @staticmethod
    def _fingerprint(entities: Sequence[Entity]) -> str:
        h = hashlib.sha256()
        for e in entities:
            h.update(e.id.encode())
            h.update(b"\0")
        return h.hexdigest()

    def save(self, path: Path) -> None:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(path.suffix + ".tmp")
        with open(tmp, "wb") as fh:
            pickle.dump(self.index.state(), fh, protocol=pickle.HIGHEST_PROTOCOL)
            pickle.dump({"format": FORMAT, "entities": self._fingerprint(self.entities)}, fh)
        tmp.replace(path)

    @classmethod
    def load(cls, path: Path, entities: Sequence[Entity]) -> "Matcher":
        path = Path(path)
        with open(path, "rb") as fh:
            state = pickle.load(fh)
            meta = pickle.load(fh)
        if meta.get("format") != FORMAT or meta.get("entities") != cls._fingerprint(entities):
            raise ValueError(f"{path}: index was built for other entities; rebuild it")
        return cls(entities, CandidateIndex.from_state(state, path))

    # ---- candidates ------------------------------------------------------------------------
    def _candidate_entities(self, aq: _Analysed, limit: int) -> list[tuple[int, float, list[int]]]:
        """(entity position, index score, name ids) best first."""
        per_entity: dict[int, tuple[float, list[int]]] = {}
        name_entity = self.index.names.entity
        schema = aq.query.schema
        for parts in aq.variants():
            for nid, score in self.index.candidate_names(parts.tokens, parts.tags, limit=limit * 4, found=aq.found):
                pos = int(name_entity[nid])
                if schema is not None and not schema_compatible(schema, self.entities[pos].schema):
                    continue
                prev = per_entity.get(pos)
                if prev is None:
                    per_entity[pos] = (score, [nid])
                else:
                    if nid not in prev[1] and len(prev[1]) < NAMES_PER_PARTY:
                        prev[1].append(nid)
                    if score > prev[0]:
                        per_entity[pos] = (score, prev[1])
        ranked = sorted(per_entity.items(), key=lambda kv: -kv[1][0])[:limit]
        return [(pos, s, nids) for pos, (s, nids) in ranked]

    def candidates(self, query: Query, limit: int = 50) -> list[tuple[Entity, float]]:
        aq = _Analysed(query)
        return [(self.entities[pos], score) for pos, score, _ in self._candidate_entities(aq, limit)]

    # ---- scoring ---------------------------------------------------------------------------
    def _weight(self, token: str, tag: int) -> float:
        return self.index.token_weight(token, tag)

    def search(self, query: Query, limit: int = 10, threshold: float | None = None,
               weights: dict[str, float] | None = None) -> list[Hit]:
        threshold = MATCH_THRESHOLD if threshold is None else threshold
        w = {**DEFAULT_WEIGHTS, **(weights or {})}
        aq = _Analysed(query)
        hits: list[Hit] = []
        ranked = self._candidate_entities(aq, max(16, limit + 6))
        if not ranked:
            return []
        # Entities whose index score is far below the best share only minor words with the query.
        floor = ranked[0][1] * CANDIDATE_RATIO
        shown = min(NEAR_MISS_FLOOR, threshold)
        for pos, iscore, nids in ranked:
            if iscore < floor:
                break
            entity = self.entities[pos]
            scored = self._score(aq, entity, [self.index.names[n] for n in nids], threshold, w, self._weight, aq.found,
                                 shown)
            # Near misses stay visible: a good name with clashing evidence is shown, unmatched.
            if scored is not None and max(scored[0].score, scored[0].features[0].value) >= shown:
                hits.append(scored)
        hits.sort(key=lambda h: (-h[0].score, h[0].entity.id))
        return [_explained(*h) for h in hits[:limit]]

    @staticmethod
    def _score(aq: _Analysed, entity: Entity, names: Sequence[IndexedName], threshold: float,
               w: dict[str, float], weight: Callable[[str, int], float],
               allowed: Mapping[str, Mapping[str, float]] | None = None,
               floor: float | None = None) -> tuple[Hit, NameComparison, str] | None:
        """The hit without its explanation (written only for hits that are returned)."""
        query = aq.query
        if not schema_compatible(query.schema, entity.schema):
            return None
        best: tuple[float, NameComparison, IndexedName] | None = None
        boost = _max_boost(aq, w) if floor is not None else 0.0
        for name in names:
            parts = aq.for_candidate(name.person)
            if parts is None:
                continue
            if floor is not None and name.weights:
                # A name that cannot reach a near miss, whatever the alignment, is not aligned.
                most = aq.bound(parts, weight).score(name.tokens, name.tags, name.weights, name.person)
                if most < floor and most * w["name"] + boost < floor:
                    continue
            cmp = compare_parts(parts.tokens, parts.tags, name.tokens, name.tags, weight, name.person,
                                name.weights or None, allowed, aq.cache, aq.weights(parts, weight))
            if best is None or cmp.score > best[0]:
                best = (cmp.score, cmp, name)
        if best is None or best[0] <= 0.0:
            return None
        name_score, cmp, name = best
        if floor is not None and name_score < floor and name_score * w["name"] + boost < floor:
            return None  # no evidence the query gives could lift it to a near miss: skip building it
        features = [Feature("name", name_score, w["name"], query.name, " ".join(name.tokens))]
        if name.kind == NameKind.WEAK_ALIAS:
            features.append(Feature("weak_alias", -1.0, w["weak_alias"], None, " ".join(name.tokens),
                                    "matched a weak (low-quality) alias"))
        features += dob_features(query.birth_dates, entity.birth_dates, w)
        features += country_features(aq.countries, entity, w)
        features += gender_features(query.gender, entity, w)
        features += identifier_features(query.identifiers, entity, w)
        features += legal_form_features(aq.legal_form, name.person, w)
        score = sum(f.value * f.weight for f in features)
        score = max(0.0, min(1.0, score))
        return Hit(entity, score, score >= threshold, features), cmp, name.kind


def _max_boost(aq: _Analysed, w: dict[str, float]) -> float:
    """The most the query's own evidence can add to a name score."""
    q = aq.query
    return (max(0.0, w["dob_match"], w["dob_year_match"]) * bool(q.birth_dates) + max(0.0, w["country_match"]) * bool(aq.countries)
            + max(0.0, w["identifier_match"]) * bool(q.identifiers))


def _explained(hit: Hit, cmp: NameComparison, kind: str) -> Hit:
    hit.features[0].detail = _pairs_detail(cmp)
    hit.explanation = explain(cmp, hit.features, kind)
    return hit


def _pairs_detail(cmp: NameComparison) -> str:
    bits = []
    for p in cmp.pairs:
        if p.query and p.candidate:
            bits.append(p.query if p.how == "exact" else f"{p.query}~{p.candidate} ({p.how})")
        elif p.query:
            bits.append(f"{p.query} (not in listed name)")
        elif p.candidate:
            bits.append(f"listed {p.candidate} (not in query)")
    return f"query coverage {cmp.query_coverage:.2f}, listed-name coverage {cmp.candidate_coverage:.2f}: " + ", ".join(bits)


def _static_weight(token: str, tag: int) -> float:
    """Without list statistics a longer word is taken as rarer."""
    return (4.0 + min(len(token), 10) * 0.6) * TAG_WEIGHT[Tag(tag)]


def compare(name1: str, name2: str, schema: str = "Person", *, threshold: float | None = None,
            weights: dict[str, float] | None = None, candidate: Entity | None = None, **evidence) -> Comparison:
    """Score one query name against one other name (or `candidate` entity) without an index."""
    threshold = MATCH_THRESHOLD if threshold is None else threshold
    w = {**DEFAULT_WEIGHTS, **(weights or {})}
    query = Query(name=name1, schema=schema, **evidence)
    entity = candidate or Entity(id="compare:1", dataset="compare", schema=schema or "LegalEntity", caption=name2)
    person = entity.schema == "Person"
    names = []
    for n in ([] if candidate is None else entity.all_names()) or [type("N", (), {"full": name2, "given": None, "family": None, "kind": NameKind.PRIMARY})()]:
        parts = analyse(n.full, entity.schema, n.given, n.family)
        names.append(IndexedName(0, str(n.kind), person, parts.tokens, tuple(int(t) for t in parts.tags)))
    scored = Matcher._score(_Analysed(query), entity, names, threshold, w, _static_weight)
    if scored is None:
        return Comparison(0.0, False, [], "Names have nothing in common.")
    hit = _explained(*scored)
    if hit is None:
        return Comparison(0.0, False, [], "Names have nothing in common.")
    return Comparison(hit.score, hit.match, hit.features, hit.explanation)
