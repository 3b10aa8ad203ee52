"""FastAPI dependencies over KeyStore.

Keys come as `Authorization: Bearer <key>` or `X-API-Key: <key>`. Auth is on
when env TAMIZ_AUTH=on, off when TAMIZ_AUTH=off (local single-user use: every
call acts as a local admin), and otherwise on as soon as one active key exists.
The KeyStore is passed in or taken from `app.state.tamiz_keys`.
"""

from __future__ import annotations

import os
from collections.abc import Callable

from fastapi import HTTPException, Request

from tamiz.auth.keys import KeyStore, Principal
from tamiz.auth.roles import PERMISSIONS, check_role, role_at_least

AUTH_ENV = "TAMIZ_AUTH"
LOCAL = Principal(key_id="local", name="local user", role="admin")


def auth_enabled(keys: KeyStore) -> bool:
    mode = os.environ.get(AUTH_ENV, "").strip().lower()
    if mode in ("off", "0", "false", "no"):
        return False
    if mode in ("on", "1", "true", "yes"):
        return True
    return keys.any_active()


def _presented_key(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return request.headers.get("x-api-key") or None


def _keys(request: Request, keys: KeyStore | None) -> KeyStore:
    found = keys or getattr(request.app.state, "tamiz_keys", None)
    if found is None:
        raise RuntimeError("no KeyStore: pass one to require_role() or set app.state.tamiz_keys")
    return found


def _principal(request: Request, keys: KeyStore) -> Principal:
    if not auth_enabled(keys):
        return LOCAL
    principal = keys.authenticate(_presented_key(request))
    if principal is None:
        raise HTTPException(status_code=401, detail="missing or invalid API key",
                            headers={"WWW-Authenticate": "Bearer"})
    return principal


def require_role(role: str, keys: KeyStore | None = None) -> Callable[[Request], Principal]:
    """Dependency: the caller's Principal, if its role is `role` or above (401 / 403 otherwise)."""
    check_role(role)

    def dependency(request: Request) -> Principal:
        principal = _principal(request, _keys(request, keys))
        if not role_at_least(principal.role, role):
            raise HTTPException(status_code=403, detail=f"this needs the {role} role or above")
        return principal

    return dependency


def require_permission(permission: str, keys: KeyStore | None = None) -> Callable[[Request], Principal]:
    """Dependency: the caller's Principal, if its role holds `permission`."""
    if permission not in PERMISSIONS["admin"]:
        raise ValueError(f"unknown permission {permission!r}")

    def dependency(request: Request) -> Principal:
        principal = _principal(request, _keys(request, keys))
        if not principal.can(permission):
            raise HTTPException(status_code=403, detail=f"this key may not {permission}")
        return principal

    return dependency
