"""Alerts, decisions, four-eyes approval and the allow-list, with their audit trail."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import update

from tamiz.audit import AuditLog
from tamiz.audit.migrate import create_all
from tamiz.cases import CaseError, CaseManager, FourEyesViolation
from tamiz.cases.tables import AllowListRow
from tamiz.model import Entity, FuzzyDate, Name, NameKind
from tamiz.sources.base import ParsedList
from tamiz.store import Store
from tamiz.store.engine import make_engine

VERSIONS = {"us_ofac_sdn": 3}
QUERY = {"name": "Ahmad Khalil", "schema": "Person"}
TOMORROW = datetime.now(UTC).date() + timedelta(days=1)


def _entity(remarks: str = "SDGT") -> Entity:
    return Entity(id="us_ofac_sdn:9001", dataset="us_ofac_sdn", schema="Person", caption="KHALIL, Ahmad",
                  names=[Name("KHALIL, Ahmad", NameKind.PRIMARY, given="Ahmad", family="KHALIL")],
                  birth_dates=[FuzzyDate.exact("1970")], nationalities=["lb"], programs=["SDGT"], remarks=remarks)


def _hit(entity: Entity, score: float = 0.93) -> dict:
    return {"id": entity.id, "caption": entity.caption, "score": score, "match": score >= 0.7,
            "datasets": [entity.dataset], "explanation": "name parts match", "entity": entity.to_dict()}


OTHER = {"id": "us_ofac_sdn:77", "caption": "KHALIL TRADING", "score": 0.55, "match": False,
         "datasets": ["us_ofac_sdn"], "explanation": "weak", "fingerprint": "f" * 64}


@pytest.fixture
def engine(db_url):
    eng = make_engine(db_url)
    create_all(eng)
    yield eng
    eng.dispose()


@pytest.fixture
def audit(engine):
    return AuditLog(engine)


@pytest.fixture
def cases(engine, audit):
    return CaseManager(engine, audit)


def _kinds(audit: AuditLog) -> list[str]:
    return [r.kind for r in audit.records()]


def test_hit_above_threshold_opens_one_alert(cases, audit):
    alerts = cases.open_alerts("CUST-1", QUERY, [_hit(_entity()), OTHER], VERSIONS)
    assert [(a.entity_id, a.status, a.new) for a in alerts] == [("us_ofac_sdn:9001", "open", True)]
    assert alerts[0].entity_fingerprint == _entity().fingerprint()
    assert alerts[0].list_versions == VERSIONS and alerts[0].hit["explanation"] == "name parts match"
    again = cases.open_alerts("CUST-1", QUERY, [_hit(_entity(), 0.95)], VERSIONS)
    assert [(a.id, a.new) for a in again] == [(alerts[0].id, False)]
    assert len(cases.alerts(reference="CUST-1")) == 1
    # Another customer with the same hit gets its own alert.
    assert cases.open_alerts("CUST-2", QUERY, [_hit(_entity())], VERSIONS)[0].new
    assert cases.open_alerts("CUST-3", QUERY, [OTHER], VERSIONS) == []
    records = [r for r in audit.records() if r.kind == "alert"]
    assert [len(r.payload["opened"]) for r in records] == [1, 0, 1]
    assert records[1].payload["already_open"][0]["alert_id"] == alerts[0].id
    assert records[0].payload["list_versions"] == VERSIONS and records[0].payload["threshold"] == 0.7


def test_decision_rules(cases):
    alert = cases.open_alerts("C", QUERY, [_hit(_entity())], VERSIONS)[0]
    for bad in ("", "   "):
        with pytest.raises(CaseError, match="reason"):
            cases.decide(alert.id, "ana", "false_positive", bad)
    with pytest.raises(CaseError, match="decision must be"):
        cases.decide(alert.id, "ana", "ignore", "because")
    with pytest.raises(CaseError, match="only a false positive"):
        cases.decide(alert.id, "ana", "true_match", "same person", allow_list=True)
    with pytest.raises(CaseError, match="not in the future"):
        cases.decide(alert.id, "ana", "false_positive", "dob differs", allow_list=True,
                     expires=datetime.now(UTC).date())
    with pytest.raises(CaseError, match="no alert"):
        cases.decide(999999, "ana", "true_match", "x")
    escalated = cases.decide(alert.id, "ana", "escalate", "needs senior review")
    assert escalated.status == "escalated"
    assert not cases.open_alerts("C", QUERY, [_hit(_entity())], VERSIONS)[0].new  # still open
    closed = cases.decide(alert.id, "sam", "true_match", "passport matches")
    assert (closed.status, closed.decision, closed.decided_by) == ("closed", "true_match", "sam")
    with pytest.raises(CaseError, match="already closed"):
        cases.decide(alert.id, "sam", "false_positive", "changed my mind")
    # A confirmed match is not allow-listed: the next screening alerts again.
    fresh = cases.open_alerts("C", QUERY, [_hit(_entity())], VERSIONS)[0]
    assert fresh.new and fresh.id != alert.id and not fresh.reopened
    assert [h["action"] for h in cases.history(alert.id)] == ["escalate", "true_match"]


def test_every_decision_is_audited_in_the_same_transaction(cases, audit):
    alert = cases.open_alerts("C", QUERY, [_hit(_entity())], VERSIONS)[0]
    cases.decide(alert.id, "ana", "escalate", "unsure")
    cases.decide(alert.id, "bo", "false_positive", "different dob", allow_list=True, expires=TOMORROW)
    decisions = [r for r in audit.records() if r.kind == "decision"]
    assert [(r.actor, r.payload["decision"]) for r in decisions] == [("ana", "escalate"), ("bo", "false_positive")]
    assert decisions[1].payload["expires"] == TOMORROW.isoformat()
    assert [h["audit_seq"] for h in cases.history(alert.id)] == [r.seq for r in decisions]
    assert audit.verify().ok


def test_four_eyes(engine, audit):
    cases = CaseManager(engine, audit, four_eyes=True)
    alert = cases.open_alerts("C", QUERY, [_hit(_entity())], VERSIONS)[0]
    pending = cases.decide(alert.id, "ana", "false_positive", "dob 1982 vs 1970", allow_list=True)
    assert pending.status == "pending_approval"
    assert cases.allow_list("C") == []  # nothing suppressed before approval
    assert not cases.open_alerts("C", QUERY, [_hit(_entity())], VERSIONS)[0].new
    with pytest.raises(FourEyesViolation):
        cases.approve(alert.id, "ana")
    with pytest.raises(CaseError, match="awaiting approval"):
        cases.decide(alert.id, "ana", "true_match", "oops")
    done = cases.approve(alert.id, "boss", "agree")
    assert (done.status, done.approved_by, done.decided_by) == ("closed", "boss", "ana")
    entries = cases.allow_list("C")
    assert [(e.entity_id, e.created_by) for e in entries] == [("us_ofac_sdn:9001", "ana")]
    with pytest.raises(CaseError, match="no clearance awaiting"):
        cases.approve(alert.id, "boss2")
    kinds = _kinds(audit)
    assert kinds.count("decision") == 1 and kinds.count("approval") == 1
    # A true match needs no approval; a rejected clearance re-opens the alert.
    other = cases.open_alerts("D", QUERY, [_hit(_entity())], VERSIONS)[0]
    assert cases.decide(other.id, "ana", "true_match", "confirmed").status == "closed"
    third = cases.open_alerts("E", QUERY, [_hit(_entity())], VERSIONS)[0]
    cases.decide(third.id, "ana", "false_positive", "no")
    with pytest.raises(FourEyesViolation):
        cases.reject(third.id, "ana", "self review")
    assert cases.reject(third.id, "boss", "check the passport").status == "open"
    assert audit.verify().ok


def test_allow_list_suppresses_until_entity_changes(cases, audit):
    entity = _entity()
    alert = cases.open_alerts("C", QUERY, [_hit(entity)], VERSIONS)[0]
    cases.decide(alert.id, "ana", "false_positive", "customer born 1991", allow_list=True)
    (entry,) = cases.allow_list("C")
    assert entry.entity_fingerprint == entity.fingerprint() and entry.expires is None
    # Same entity, unchanged: suppressed, not stored as an alert, but visible in the audit record.
    (sup,) = cases.open_alerts("C", QUERY, [_hit(entity)], VERSIONS)
    assert sup.suppressed and sup.id is None and sup.allow_list_id == entry.id
    assert len(cases.alerts(reference="C")) == 1
    last = [r for r in audit.records() if r.kind == "alert"][-1]
    assert last.payload["suppressed"] == [{"entity_id": entity.id, "score": 0.93, "allow_list_id": entry.id}]
    # The allow-list belongs to that customer only.
    assert cases.open_alerts("OTHER", QUERY, [_hit(entity)], VERSIONS)[0].new
    # The list changes the party: the alert opens again, marked reopened, and the entry ends.
    changed = _entity(remarks="SDGT; new alias added")
    (again,) = cases.open_alerts("C", QUERY, [_hit(changed)], VERSIONS)
    assert again.new and again.reopened and again.status == "open"
    assert cases.allow_list("C") == []
    assert cases.allow_list("C", active_only=False)[0].ended_reason == "entity_changed"


def test_allow_list_ends_at_expiry(cases, engine):
    entity = _entity()
    alert = cases.open_alerts("C", QUERY, [_hit(entity)], VERSIONS)[0]
    cases.decide(alert.id, "ana", "false_positive", "different person", allow_list=True, expires=TOMORROW)
    assert cases.open_alerts("C", QUERY, [_hit(entity)], VERSIONS)[0].suppressed
    with engine.begin() as conn:  # time passes: the expiry date arrives
        conn.execute(update(AllowListRow).values(expires=datetime.now(UTC).date()))
    (again,) = cases.open_alerts("C", QUERY, [_hit(entity)], VERSIONS)
    assert again.new and again.reopened
    assert cases.allow_list("C", active_only=False)[0].ended_reason == "expired"


def test_fingerprint_comes_from_the_store_when_the_hit_lacks_it(db_url):
    entity = _entity()
    with Store.open(db_url) as store:
        store.load(ParsedList(dataset="us_ofac_sdn", entities=[entity], files=[]))
        create_all(store.engine)
        cases = CaseManager(store.engine, AuditLog(store.engine))
        bare = {k: v for k, v in _hit(entity).items() if k != "entity"}
        alert = cases.open_alerts("C", QUERY, [bare], VERSIONS)[0]
        assert alert.entity_fingerprint == entity.fingerprint()
        cases.decide(alert.id, "ana", "false_positive", "other person", allow_list=True)
        assert cases.open_alerts("C", QUERY, [bare], VERSIONS)[0].suppressed
        store.load(ParsedList(dataset="us_ofac_sdn", entities=[_entity(remarks="amended")], files=[]))
        assert cases.open_alerts("C", QUERY, [bare], VERSIONS)[0].reopened


def test_alert_pages_come_from_the_database_with_a_total(cases):
    for i in range(7):
        cases.open_alerts(f"PAGE-{i}", QUERY, [_hit(_entity())], VERSIONS)
    cases.open_alerts("OTHER-1", QUERY, [_hit(_entity())], VERSIONS)
    everyone = [a.reference for a in cases.alerts()]
    assert everyone == [f"PAGE-{i}" for i in range(7)] + ["OTHER-1"]
    assert [a.reference for a in cases.alerts(limit=3, offset=2)] == everyone[2:5]
    assert [a.reference for a in cases.alerts(limit=3, offset=6)] == everyone[6:]
    assert cases.count_alerts() == 8
    assert cases.count_alerts(reference="OTHER-1") == 1
    assert cases.count_alerts(status="closed") == 0
