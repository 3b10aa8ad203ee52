"""The pages' session: an API key entered once and kept in a cookie, and CSRF tokens for forms.

The key cookie is HttpOnly (no script reads it) and SameSite=Strict (no other
site's page sends it). Forms also carry a per-session token that must equal a
second SameSite=Strict cookie (double submit), so a forged form post fails
even in a browser that ignores SameSite. Both cookies work across uvicorn
workers, since nothing is kept in a process.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Callable

from fastapi import Request
from fastapi.responses import Response

from tamiz.auth import Principal
from tamiz.auth.fastapi import LOCAL, auth_enabled
from tamiz.auth.roles import role_at_least

KEY_COOKIE = "tamiz_key"
CSRF_COOKIE = "tamiz_csrf"
COOKIE_DAYS = 1


class UiDenied(Exception):
    """The page needs a key (401: show the login form) or a higher role (403)."""

    def __init__(self, status: int, needed: str):
        self.status = status
        self.needed = needed
        super().__init__(f"{status}: needs {needed}")


def presented_key(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return request.headers.get("x-api-key") or request.cookies.get(KEY_COOKIE) or None


def principal(request: Request) -> Principal | None:
    """Who is at the browser: a local admin when auth is off, None without a valid key."""
    cached = getattr(request.state, "principal", None)
    if cached is not None:
        return cached
    keys = request.app.state.tamiz_keys
    found = LOCAL if not auth_enabled(keys) else keys.authenticate(presented_key(request))
    if found is not None:
        request.state.principal = found
    return found


def ui_role(minimum: str) -> Callable[[Request], Principal]:
    """Page dependency: the Principal if its role is `minimum` or above, else UiDenied."""

    def dependency(request: Request) -> Principal:
        who = principal(request)
        if who is None:
            raise UiDenied(401, minimum)
        if not role_at_least(who.role, minimum):
            raise UiDenied(403, minimum)
        return who

    return dependency


def can(request: Request, role: str) -> bool:
    who = getattr(request.state, "principal", None)
    return who is not None and role_at_least(who.role, role)


def csrf_token(request: Request) -> str:
    """This browser's form token (made on first use and set as a cookie by `finish`)."""
    token = getattr(request.state, "csrf", None)
    if token is None:
        token = request.cookies.get(CSRF_COOKIE) or ""
        if len(token) < 32:
            token = secrets.token_urlsafe(32)
            request.state.csrf_new = True
        request.state.csrf = token
    return token


def csrf_ok(request: Request, submitted: str | None) -> bool:
    cookie = request.cookies.get(CSRF_COOKIE) or ""
    return len(cookie) >= 32 and bool(submitted) and hmac.compare_digest(cookie, submitted or "")


def _secure(request: Request) -> bool:
    return request.url.scheme == "https"


def finish(request: Request, response: Response) -> Response:
    """Set the CSRF cookie if this response introduced a token."""
    if getattr(request.state, "csrf_new", False):
        response.set_cookie(CSRF_COOKIE, request.state.csrf, httponly=True, samesite="strict",
                            secure=_secure(request), path="/")
    return response


def log_in(request: Request, response: Response, key: str) -> None:
    response.set_cookie(KEY_COOKIE, key, max_age=COOKIE_DAYS * 86400, httponly=True, samesite="strict",
                        secure=_secure(request), path="/")
    # A fresh form token with every new session.
    response.set_cookie(CSRF_COOKIE, secrets.token_urlsafe(32), httponly=True, samesite="strict",
                        secure=_secure(request), path="/")


def log_out(response: Response) -> None:
    response.delete_cookie(KEY_COOKIE, path="/", samesite="strict", httponly=True)
