"""Mentions of listed parties in free text, against the packaged OFAC SDN snapshot."""

from __future__ import annotations

import json
import os
import random
from pathlib import Path

import pytest

from conftest import LISTS, need
from tamiz.screen.text import find_mentions, tokenize


def index_cache() -> str:
    from platformdirs import user_cache_dir

    return os.environ.get("TAMIZ_CACHE") or str(Path(user_cache_dir("tamiz")) / "tests")


@pytest.fixture(scope="module")
def shared_home(tmp_path_factory) -> Path:
    need(LISTS / "us_ofac_sdn")
    home = tmp_path_factory.getbasetemp() / "tamiz_batch_text_home"
    home.mkdir(exist_ok=True)
    return home


@pytest.fixture(scope="module")
def screener(shared_home):
    """One SDN screener for the module (home shared with test_batch; index cache kept between sessions)."""
    from tamiz.screen.screener import Screener

    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("TAMIZ_HOME", str(shared_home))
        mp.setenv("TAMIZ_CACHE", index_cache())
        mp.delenv("TAMIZ_DB", raising=False)
        return Screener.open()


NEWS_EN = (
    "MEXICO CITY (Reuters) - Prosecutors said on Tuesday that Oseguera Cervantes Nemesio, the man known as "
    "El Mencho, still leads the Jalisco New Generation Cartel from the mountains of Michoacán. A second "
    "indictment names Ivan Archivaldo Guzman, whom associates call El Chapito, as the head of a rival faction. "
    "Analysts at a bank in the city said the family business of shipping companies kept growing."
)
EXPECTED_EN = [
    ("Oseguera Cervantes Nemesio", "us_ofac_sdn:17674"),
    ("Mencho", "us_ofac_sdn:17674"),
    ("Jalisco New Generation Cartel", "us_ofac_sdn:17671"),
    ("Ivan Archivaldo Guzman", None),
    ("El Chapito", None),
]

NEWS_ES = (
    "CULIACÁN, Sinaloa. — La fiscalía informó que Joaquín Guzmán Loera fue trasladado de nuevo, mientras "
    "que el Cártel de Jalisco Nueva Generación respondió con bloqueos en la carretera. Vecinos del barrio "
    "dijeron que la familia del banco unido no tenía nada que ver."
)
EXPECTED_ES = [("Joaquín Guzmán Loera", "us_ofac_sdn:6861"),
               ("Cártel de Jalisco Nueva Generación", "us_ofac_sdn:17671")]


def _spans(text: str, expected: list[tuple[str, str | None]]) -> list[tuple[int, int, str | None]]:
    out, pos = [], 0
    for phrase, eid in expected:
        start = text.index(phrase, pos)
        out.append((start, start + len(phrase), eid))
        pos = start + len(phrase)
    return out


def _check(text: str, mentions, expected) -> None:
    want = _spans(text, expected)
    got = [(m.start, m.end, m.id) for m in mentions]
    assert [(s, e) for s, e, _ in got] == [(s, e) for s, e, _ in want], [m.text for m in mentions]
    for (s, e, eid), m in zip(want, mentions):
        assert m.text == text[s:e]
        if eid:
            assert m.id == eid
        assert m.score >= 0.7 and m.explanation


def test_english_news_reordered_unaccented_aliases_translated(screener):
    mentions = find_mentions(NEWS_EN, screener)
    _check(NEWS_EN, mentions, EXPECTED_EN)
    chapito = {m.id for m in mentions if "Chapito" in m.text or "Archivaldo" in m.text}
    assert len(chapito) == 1  # both spans point to the same listed person
    assert "GUZMAN SALAZAR" in next(m.caption for m in mentions if "Archivaldo" in m.text)


def test_spanish_news_with_accents(screener):
    _check(NEWS_ES, find_mentions(NEWS_ES, screener), EXPECTED_ES)


@pytest.mark.parametrize("word", ["GULF", "UNITED", "FAMILY", "NEW", "BANK", "COMPANY", "AL", "Gulf", "United"])
def test_ordinary_list_words_never_fire_on_their_own(screener, word):
    text = f"The {word} report was read aloud. {word}. Then {word} and {word} again, said the {word} clerk."
    assert find_mentions(text, screener) == []


def test_ordinary_prose_of_list_words_is_clear(screener):
    text = ("The United Nations met in the Gulf. A new bank and a family company from Al Ain opened. "
            "El presidente de la compañía nueva del golfo habló con la familia unida.")
    assert find_mentions(text, screener) == []


def test_offsets_survive_unicode_and_punctuation():
    text = "“Zoë’s” café — naïve Ωmega, 123 x"
    toks = tokenize(text)
    assert [text[t.start:t.end] for t in toks] == ["Zoë’s", "café", "naïve", "Ωmega", "123", "x"]
    assert toks[0].folded == "zoes"


