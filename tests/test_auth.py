"""API keys and roles: hashing, authentication, revocation and every role boundary."""

from __future__ import annotations

import logging

import pytest
from fastapi import Depends, FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select, text

from tamiz.audit import AuditLog
from tamiz.audit.migrate import create_all
from tamiz.audit.testing import backends, private_database
from tamiz.auth import PERMISSIONS, ROLES, KeyStore, PermissionDenied, Principal, UnknownRole, require
from tamiz.auth.fastapi import require_permission, require_role
from tamiz.auth.tables import ApiKeyRow
from tamiz.errors import TamizError
from tamiz.store.engine import make_engine

# What each role must be able to do, and nothing more.
EXPECTED = {
    "screener": {"screen"},
    "analyst": {"screen", "view_alerts", "decide"},
    "approver": {"screen", "view_alerts", "decide", "approve"},
    "admin": {"screen", "view_alerts", "decide", "approve", "manage_lists", "manage_keys", "manage_monitoring",
              "view_audit"},
}


@pytest.fixture(params=backends())
def engine(request, tmp_path):
    with private_database(request.param, tmp_path) as url:
        eng = make_engine(url)
        create_all(eng)
        yield eng
        eng.dispose()


@pytest.fixture
def keys(engine):
    return KeyStore(engine, audit=AuditLog(engine))


def test_key_is_shown_once_and_stored_only_as_hash(keys, engine, caplog):
    caplog.set_level(logging.DEBUG)
    key_id, plaintext = keys.create("ci bot", "screener")
    secret = plaintext.split("_", 2)[2]  # the secret itself may contain "_"
    assert key_id in plaintext and len(secret) >= 40
    with engine.connect() as conn:
        dump = " ".join(str(v) for row in conn.execute(select(ApiKeyRow)).all() for v in row)
        audit = " ".join(row[0] for row in conn.execute(text("SELECT payload FROM audit_log")).all())
    assert secret not in dump and plaintext not in dump
    assert secret not in audit and "key_created" in audit
    assert secret not in caplog.text
    # Two keys never share a salt or a hash.
    _, other = keys.create("ci bot 2", "screener")
    with engine.connect() as conn:
        rows = conn.execute(select(ApiKeyRow.salt, ApiKeyRow.key_hash)).all()
    assert len({r[0] for r in rows}) == 2 and len({r[1] for r in rows}) == 2


def test_authenticate_and_revoke(keys):
    key_id, plaintext = keys.create("alice", "analyst")
    who = keys.authenticate(plaintext)
    assert who == Principal(key_id=key_id, name="alice", role="analyst")
    assert keys.authenticate(plaintext[:-1] + ("A" if plaintext[-1] != "A" else "B")) is None
    assert keys.authenticate(plaintext + "x") is None
    assert keys.authenticate("tmz_nosuchid_" + plaintext.split("_", 2)[2]) is None
    assert keys.authenticate("") is None and keys.authenticate(None) is None
    assert keys.authenticate("not a key") is None
    assert keys.revoke(key_id) is True
    assert keys.authenticate(plaintext) is None
    assert keys.revoke(key_id) is False
    assert [k.revoked_at is not None for k in keys.list()] == [True]


def test_pepper_changes_the_hash(keys, monkeypatch):
    _, plaintext = keys.create("bob", "admin")
    monkeypatch.setenv("TAMIZ_AUTH_PEPPER", "a-new-pepper")
    assert keys.authenticate(plaintext) is None
    _, peppered = keys.create("carol", "admin")
    assert keys.authenticate(peppered).name == "carol"


def test_unknown_role_is_refused(keys):
    with pytest.raises(UnknownRole):
        keys.create("x", "superuser")


@pytest.mark.parametrize("role", ROLES)
def test_every_role_boundary(keys, role):
    _, plaintext = keys.create(f"{role} key", role)
    principal = keys.authenticate(plaintext)
    assert set(PERMISSIONS[role]) == EXPECTED[role]
    for permission in EXPECTED["admin"]:
        if permission in EXPECTED[role]:
            assert require(principal, permission) is principal
        else:
            with pytest.raises(PermissionDenied) as err:
                keys.require(principal, permission)
            assert isinstance(err.value, TamizError) and permission in str(err.value)
    with pytest.raises(PermissionDenied):
        require(None, "screen")


def _echo(role: str):
    def endpoint(p: Principal = Depends(require_role(role))) -> dict:
        return {"key": p.key_id, "role": p.role}
    return endpoint


def _app(keys: KeyStore) -> TestClient:
    """One route per role floor, each echoing who called it."""
    app = FastAPI()
    app.state.tamiz_keys = keys
    for role in ROLES:
        app.add_api_route(f"/{role}", _echo(role), methods=["GET"])

    def approve(p: Principal = Depends(require_permission("approve"))) -> dict:
        return {"key": p.key_id}

    app.add_api_route("/approve", approve, methods=["POST"])
    return TestClient(app)


def test_http_role_floors(keys, monkeypatch):
    monkeypatch.delenv("TAMIZ_AUTH", raising=False)
    client = _app(keys)
    plain = {role: keys.create(role, role)[1] for role in ROLES}
    for caller in ROLES:
        for floor in ROLES:
            headers = {"Authorization": f"Bearer {plain[caller]}"} if floor != "analyst" else {"X-API-Key": plain[caller]}
            resp = client.get(f"/{floor}", headers=headers)
            allowed = ROLES.index(caller) >= ROLES.index(floor)
            assert resp.status_code == (200 if allowed else 403), (caller, floor)
            if allowed:
                assert resp.json()["role"] == caller
        resp = client.post("/approve", headers={"X-API-Key": plain[caller]})
        assert resp.status_code == (200 if caller in ("approver", "admin") else 403)
    assert client.get("/screener").status_code == 401
    assert client.get("/screener", headers={"Authorization": "Bearer tmz_bad_key"}).status_code == 401
    assert client.get("/screener", headers={"Authorization": f"Basic {plain['admin']}"}).status_code == 401


def test_http_auth_off_and_default(keys, monkeypatch):
    client = _app(keys)
    monkeypatch.delenv("TAMIZ_AUTH", raising=False)
    # No key exists yet: local single-user mode.
    assert client.get("/admin").json() == {"key": "local", "role": "admin"}
    key_id, plaintext = keys.create("first", "screener")
    assert client.get("/screener").status_code == 401
    monkeypatch.setenv("TAMIZ_AUTH", "off")
    assert client.get("/admin").status_code == 200
    monkeypatch.setenv("TAMIZ_AUTH", "on")
    keys.revoke(key_id)
    assert client.get("/screener").status_code == 401
    assert client.get("/screener", headers={"X-API-Key": plaintext}).status_code == 401
