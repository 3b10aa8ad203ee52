"""The matching benchmark's inputs and peer engines, on the real UN list and benchmark files."""

from __future__ import annotations

import sys

import pytest

from tests.conftest import BENCH, LISTS, REPO, need

sys.path.insert(0, str(REPO))

from bench import peers  # noqa: E402
from bench.datasets import Probe, name_variants, negatives, un_entities, un_positives  # noqa: E402
from bench.synthetic import synthetic_entities  # noqa: E402


@pytest.fixture(scope="module")
def un():
    need(LISTS / "un_sc" / "consolidated_2026-02-27.xml")
    return un_entities()


def test_probe_sets_have_the_documented_sizes_and_targets():
    need(BENCH / "name_variants.json")
    need(LISTS / "opensanctions_benchmark")
    nv = name_variants()
    assert len(nv) == 8799
    assert sum(p.expected is None for p in nv) == 1181
    assert all(p.expected.startswith("us_ofac_sdn:") for p in nv if p.expected)
    neg = negatives()
    assert len(neg) == 2000 and all(p.schema == "Person" and p.expected is None for p in neg)
    assert sum(bool(p.birth_dates) for p in neg) > 1900


def test_un_positives_resolve_to_the_entity_named(un):
    need(LISTS / "opensanctions_benchmark")
    sets = un_positives()
    plain, treated = sets["un_untreated"], sets["un_treated"]
    assert len(plain) == len(treated) == 683
    resolved = [p for p in plain if p.expected]
    assert len(resolved) > 670
    by_id = {e.id: e for e in un}
    for p in resolved[:50]:
        listed = {n.full.upper() for n in by_id[p.expected].all_names()}
        assert any(sorted(p.name.upper().split()) == sorted(n.split()) for n in listed), p


def test_synthetic_list_recombines_real_parts(un):
    fake = synthetic_entities(un, 2000, seed=1)
    assert len(fake) == 2000 and len({e.id for e in fake}) == 2000
    assert {e.schema for e in fake} == {"Person", "Company"}
    real_words = {w for e in un for n in e.all_names() for w in n.full.replace(",", " ").split()}
    people = [e for e in fake if e.schema == "Person"]
    assert people and all(set(e.names[0].family.split()) <= real_words for e in people)
    assert synthetic_entities(un, 50, seed=1)[0] == fake[0]  # seeded, reproducible


@pytest.mark.parametrize("engine", ["tamiz", "rapidfuzz",
                                    pytest.param("logicv2_tamiz", marks=pytest.mark.slow)])  # logic-v2 warms up for 2-40 s
def test_each_engine_finds_a_listed_person_and_not_a_stranger(un, engine):
    people = [e for e in un if e.schema == "Person" and len(e.caption.split()) >= 3][:150]
    target = people[7]
    eng = peers.make(engine)
    eng.build(people)
    hit = eng.screen(Probe("t", "1", target.caption.lower(), target.id, schema="Person"))
    assert target.id in {i for i, _ in hit}
    miss = eng.screen(Probe("t", "2", "Ingeborg Abrahamsen", None, schema="Person", birth_dates=("1972-11-21",)))
    assert miss == []
