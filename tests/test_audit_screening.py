"""What the Python API and batch screening write to the audit log: who, when, input, lists, engine, results."""

from __future__ import annotations

import csv
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tamiz import __version__
from tamiz.audit.testing import backends, private_database
from tamiz.model import Entity, FuzzyDate, Name
from tamiz.screen.batch import screen_file
from tamiz.screen.screener import Screener
from tamiz.sources.base import ParsedList
from tamiz.store import Store

BOUT = Entity(id="us_ofac_sdn:100", dataset="us_ofac_sdn", schema="Person", caption="BOUT, Viktor Anatolyevich",
              names=[Name("BOUT, Viktor Anatolyevich", given="Viktor Anatolyevich", family="BOUT")],
              birth_dates=[FuzzyDate.exact("1967-01-13")], programs=["SDGT"])
LISTS = {"us_ofac_sdn": {"version": 1, "published": None}}


@pytest.fixture(params=backends())
def screener(request, tmp_path):
    with private_database(request.param, tmp_path) as url, Store.open(url) as store:
        store.load(ParsedList(dataset="us_ofac_sdn", entities=[BOUT], files=[]))
        s = Screener.open(store=store, load_default=False, actor="ana")
        yield s
        s.close()


def test_python_api_screening_is_recorded_with_everything_an_examiner_needs(screener):
    before = datetime.now(UTC) - timedelta(seconds=1)
    hit = screener.screen("Viktor Bout", schema="Person", dob="1967-01-13", threshold=0.65)
    miss = screener.screen("Maria Fernanda Lopez", schema="Person")
    screener.flush()
    records = [r for r in screener.audit.records() if r.kind == "screen"]
    assert len(records) == 2
    first, second = records
    assert first.actor == "ana" and before <= first.ts <= datetime.now(UTC)
    assert first.payload["input"]["name"] == "Viktor Bout" and first.payload["input"]["dob"] == ["1967-01-13"]
    assert first.payload["list_versions"] == LISTS and first.payload["engine"] == f"tamiz {__version__}"
    assert first.payload["threshold"] == 0.65
    assert first.payload["results"] == [{"id": BOUT.id, "score": hit.results[0].score, "match": True}]
    assert second.payload["input"]["name"] == "Maria Fernanda Lopez" and second.payload["results"] == [
        {"id": r.id, "score": r.score, "match": r.match} for r in miss.results]
    assert screener.audit.verify().ok
    # Auditing off (callers that record in bulk themselves) writes nothing.
    screener.screen("Viktor Bout", audit=False)
    screener.flush()
    assert screener.audit.count() == 2
    # A screener shared by a service names who asked, per call.
    screener.screen("Viktor Bout", actor="service:kyc-onboarding")
    screener.flush()
    assert [r.actor for r in screener.audit.records() if r.kind == "screen"] == ["ana", "ana", "service:kyc-onboarding"]


def test_batch_screening_is_recorded_row_by_row(screener, tmp_path: Path):
    source = tmp_path / "customers.csv"
    with open(source, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["customer_id", "full_name", "dob"])
        w.writerows([["K-1", "Viktor Bout", "1967-01-13"], ["K-2", "Maria Fernanda Lopez", ""],
                     ["K-3", "Bout Viktor", ""]])
    summary = screen_file(source, tmp_path / "hits.csv", screener=screener, workers=1, threshold=0.7)
    assert summary.rows == 3
    (record,) = [r for r in screener.audit.records() if r.kind == "batch"]
    assert record.actor == "ana"
    payload = record.payload
    assert payload["list_versions"] == LISTS and payload["engine"] == f"tamiz {__version__}"
    assert payload["threshold"] == 0.7 and payload["source"] == str(source)
    rows = {row["reference"]: row for row in payload["rows"]}
    assert sorted(rows) == ["K-1", "K-2", "K-3"]
    assert rows["K-1"]["input"]["name"] == "Viktor Bout"
    assert [(rid, match) for rid, _, match in rows["K-1"]["results"]] == [(BOUT.id, True)]
    assert all(score >= 0.7 for _, score, _ in rows["K-1"]["results"])
    assert screener.audit.verify().ok
