"""The screener a running service answers from, and its hot swap when lists change.

A new screener is built completely (entities, index) before it replaces the
old one in a single reference assignment, so a request sees either the old
lists or the new ones, never a half-loaded index.
"""

from __future__ import annotations

import asyncio
import gc
import logging
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import orjson

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


def _encoded(shape: dict[str, Any]) -> tuple[tuple[str, Any], ...]:
    """(key, value) pairs with container values pre-encoded: nothing in them is tracked by the GC."""
    return tuple((k, orjson.Fragment(orjson.dumps(v)) if isinstance(v, (dict, list)) else v) for k, v in shape.items())


@dataclass(slots=True)
class Loaded:
    """One consistent view: the screener plus what the HTTP layer derives from it."""

    screener: Screener
    token: str
    loaded_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    incoming: dict[str, list[Incoming]] = field(default_factory=dict)
    ctx: Context | None = None
    # Derived once per view, not per request: FtM shapes of entities, dataset scopes.
    _ftm: dict[str, tuple[tuple[str, Any], ...]] = field(default_factory=dict)
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
        """The entity as yente shows it, for a JSON answer (FastJSONResponse).

        The flat form is built once per view and kept with its lists and
        properties already encoded (orjson fragments): encoding an answer then
        copies them, and the cache holds no containers, so it adds nothing to
        the cyclic collector's full passes (which showed in the latency tail).
        Callers get a fresh dict; its container values are for encoding only.
        """
        assert self.ctx is not None
        if nested:
            return ftm_entity(entity, self.ctx, nested=True)
        found = self._ftm.get(entity.id)
        if found is None:
            if len(self._ftm) >= MAX_CACHED:
                self._ftm.clear()
            found = self._ftm[entity.id] = _encoded(ftm_entity(entity, self.ctx, nested=False))
        return dict(found)


def settle_gc(swapped: bool) -> None:
    """Keep the cyclic collector off the long-lived view, and let a replaced one go.

    `Screener.open` freezes the lists and index; the view built on them is
    frozen too. Frozen objects are never collected, so after a hot swap the
    old view (its screener holds reference cycles) must be unfrozen and
    collected, or every list update would leak a whole index.
    """
    if swapped:
        gc.unfreeze()
        gc.collect()
    gc.freeze()


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
            fresh = await asyncio.to_thread(self.open)
            swapped = self.current is not None
            self.current = fresh
            del fresh
            settle_gc(swapped)
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
        del fresh
        settle_gc(swapped=True)
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
