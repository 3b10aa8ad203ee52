"""Which other lists a screening hit is on, for the screener's current list versions.

Links are computed once per screener state (the set of list versions it
answers from) and kept only as long as the screener itself, so a list update
that produces a new screener also produces new links.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from weakref import WeakKeyDictionary

from tamiz.sources.crosslinks import CrossLinks

if TYPE_CHECKING:
    from tamiz.screen.screener import Screener

_CACHE: WeakKeyDictionary[Screener, tuple[str, CrossLinks]] = WeakKeyDictionary()


def crosslist_for(screener: Screener) -> CrossLinks:
    """The cross-list links among the screener's entities (built on first use)."""
    cached = _CACHE.get(screener)
    state = screener.state
    if cached is not None and cached[0] == state:
        return cached[1]
    links = CrossLinks.build(screener.entities.values())
    _CACHE[screener] = (state, links)
    return links


def also_on(screener: Screener, entity_id: str) -> list[str]:
    """Ids of the same party on the screener's other lists (empty when none)."""
    return crosslist_for(screener).also_on(entity_id)
