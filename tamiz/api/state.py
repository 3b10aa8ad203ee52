"""The screener a running service answers from, and its hot swap when lists change.

A new screener is built completely (entities, index) before it replaces the
old one in a single reference assignment, so a request sees either the old
lists or the new ones, never a half-loaded index.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from tamiz.api.ftm import Context, ftm_entity
from tamiz.api.settings import ApiSettings
from tamiz.model import Entity
from tamiz.screen.screener import Screener

log = logging.getLogger(__name__)
MAX_CACHED = 100_000


@dataclass(frozen=True, slots=True)
class Incoming:
    """A relation pointing at an entity from another listed party."""

    source_id: str
    type: str


@dataclass(slots=True)
class Loaded:
    """One consistent view: the screener plus what the HTTP layer derives from it."""

    screener: Screener
    token: str
    loaded_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    incoming: dict[str, list[Incoming]] = field(default_factory=dict)
    ctx: Context | None = None
    # Derived once per view, not per request: FtM shapes of entities, dataset scopes.
    _ftm: dict[str, dict[str, Any]] = field(default_factory=dict)
    scopes: dict[tuple[Any, ...], list[str] | None] = field(default_factory=dict)

    @classmethod
    def of(cls, screener: Screener, token: str) -> Loaded:
        incoming: dict[str, list[Incoming]] = defaultdict(list)
        for e in screener.entities.values():
            for r in e.relations:
                if r.target_id:
                    incoming[r.target_id].append(Incoming(e.id, r.type))
        view = cls(screener=screener, token=token, incoming=dict(incoming))
        dates = {
            v.dataset: {
                "first_seen": None,
                "last_seen": v.loaded_at.isoformat(timespec="seconds"),
                "last_change": v.published or v.loaded_at.isoformat(timespec="seconds"),
            }
            for v in screener.versions
        }
        view.ctx = Context(lookup=view.entity, incoming=view.incoming, dates=dates)
        return view

    @property
    def datasets(self) -> list[str]:
        return [v.dataset for v in self.screener.versions]

    def entity(self, entity_id: str) -> Entity | None:
        return self.screener.entities.get(entity_id)

    def ftm(self, entity: Entity, nested: bool = False) -> dict[str, Any]:
        """The entity as yente shows it; the flat form is built once per view (callers get a copy)."""
        assert self.ctx is not None
        if nested:
            return ftm_entity(entity, self.ctx, nested=True)
        found = self._ftm.get(entity.id)
        if found is None:
            if len(self._ftm) >= MAX_CACHED:
                self._ftm.clear()
            found = self._ftm[entity.id] = ftm_entity(entity, self.ctx, nested=False)
        return dict(found)


class ScreenerHolder:
    """Owns the current `Loaded` view; swapped whole, read without locks."""

    def __init__(self, settings: ApiSettings):
        self.settings = settings
        self.current: Loaded | None = None
        self.error: str | None = None
        self.last_check: datetime | None = None
        self.reloads = 0

    def open(self) -> Loaded:
        """Build a view from the store (blocking: call it in a worker thread)."""
        datasets = list(self.settings.datasets) if self.settings.datasets else None
        store = self.current.screener.store if self.current else None
        if store is None:
            from tamiz.store import Store

            store = Store.open(self.settings.db_url)
        # The token is read before the versions so that a load racing with us
        # makes the next check see a difference and reload again.
        empty = not store.datasets()
        token = store.state_token()
        screener = Screener.open(self.settings.db_url, datasets=datasets, store=store)
        if empty:
            token = store.state_token()  # the packaged snapshot was landed just now
        return Loaded.of(screener, token)

    async def load(self) -> None:
        try:
            self.current = await asyncio.to_thread(self.open)
            self.error = None
            self.last_check = datetime.now(UTC)
        except Exception as exc:  # readiness reports it; the service keeps running
            log.exception("could not load lists")
            self.error = f"{type(exc).__name__}: {exc}"

    async def check(self) -> bool:
        """Reload when the store's current versions changed; True if swapped."""
        if self.current is None:
            await self.load()
            return self.current is not None
        store = self.current.screener.store
        token = await asyncio.to_thread(store.state_token)
        self.last_check = datetime.now(UTC)
        if token == self.current.token:
            return False
        log.info("list versions changed: building a new index")
        try:
            fresh = await asyncio.to_thread(self.open)
        except Exception as exc:
            log.exception("reload failed; still answering from the previous lists")
            self.error = f"reload failed: {type(exc).__name__}: {exc}"
            return False
        self.current = fresh
        self.error = None
        self.reloads += 1
        return True

    async def watch(self) -> None:
        interval = self.settings.reload_interval
        while interval > 0:
            await asyncio.sleep(interval)
            try:
                await self.check()
            except Exception:  # a store hiccup must not end the watcher
                log.exception("checking for list updates failed")
