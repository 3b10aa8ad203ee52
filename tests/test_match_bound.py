"""The scorer skips a listed name only when its bound proves the name cannot reach a near miss.

The bound (tamiz/match/bound.py) must never be below the score the full alignment gives: else a
hit would silently vanish. Checked over every candidate name of real probes (typos, initials,
cut-short and joined words, reordered names) and ordinary names; and the hits with the bound in
use must equal the hits without it.
"""

from __future__ import annotations

import csv
import json
import random

import pytest

from tamiz.match import Matcher, Query
from tamiz.match import bound as bound_module
from tamiz.match.matcher import _Analysed
from tamiz.match.names import compare_parts
from tests.conftest import BENCH, LISTS, need


@pytest.fixture(scope="module")
def probes() -> list[Query]:
    cases = json.loads(need(BENCH / "name_variants.json").read_text())["cases"]
    rng = random.Random(5)
    queries = [Query(c["query"]) for c in rng.sample(cases, 600)]
    with open(need(LISTS / "opensanctions_benchmark" / "negatives_global_synthetic.csv"), encoding="utf-8") as fh:
        queries += [Query(r["full_name"], countries=[r["nationality"]] if r["nationality"] else [])
                    for r in list(csv.DictReader(fh))[:300]]
    # Short words, initials, a cut-short last word, split and joined words.
    queries += [Query(n) for n in ("J Guzman", "Al Qaida", "Ivan Archivaldo Guz", "Abd Al Rahman", "AL BADRI",
                                   "Inversi Ones", "Joaquin Guzman L", "Oseguera Cerv", "Hizb Allah", "MS 13")]
    return queries


def test_bound_is_never_below_the_score(sdn_matcher: Matcher, probes: list[Query]) -> None:
    checked = below_floor = 0
    for query in probes:
        aq = _Analysed(query)
        for pos, _, nids in sdn_matcher._candidate_entities(aq, 16):
            for nid in nids:
                name = sdn_matcher.index.names[nid]
                parts = aq.for_candidate(name.person)
                if parts is None:
                    continue
                most = aq.bound(parts, sdn_matcher._weight).score(name.tokens, name.tags, name.weights, name.person)
                got = compare_parts(parts.tokens, parts.tags, name.tokens, name.tags, sdn_matcher._weight, name.person,
                                    name.weights, aq.found, aq.cache, aq.weights(parts, sdn_matcher._weight)).score
                assert got <= most + 1e-9, (query.name, name.tokens, got, most)
                checked += 1
                below_floor += most < 0.5
    assert checked > 10_000
    assert below_floor > checked // 4  # the bound does prune: most candidates of a probe share one word


def test_hits_are_the_same_without_the_bound(sdn_matcher: Matcher, probes: list[Query], monkeypatch) -> None:
    with_bound = [[(h.entity.id, h.score, h.explanation) for h in sdn_matcher.search(q, limit=10)] for q in probes]
    monkeypatch.setattr(bound_module.QueryBound, "score", lambda self, *a: 1.0)
    without = [[(h.entity.id, h.score, h.explanation) for h in sdn_matcher.search(q, limit=10)] for q in probes]
    assert with_bound == without
    assert sum(map(len, with_bound)) > 500
