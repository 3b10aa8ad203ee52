"""API keys: generated once, shown once, stored as a salted HMAC-SHA256.

A key reads `tmz_<key_id>_<secret>`. The key id is public (it finds the row
and names the key in lists and audit records); only the secret part is
checked, in constant time, against the stored hash. An optional server pepper
(env TAMIZ_AUTH_PEPPER) is mixed into every hash so a stolen database alone
cannot be brute-forced offline.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Engine, func, insert, select, update

from tamiz.auth.roles import PERMISSIONS, PermissionDenied, check_role, role_at_least
from tamiz.auth.tables import ApiKeyRow

PREFIX = "tmz_"
PEPPER_ENV = "TAMIZ_AUTH_PEPPER"


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling: what an authenticated key stands for."""

    key_id: str
    name: str
    role: str

    def can(self, permission: str) -> bool:
        return permission in PERMISSIONS[self.role]

    def at_least(self, role: str) -> bool:
        return role_at_least(self.role, role)

    @property
    def actor(self) -> str:
        """The name decisions and audit records carry."""
        return f"{self.name} ({self.key_id})"


@dataclass(frozen=True, slots=True)
class KeyInfo:
    key_id: str
    name: str
    role: str
    created_at: datetime
    revoked_at: datetime | None


def _hash(salt: str, secret: str) -> str:
    pepper = os.environ.get(PEPPER_ENV, "")
    return hmac.new((pepper + salt).encode(), secret.encode(), hashlib.sha256).hexdigest()


def _split(plaintext: str) -> tuple[str, str] | None:
    if not isinstance(plaintext, str) or not plaintext.startswith(PREFIX):
        return None
    key_id, sep, secret = plaintext[len(PREFIX):].partition("_")
    if not sep or not key_id or not secret:
        return None
    return key_id, secret


def require(principal: Principal | None, permission: str) -> Principal:
    """Raise PermissionDenied unless `principal` holds `permission`."""
    if principal is None:
        raise PermissionDenied(f"an API key is required for {permission!r}")
    if not principal.can(permission):
        raise PermissionDenied(f"key {principal.key_id} ({principal.role}) may not {permission!r}")
    return principal


class KeyStore:
    def __init__(self, engine: Engine, audit=None):  # audit: tamiz.audit.AuditLog | None
        self.engine = engine
        self.audit = audit

    def create(self, name: str, role: str, actor: str = "system") -> tuple[str, str]:
        """Make a key; returns (key_id, plaintext). The plaintext is never stored or shown again."""
        check_role(role)
        if not name.strip():
            raise ValueError("a key needs a name")
        key_id = secrets.token_hex(6)
        secret = secrets.token_urlsafe(32)
        salt = secrets.token_hex(16)
        with self.engine.begin() as conn:
            conn.execute(insert(ApiKeyRow).values(key_id=key_id, name=name, role=role, salt=salt,
                                                  key_hash=_hash(salt, secret), created_at=datetime.now(UTC)))
        if self.audit is not None:
            self.audit.record("admin", actor, {"action": "key_created", "key_id": key_id, "name": name, "role": role})
        return key_id, f"{PREFIX}{key_id}_{secret}"

    def authenticate(self, plaintext: str | None) -> Principal | None:
        parts = _split(plaintext or "")
        if parts is None:
            return None
        key_id, secret = parts
        with self.engine.connect() as conn:
            row = conn.execute(select(ApiKeyRow).where(ApiKeyRow.key_id == key_id)).first()
        if row is None:
            _hash("0" * 32, secret)  # same work whether or not the id exists
            return None
        if not hmac.compare_digest(_hash(row.salt, secret), row.key_hash) or row.revoked_at is not None:
            return None
        return Principal(key_id=row.key_id, name=row.name, role=row.role)

    def revoke(self, key_id: str, actor: str = "system") -> bool:
        with self.engine.begin() as conn:
            done = conn.execute(update(ApiKeyRow).where(ApiKeyRow.key_id == key_id, ApiKeyRow.revoked_at.is_(None))
                                .values(revoked_at=datetime.now(UTC))).rowcount
        if done and self.audit is not None:
            self.audit.record("admin", actor, {"action": "key_revoked", "key_id": key_id})
        return bool(done)

    def list(self) -> list[KeyInfo]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(ApiKeyRow).order_by(ApiKeyRow.created_at)).all()
        return [KeyInfo(r.key_id, r.name, r.role, r.created_at, r.revoked_at) for r in rows]

    def any_active(self) -> bool:
        with self.engine.connect() as conn:
            n = conn.execute(select(func.count()).select_from(ApiKeyRow).where(ApiKeyRow.revoked_at.is_(None)))
            return n.scalar_one() > 0

    require = staticmethod(require)