def test_long_generated_document(screener):
    rng = random.Random(7)
    filler = ("the council said on monday that trade across the region had grown and that new rules for the bank "
              "sector and the united family of gulf companies would follow next year while markets stayed calm").split()
    planted = [("Joaquin Guzman Loera", "us_ofac_sdn:6861"), ("Nemesio Oseguera Cervantes", "us_ofac_sdn:17674"),
               ("Cartel de Jalisco Nueva Generacion", "us_ofac_sdn:17671")]
    parts, expected = [], []
    for i in range(300):
        sentence = " ".join(rng.choice(filler) for _ in range(rng.randint(8, 20))).capitalize()
        if i % 25 == 3:
            name, eid = planted[(i // 25) % len(planted)]
            sentence += f", according to {name}"
            expected.append((name, eid))
        parts.append(sentence + ".")
    text = " ".join(parts)
    mentions = find_mentions(text, screener)
    _check(text, mentions, expected)


def test_cli_text_json(screener, shared_home, tmp_path, monkeypatch):
    import typer
    from typer.testing import CliRunner

    from tamiz.cli.batch_text import text

    monkeypatch.setenv("TAMIZ_HOME", str(shared_home))
    monkeypatch.setenv("TAMIZ_CACHE", index_cache())
    app = typer.Typer()
    app.command()(text)
    app.command("noop")(lambda: None)
    src = tmp_path / "note.txt"
    src.write_text("Payment held: beneficiary Joaquín Guzmán Loera, per the GULF BANK desk.", encoding="utf-8")
    res = CliRunner().invoke(app, ["text", str(src), "--json"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert [(m["text"], m["id"]) for m in data["mentions"]] == [("Joaquín Guzmán Loera", "us_ofac_sdn:6861")]
    assert data["datasets"][0]["name"] == "us_ofac_sdn"
    res = CliRunner().invoke(app, ["text", str(tmp_path / "missing.txt")])
    assert res.exit_code == 1 and "no such file" in " ".join(res.output.split())


@pytest.mark.parametrize("text, expected", [
    # Every word of the name is an ordinary word: found written as a name is written...
    ("Tankers chartered by the National Iranian Oil Company left port on Monday.",
     [("National Iranian Oil Company", "us_ofac_sdn:11317")]),
    # ...and a person whose every name is common on the list, in either order.
    ("Records name HUSAIN, Ali Saleh as the owner.", [("HUSAIN, Ali Saleh", "us_ofac_sdn:11380")]),
    ("Records name Ali Saleh Husain as the owner.", [("Ali Saleh Husain", "us_ofac_sdn:11380")]),
    # Spans take in the legal form, full stops included, and a leading particle.
    ("Funds went to DEEP OFFSHORE TECHNOLOGY COMPANY, P.J.S. last year, and to CORPORACION CIMEX, S.A. in May.",
     [("DEEP OFFSHORE TECHNOLOGY COMPANY, P.J.S.", "us_ofac_sdn:13116"), ("CORPORACION CIMEX, S.A.", "us_ofac_sdn:576")]),
    ("Payments reached AL-'AYSH, Khalid al-Hajj Muhammad through a courier.",
     [("AL-'AYSH, Khalid al-Hajj Muhammad", "us_ofac_sdn:22155")]),
    # One distinctive word plus a word the list tags as a legal form ("GAS", "USA").
    ("The ship sailed for SYRIAN GAS COMPANY and LA HACIENDA (USA), LLC.",
     [("SYRIAN GAS COMPANY", "us_ofac_sdn:12871"), ("LA HACIENDA (USA), LLC.", "us_ofac_sdn:11588")]),
    # A one-word listed name inside another person's name is no mention; standing alone it is.
    ("The tanker Jazmin docked at the port. Jazmin Lopez opened a shop.", [("Jazmin", "us_ofac_sdn:26643")]),
    ("PAYMENT TO HAMAS ACCOUNT 123", [("HAMAS", "us_ofac_sdn:4695")]),
])
def test_names_without_a_rare_word_legal_forms_and_particles(screener, text, expected):
    _check(text, find_mentions(text, screener, audit=False), expected)


def test_ordinary_words_of_common_word_names_stay_quiet(screener):
    text = ("The national oil company of Iran and the united bank said the family group would grow. "
            "In the noor of the morning, mara and tara walked. Ali Saleh met the council.")
    assert find_mentions(text, screener, audit=False) == []


def test_index_read_api_agrees_with_the_names(screener):
    index = screener.matcher.index
    nids = index.names_with("guzman")
    assert nids and len(nids) == index.name_count("guzman") and index.name_count("no-such-token") == 0
    assert all("guzman" in index.names[n].tokens for n in nids)
    everything = dict(index.all_names())
    assert len(everything) == len(index.names) and everything[nids[0]].tokens == index.names[nids[0]].tokens
