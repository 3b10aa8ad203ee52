"""The candidate index over the real SDN: fuzzy words meet listed words by lookup."""

from __future__ import annotations

import time

import pytest

from tamiz.index import CandidateIndex
from tamiz.match import Matcher, Query


def _ids(m: Matcher, name: str, limit: int = 20) -> list[str]:
    return [e.id for e, _ in m.candidates(Query(name), limit=limit)]


@pytest.mark.parametrize(
    "query, expected",
    [
        ("OSEGURA CERVANTES Nemesio", "us_ofac_sdn:17674"),  # typo
        ("OSEGEURA CERVANTES Nemesio", "us_ofac_sdn:17674"),  # transposition
        ("0SEGUERA CERVANTES", "us_ofac_sdn:17674"),  # OCR digit
        ("SGR CRVNTS Nemesio", "us_ofac_sdn:17674"),  # vowels dropped (and a letter)
        ("GUZMAN SALAZAR Ivan Archiv", "us_ofac_sdn:13148"),  # truncated
        ("CARTEL DE JALISCONUEVA GENERACION", "us_ofac_sdn:17671"),  # words run together
    ],
)
def test_fuzzy_words_find_the_listed_party(sdn_matcher, query, expected):
    assert expected in _ids(sdn_matcher, query)


def test_query_word_meets_listed_word_through_deletion_keys(sdn_matcher):
    index = sdn_matcher.index
    hits = index.matching_tokens("oseguerra")
    assert index.vocab["oseguera"] in hits
    assert index.vocab["cervantes"] not in hits


def test_save_and_load_round_trip_is_fast(sdn_matcher, tmp_path):
    path = tmp_path / "sdn.idx"
    sdn_matcher.save(path)
    t0 = time.perf_counter()
    loaded = Matcher.load(path, sdn_matcher.entities)
    assert time.perf_counter() - t0 < 1.5  # < 0.5 s on an idle machine; slack for a busy CI
    assert _ids(loaded, "Nemesio Oseguera") == _ids(sdn_matcher, "Nemesio Oseguera")
    with pytest.raises(ValueError):
        Matcher.load(path, sdn_matcher.entities[:-1])


def test_legal_form_alone_finds_no_one_in_particular(sdn_matcher):
    # Only weak words: the index still answers, but from a bounded seed.
    assert len(_ids(sdn_matcher, "S.A. DE C.V.", limit=50)) <= 50


def test_index_on_a_handful_of_entities_without_data():
    from tamiz.model import Entity, Name

    ents = [Entity(id="t:1", dataset="t", schema="Company", caption="SEPRIV, S.A. DE C.V.", names=[Name("SEPRIV, S.A. DE C.V.")]),
            Entity(id="t:2", dataset="t", schema="Company", caption="PATRACA, S.A. DE C.V.", names=[Name("PATRACA, S.A. DE C.V.")])]
    m = Matcher.build(ents)
    assert isinstance(m.index, CandidateIndex)
    assert _ids(m, "SEPRIB SA DE CV")[0] == "t:1"


def test_names_are_held_as_flat_arrays(sdn_matcher):
    import numpy as np

    index = sdn_matcher.index
    assert isinstance(index.names.tokens, np.ndarray) and index.names.tokens.dtype == np.int32
    entity = next(i for i, e in enumerate(sdn_matcher.entities) if e.id == "us_ofac_sdn:17674")
    views = [n for n in (index.names[i] for i in np.flatnonzero(index.names.entity == entity)) if n.kind == "primary"]
    assert views and views[0].tokens == ("oseguera", "cervantes", "nemesio")
    assert all(w > 0 for w in views[0].weights)


def test_common_words_rank_but_do_not_drive(sdn_matcher):
    # Two-letter vowel-less words are looked up by consonant skeleton ("HQ" for HAQ).
    assert "us_ofac_sdn:11353" in _ids(sdn_matcher, "HQ ABDL")
