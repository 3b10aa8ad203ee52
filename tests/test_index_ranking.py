"""The index's candidate ranking against a plain-Python reference, on the real SDN.

The fast paths (numpy scoring of the candidates' own words, dicts for few names)
must give exactly the scores the definition gives: for each query word the best
weight among the listed words it stands for (or the neighbouring-word pairs it
was found through), summed over the query words."""

from __future__ import annotations

import json
import random

import numpy as np
import pytest

import tamiz.index.inverted as inverted
from tamiz.match.matcher import _Analysed
from tamiz.match import Query
from tests.conftest import BENCH, need


@pytest.fixture(scope="module")
def queries() -> list[str]:
    cases = json.loads((need(BENCH) / "name_variants.json").read_text(encoding="utf-8"))["cases"]
    picked = random.Random(11).sample(cases, 600)
    # Customer-like names made of common words reach thousands of names: the numpy path.
    return [c["query"] for c in picked] + ["Mohamed Ali", "Abu Hasan", "Maria Garcia Lopez", "F Muhammad", "AL HAJ"]


def _reference(index: inverted.CandidateIndex, cand: np.ndarray, groups) -> np.ndarray:
    out = np.zeros(len(cand))
    for i, nid in enumerate(cand.tolist()):
        held = set(index.names.tokens[index.names.indptr[nid] : index.names.indptr[nid + 1]].tolist())
        total = 0.0
        for group in groups:
            got = [w for tid, w in group.words if tid in held]
            got += [w for w, nids in group.pairs if nid in set(nids.tolist())]
            total += max(got, default=0.0)
        out[i] = total
    return out


@pytest.mark.parametrize("slot_table_max", [1 << 18, 0], ids=["direct table", "binary search"])
def test_candidate_scores_equal_the_reference(sdn_matcher, queries, monkeypatch, slot_table_max):
    monkeypatch.setattr(inverted, "SLOT_TABLE_MAX", slot_table_max)
    index = sdn_matcher.index
    seen: list[tuple[np.ndarray, list]] = []
    fast = inverted.CandidateIndex._accumulate

    def spy(self, cand, groups):
        got = fast(self, cand, groups)
        seen.append((cand, groups, got))
        return got

    monkeypatch.setattr(inverted.CandidateIndex, "_accumulate", spy)
    monkeypatch.setattr(inverted, "DICT_PATH_MAX", 0)  # every query through the numpy path
    for q in queries:
        for parts in _Analysed(Query(q)).variants():
            index.candidate_names(parts.tokens, parts.tags, limit=64)
    assert len(seen) > len(queries)
    repeated = 0
    for cand, groups, got in seen:
        words = [tid for g in groups for tid, _ in g.words]
        repeated += len(words) != len(set(words))
        np.testing.assert_array_equal(got, _reference(index, cand, groups))
    assert repeated, "no query had a listed word standing in for two of its words"


def test_dict_and_numpy_paths_rank_alike(sdn_matcher, queries, monkeypatch):
    index = sdn_matcher.index
    calls = [(p.tokens, p.tags) for q in queries for p in _Analysed(Query(q)).variants()]
    monkeypatch.setattr(inverted, "DICT_PATH_MAX", 10**9)
    small = [index.candidate_names(t, g, limit=64) for t, g in calls]
    monkeypatch.setattr(inverted, "DICT_PATH_MAX", 0)
    large = [index.candidate_names(t, g, limit=64) for t, g in calls]
    assert small == large
    assert sum(1 for r in small if len(r) == 64) > 50  # the cut at `limit` was exercised


def test_names_renumbered_by_rarest_word_keep_their_entity_and_words():
    from tamiz.index.inverted import CandidateIndex, IndexedName

    raw = [("garcia", "lopez", "maria"), ("garcia", "lopez", "perez"), (), ("zuluaga", "garcia"), ("lopez", "garcia"),
           ("garcia", "zuluaga", "lopez")]
    index = CandidateIndex.build(IndexedName(i, "primary", True, t, (0,) * len(t)) for i, t in enumerate(raw))
    # Every name still belongs to its entity and holds its own words, whatever its new number.
    assert sorted((n.entity, n.tokens) for n in index.names) == sorted(enumerate(raw))
    # The two names holding the rarest word (ZULUAGA) now sit next to each other.
    ids = sorted(index.names_with("zuluaga"))
    assert ids[1] - ids[0] == 1
    found = [index.names[nid].entity for nid, _ in index.candidate_names(("lopez", "zuluaga"), (0, 0), limit=5)]
    assert found[0] == 5 and 3 in found
