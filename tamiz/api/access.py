"""Who may call what: tamiz.auth's role dependencies, wired once for every router.

Screening needs `screener`; alerts and decisions `analyst`; approving a
clearance `approver`; lists, monitoring runs, webhooks and the audit log
`admin`. Registering a customer for monitoring (and listing them) is an
analyst's daily work; removing one stops its screening, so that is `admin`.

The caller's Principal is kept on `request.state.principal`, so that audit
records and decisions name the key's owner (`Principal.actor`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import Depends, Request

from tamiz.auth import KeyStore, Principal
from tamiz.auth.fastapi import LOCAL, auth_enabled, require_role


def _wrap(minimum: str) -> Callable[[Request], Awaitable[Principal]]:
    check = require_role(minimum)

    async def dependency(request: Request) -> Principal:
        # On the event loop: the app's KeyStore answers from memory (see LazyKeyStore),
        # so a thread hop per request would cost more than the check.
        principal = check(request)
        request.state.principal = principal
        return principal

    dependency.__name__ = f"require_{minimum}"
    return dependency


_DEPENDENCIES = {r: _wrap(r) for r in ("screener", "analyst", "approver", "admin")}
ROLE_DEPENDENCIES = frozenset(_DEPENDENCIES.values())


def role(minimum: str) -> Callable[[Request], Awaitable[Principal]]:
    """The dependency for `minimum` (one shared function per role, so FastAPI caches it per request)."""
    return _DEPENDENCIES[minimum]


NeedScreener = Depends(role("screener"))
NeedAnalyst = Depends(role("analyst"))
NeedApprover = Depends(role("approver"))
NeedAdmin = Depends(role("admin"))


def actor(request: Request) -> str:
    """The name audit records carry: the key's owner, or the caller's address when auth is off."""
    principal: Principal | None = getattr(request.state, "principal", None)
    if principal is not None and principal is not LOCAL:
        return principal.actor
    client = request.client
    return f"api:{client.host}" if client else "api"


def keys(request: Request) -> KeyStore:
    return request.app.state.tamiz_keys


def is_on(request: Request) -> bool:
    return auth_enabled(keys(request))
