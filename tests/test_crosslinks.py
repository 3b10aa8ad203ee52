"""Cross-list links on the real UN (2026) and OFAC SDN (2021) files, plus the rules on small cases."""

from __future__ import annotations

import re
from collections import defaultdict

import pytest

from tamiz.model import DatePrecision, Entity, FuzzyDate, Identifier, Name, NameKind
from tamiz.screen.crosslist import also_on, crosslist_for
from tamiz.screen.screener import Screener
from tamiz.sources import ofac_csv, uk_hmt_csv, un_xml
from tamiz.sources.crosslinks import CrossLinks, LinkEvidence, link_entities, name_key
from tamiz.store import Store
from tests.conftest import LISTS, need

UN = LISTS / "un_sc" / "consolidated_2026-02-27.xml"
UK = LISTS / "uk_hmt_ofsi" / "sanctionsconlist_2018-04-13.csv"
SDN = [LISTS / "us_ofac_sdn" / n for n in ("sdn.csv", "add.csv", "alt.csv", "sdn_comments.csv")]


@pytest.fixture(scope="module")
def real():
    un = un_xml.parse([need(UN)], "un_sc_sanctions").entities
    sdn = ofac_csv.parse([need(p) for p in SDN], "us_ofac_sdn").entities
    entities = un + sdn
    return {e.id: e for e in entities}, CrossLinks.build(entities)


def test_known_un_sdn_overlaps_are_linked_with_their_evidence(real):
    _, links = real
    # Found by reading both files: each pair is one person, on the UN list and on the SDN.
    expected = {
        ("un_sc_sanctions:QDi.135", "us_ofac_sdn:9758"): {"identifier", "name_dob"},  # Dawood Ibrahim Kaskar, 10 passports
        ("un_sc_sanctions:QDi.360", "us_ofac_sdn:18630"): {"identifier", "name_dob"},  # Sally-Anne Frances Jones
        ("un_sc_sanctions:QDi.029", "us_ofac_sdn:6948"): {"identifier"},  # Hijazi: UN national id = SDN SSN 548-91-5411
        ("un_sc_sanctions:KPi.049", "us_ofac_sdn:20601"): {"identifier"},  # Pak Han Se, passport 290410121
        ("un_sc_sanctions:CFi.009", "us_ofac_sdn:11018"): {"name_dob"},  # Joseph Kony, born 1964-09-18
    }
    for (a, b), kinds in expected.items():
        assert b in links.also_on(a) and a in links.also_on(b), (a, b)
        assert {ev.kind for ev in links.evidence(a, b)} == kinds, links.evidence(a, b)
    assert links.datasets_for("un_sc_sanctions:QDi.135") == ["us_ofac_sdn"]
    assert any("290410121" in ev.detail for ev in links.evidence("us_ofac_sdn:20601", "un_sc_sanctions:KPi.049"))


def test_link_count_and_shape(real):
    entities, links = real
    pairs = links.pairs()
    # 306 with the 2026 UN file and the 2021 SDN; the UN file lists 730 individuals.
    assert 250 <= len(pairs) <= 400, len(pairs)
    assert all(entities[a].dataset != entities[b].dataset for a, b in pairs)
    as_dict = link_entities(entities.values())
    assert as_dict == links.as_dict()
    assert all(a in as_dict[b] for a, others in as_dict.items() for b in others)
    qdi = [e for e in entities.values() if e.source_id.startswith("QDi.")]
    assert sum(1 for e in qdi if links.also_on(e.id)) >= 0.5 * len(qdi)


def _norm(value: str) -> str:
    return re.sub(r"[^0-9A-Z]", "", value.upper())


def test_spot_check_a_sample_of_links_independently(real):
    entities, links = real
    sample = links.pairs()[::12]
    assert len(sample) >= 20
    for a, b in sample:
        ea, eb = entities[a], entities[b]
        shared_id = {_norm(i.value) for i in ea.identifiers} & {_norm(i.value) for i in eb.identifiers}
        days_a = {d.start for d in ea.birth_dates if d.precision == DatePrecision.DAY}
        days_b = {d.start for d in eb.birth_dates if d.precision == DatePrecision.DAY}
        names_a = {frozenset(re.findall(r"[a-z0-9]+", n.full.lower())) for n in ea.names if n.kind != NameKind.WEAK_ALIAS}
        names_b = {frozenset(re.findall(r"[a-z0-9]+", n.full.lower())) for n in eb.names if n.kind != NameKind.WEAK_ALIAS}
        same_name_dob = ea.schema == eb.schema and bool(days_a & days_b) and bool(names_a & names_b)
        assert shared_id or same_name_dob, (a, b, links.evidence(a, b))


