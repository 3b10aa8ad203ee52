"""The store-backed workflow objects one app shares: store, audit log, cases, monitor, keys.

They are opened on first use, so a service whose database is unreachable
still starts, answers its probes and says why in `/readyz`.
"""

from __future__ import annotations

import hashlib
import threading
import time
from functools import cached_property

from sqlalchemy import Engine

from tamiz.api.settings import ApiSettings
from tamiz.audit import AuditLog
from tamiz.auth import KeyStore, Principal
from tamiz.cases import CaseManager, Monitor, Webhooks
from tamiz.store import Store


class Services:
    def __init__(self, settings: ApiSettings):
        self.settings = settings
        self._lock = threading.Lock()
        self._store: Store | None = None

    @property
    def store(self) -> Store:
        if self._store is None:
            with self._lock:
                if self._store is None:
                    self._store = Store.open(self.settings.db_url)
        return self._store

    @property
    def engine(self) -> Engine:
        return self.store.engine

    @cached_property
    def audit(self) -> AuditLog:
        return AuditLog(self.engine)

    @cached_property
    def cases(self) -> CaseManager:
        return CaseManager(self.engine, self.audit, four_eyes=self.settings.four_eyes)

    @cached_property
    def webhooks(self) -> Webhooks:
        return Webhooks(self.engine)

    @cached_property
    def monitor(self) -> Monitor:
        return Monitor(self.engine, self.cases, self.audit, self.webhooks)

    def close(self) -> None:
        if self._store is not None:
            self._store.close()


class LazyKeyStore(KeyStore):
    """A KeyStore over the services' store, opened when the first request needs it.

    Answers are remembered for `ttl` seconds, so a request costs no database
    round trip and no hash: a revoked key (or the first key created, which
    turns auth on) takes effect within `ttl` seconds in every worker.
    """

    def __init__(self, services: Services, ttl: float = 2.0, max_keys: int = 1024):
        self._services = services
        self.audit = None
        self.ttl = ttl
        self.max_keys = max_keys
        self._active: tuple[float, bool] | None = None
        self._known: dict[str, tuple[float, Principal | None]] = {}

    @property  # type: ignore[override]
    def engine(self) -> Engine:
        return self._services.engine

    def any_active(self) -> bool:
        now = time.monotonic()
        if self._active is None or now - self._active[0] > self.ttl:
            self._active = (now, super().any_active())
        return self._active[1]

    def authenticate(self, plaintext: str | None) -> Principal | None:
        if not plaintext:
            return None
        digest = hashlib.sha256(plaintext.encode()).hexdigest()
        now = time.monotonic()
        found = self._known.get(digest)
        if found is None or now - found[0] > self.ttl:
            if len(self._known) >= self.max_keys:
                self._known.clear()
            found = self._known[digest] = (now, super().authenticate(plaintext))
        return found[1]

    def forget(self) -> None:
        """Drop remembered answers (after creating or revoking keys in this process)."""
        self._active = None
        self._known.clear()
