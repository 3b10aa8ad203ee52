"""The readable diff of two list versions, on real SDN parties."""

from __future__ import annotations

import dataclasses
import json

import pytest
from conftest import LISTS, need
from test_store_data import DATASET, parse_sdn

from tamiz.model import Address, FuzzyDate, Identifier, Name, NameKind
from tamiz.sources.base import ParsedList
from tamiz.store import Store
from tamiz.store.diff_report import delta_to_dict, render_diff


@pytest.fixture(scope="module")
def sdn():
    base = need(LISTS / "us_ofac_sdn")
    return parse_sdn([base / n for n in ("sdn.csv", "add.csv", "alt.csv", "sdn_comments.csv")])


def test_render_diff_shows_each_changed_field_as_minus_plus(tmp_path, sdn):
    part = sdn.entities[:1500]
    i = next(i for i, e in enumerate(part) if e.identifiers and e.birth_dates and e.addresses and e.programs)
    j = next(j for j, e in enumerate(part) if len(e.programs) >= 2 and j != i)
    old, reordered = part[i], part[j]
    new_id = Identifier("passport", "X1234567", "Passport", "mx")
    changed = dataclasses.replace(
        old,
        names=old.names + [Name("TAMIZ WEAK ALIAS", NameKind.WEAK_ALIAS)],
        birth_dates=[FuzzyDate.exact("1970-01-02")],
        identifiers=old.identifiers[1:] + [new_id],
        addresses=[Address(city="Tijuana", country="mx", country_name="Mexico")],
        programs=old.programs + ["TAMIZTEST"],
    )
    v2 = list(part)
    v2[i] = changed
    v2[j] = dataclasses.replace(reordered, programs=list(reversed(reordered.programs)))
    removed = v2.pop(3)
    with Store.open(f"sqlite:///{tmp_path / 'd.db'}") as store:
        store.load(ParsedList(DATASET, part, []))
        store.load(ParsedList(DATASET, v2, []))
        delta = store.delta(DATASET)
    report = render_diff(delta, DATASET, 1, 2)
    assert report.startswith(f"{DATASET}: v1 → v2\n0 added, 1 removed, 2 changed\n")
    assert f"  - {removed.id}  {removed.caption}  ({removed.schema})" in report
    block = report[report.index(f"  * {changed.id}") :]
    assert "        + TAMIZ WEAK ALIAS (weak_alias)" in block
    for d in old.birth_dates:
        assert f"        - {d.start}" in block
    assert "        + 1970-01-02" in block
    assert f"        - {old.identifiers[0].type} {old.identifiers[0].value}" in block
    assert "        + passport X1234567 (Passport, mx)" in block
    assert f"        - {old.addresses[0].text()}" in block and "        + Tijuana, Mexico [mx]" in block
    assert "        + TAMIZTEST" in block
    for p in old.programs:
        assert f"        - {p}" not in block  # unchanged programmes are not listed
    assert "(same items, different order or detail)" in report  # the reordered programmes

    data = json.loads(json.dumps(delta_to_dict(delta)))
    assert data["counts"] == {"added": 0, "removed": 1, "changed": 2}
    entry = next(c for c in data["changed"] if c["id"] == changed.id)
    assert set(entry["fields"]) == {"names", "birth_dates", "identifiers", "addresses", "programs"}
    assert entry["fields"]["programs"] == {"removed": [], "added": ["TAMIZTEST"]}
    assert data["removed"] == [
        {"id": removed.id, "caption": removed.caption, "schema": removed.schema, "programs": removed.programs}
    ]