def test_no_link_from_a_name_alone(real):
    entities, links = real
    linked = set(links.pairs())
    by_key: dict[tuple[str, ...], set[str]] = defaultdict(set)
    for e in entities.values():
        if e.dataset == "us_ofac_sdn":
            for n in e.all_names():
                if (k := name_key(n.full)):
                    by_key[k].add(e.id)
    name_only = []
    for e in entities.values():
        if e.dataset != "un_sc_sanctions":
            continue
        for n in e.all_names():
            for other in by_key.get(name_key(n.full) or (), ()):
                o = entities[other]
                shared_id = {_norm(i.value) for i in e.identifiers} & {_norm(i.value) for i in o.identifiers}
                shared_day = {d.start for d in e.birth_dates if d.precision == DatePrecision.DAY} & {
                    d.start for d in o.birth_dates if d.precision == DatePrecision.DAY}
                if not shared_id and not shared_day:
                    name_only.append(tuple(sorted((e.id, other))))
    assert len(name_only) > 100  # same names without a date or number in common are common...
    assert not linked & set(name_only)  # ...and none of them is linked
    # e.g. the same organisation name on both lists: no date of birth, no number → no link.
    assert "us_ofac_sdn:10887" not in links.also_on("un_sc_sanctions:IRe.050")  # PARCHIN CHEMICAL INDUSTRIES
    # Two UN entries share passports 6620505 / 9003213: such a number identifies nobody.
    assert "us_ofac_sdn:13106" not in links.also_on("un_sc_sanctions:IRi.003")


def person(eid: str, name: str, dob: str | None = None, ids: list[Identifier] | None = None, schema: str = "Person",
           kind: NameKind = NameKind.PRIMARY) -> Entity:
    dataset = eid.split(":")[0]
    return Entity(id=eid, dataset=dataset, schema=schema, caption=name, names=[Name(name, kind)],
                  birth_dates=[FuzzyDate.exact(dob)] if dob else [], identifiers=ids or [])


def test_rules_on_small_cases():
    pp = lambda v, c=None: [Identifier("passport", v, country=c)]
    cases = [
        # (a, b, linked?)
        (person("a:1", "Ali Hassan Omar", "1970-01-02"), person("b:1", "OMAR, Ali Hassan", "1970-01-02"), True),
        (person("a:1", "José Ñúñez Peña", "1970-01-02"), person("b:1", "PENA, Jose Nunez", "1970-01-02"), True),
        (person("a:1", "Ali Hassan Omar", "1970"), person("b:1", "Ali Hassan Omar", "1970"), False),  # year only
        (person("a:1", "Ali Hassan Omar", "1970-01-02"), person("b:1", "Ali Hassan Omar", "1970-01-03"), False),
        (person("a:1", "Ali Hassan Omar"), person("b:1", "Ali Hassan Omar"), False),  # name alone
        (person("a:1", "Ali Omar", "1970-01-02", kind=NameKind.WEAK_ALIAS), person("b:1", "Ali Omar", "1970-01-02"), False),
        (person("a:1", "Ali Omar", "1970-01-02"), person("a:2", "Ali Omar", "1970-01-02"), False),  # same list
        (person("a:1", "X One", ids=pp("G-123 456")), person("b:1", "Y Two", ids=pp("g123456")), True),
        (person("a:1", "X One", ids=pp("1234")), person("b:1", "Y Two", ids=pp("1234")), False),  # too short
        (person("a:1", "X One", ids=pp("00000000")), person("b:1", "Y Two", ids=pp("00000000")), False),  # generic
        (person("a:1", "X One", ids=pp("G123456", "fr")), person("b:1", "Y Two", ids=pp("G123456", "dz")), False),
        (person("a:1", "X One", ids=[Identifier("phone", "+44 20 7946 0000")]),
         person("b:1", "Y Two", ids=[Identifier("phone", "+44 20 7946 0000")]), False),
        (person("a:1", "X One", ids=pp("G123456")), person("b:1", "Y Two", ids=pp("G123456"), schema="Vessel"), False),
    ]
    for a, b, want in cases:
        links = CrossLinks.build([a, b])
        assert (b.id in links.also_on(a.id)) is want, (a, b)
    links = CrossLinks.build([person("a:1", "X One", ids=pp("G123456")), person("b:1", "Y", ids=pp("G123456"))])
    assert links.evidence("b:1", "a:1") == [LinkEvidence("identifier", links.evidence("a:1", "b:1")[0].detail)]
    assert "G123456" in links.evidence("a:1", "b:1")[0].detail


def test_screen_side_lookup(tmp_path):
    store = Store.open(f"sqlite:///{tmp_path / 'x.db'}")
    store.load(un_xml.parse([need(UN)], "un_sc_sanctions"))
    store.load(uk_hmt_csv.parse([need(UK)], "gb_hmt_sanctions"))
    screener = Screener.open(store=store, load_default=False)
    links = crosslist_for(screener)
    assert crosslist_for(screener) is links  # cached for the same list versions
    assert len(links) > 200
    hit = screener.screen("Dawood Ibrahim Kaskar", schema="Person", dob="1955-12-26").matches[0]
    others = also_on(screener, hit.id)
    assert others and all(o.split(":")[0] != hit.id.split(":")[0] for o in others)
    assert {screener.entities[o].dataset for o in others} == {"gb_hmt_sanctions", "un_sc_sanctions"} - {hit.datasets[0]}
    # the hit itself shows every list it is on, in the JSON contract too
    assert hit.also_on == others
    assert sorted(hit.datasets) == ["gb_hmt_sanctions", "un_sc_sanctions"]
    assert hit.to_dict()["also_on"] == others and sorted(hit.to_dict()["datasets"]) == sorted(hit.datasets)
