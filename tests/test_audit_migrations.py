"""Alembic migrations create exactly the tables the models declare, on every backend."""

from __future__ import annotations

import pytest
from sqlalchemy import inspect, select

from tamiz.audit import AuditLog
from tamiz.audit.migrate import create_all, current, differences, metadata, upgrade
from tamiz.audit.testing import backends, private_database
from tamiz.auth import KeyStore
from tamiz.model import Entity
from tamiz.sources.base import ParsedList
from tamiz.store import Store
from tamiz.store.engine import make_engine


@pytest.fixture(params=backends())
def db_url(request, tmp_path):
    with private_database(request.param, tmp_path) as url:
        yield url


def test_upgrade_empty_database_matches_models(db_url):
    upgrade(db_url)
    assert current(db_url) == "0002"
    engine = make_engine(db_url)
    try:
        tables = set(inspect(engine).get_table_names())
        assert set(metadata().tables) <= tables
        for name in ("audit_log", "alerts", "allow_list", "api_keys", "list_versions", "version_members",
                     "monitored_customers", "webhook_deliveries"):
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
    assert current(db_url) == "0002"
    with engine.connect() as conn:
        assert conn.execute(select(metadata().tables["audit_log"].c.seq)).scalars().all() == [1]
    engine.dispose()
