"""Alembic migrations create exactly the tables the models declare, on every backend."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import inspect, select

from tamiz.audit import AuditLog
from tamiz.audit.migrate import create_all, current, differences, metadata, upgrade
from tamiz.auth import KeyStore
from tamiz.model import Entity
from tamiz.sources.base import ParsedList
from tamiz.store import Store
from tamiz.store.engine import make_engine

HEAD = "0003"


def test_upgrade_empty_database_matches_models(db_url):
    upgrade(db_url)
    assert current(db_url) == HEAD
    engine = make_engine(db_url)
    try:
        tables = set(inspect(engine).get_table_names())
        assert set(metadata().tables) <= tables
        for name in ("audit_log", "alerts", "allow_list", "api_keys", "list_versions", "version_members",
                     "monitored_customers", "webhook_deliveries", "workflow_settings"):
            assert name in tables
        assert differences(engine) == []
        # The migrated database is usable by every room.
        log = AuditLog(engine)
        log.record("admin", "root", {"action": "migrated"})
        assert log.verify().ok
        KeyStore(engine).create("ops", "admin")
    finally:
        engine.dispose()
    upgrade(db_url)  # idempotent
    with Store.open(db_url) as store:
        entity = Entity(id="t:1", dataset="t", schema="Person", caption="Test Person")
        assert store.load(ParsedList(dataset="t", entities=[entity], files=[])).created


def test_database_made_by_create_all_is_stamped_not_recreated(db_url):
    engine = make_engine(db_url)
    create_all(engine)
    AuditLog(engine).record("screen", "a", {"q": 1})
    upgrade(db_url)
    assert current(db_url) == HEAD
    with engine.connect() as conn:
        assert conn.execute(select(metadata().tables["audit_log"].c.seq)).scalars().all() == [1]
    engine.dispose()


def test_0003_upgrades_a_0002_database_and_keeps_its_rows(db_url):
    """A database deployed at 0002 (alerts, audit chain) gains the stored policy; nothing is lost."""
    from tamiz.cases import CaseManager

    upgrade(db_url, "0002")
    assert current(db_url) == "0002"
    engine = make_engine(db_url)
    try:
        assert "workflow_settings" not in inspect(engine).get_table_names()
        log = AuditLog(engine)
        log.record("admin", "root", {"action": "deployed at 0002"})
        tables = metadata().tables
        with engine.begin() as conn:  # 0002's schema, written through its own columns
            conn.execute(tables["alerts"].insert().values(
                reference="C-1", entity_id="t:1", caption="Test", score=0.9, status="open", open_key='["C-1","t:1"]',
                reopened=False, query={}, hit={}, list_versions={}, created_at=datetime.now(UTC),
                pending_allow_list=False))
    finally:
        engine.dispose()
    upgrade(db_url)
    assert current(db_url) == HEAD
    engine = make_engine(db_url)
    try:
        assert "workflow_settings" in inspect(engine).get_table_names()
        assert differences(engine) == []
        log = AuditLog(engine)
        cases = CaseManager(engine, log)
        (alert,) = cases.alerts("C-1")
        assert not cases.four_eyes()  # no stored policy yet: off, as before the upgrade
        cases.policy.set_four_eyes("root", True)
        assert cases.decide(alert.id, "ana", "false_positive", "other person").status == "pending_approval"
        assert log.verify().ok and log.count() == 3  # deployed, policy change, decision
    finally:
        engine.dispose()
