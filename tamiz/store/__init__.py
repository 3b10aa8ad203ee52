"""Versioned list store: every loaded version of every dataset, with deltas."""

from tamiz.store.delta import Change, Delta
from tamiz.store.info import LoadResult, VersionInfo
from tamiz.store.prune import PruneResult
from tamiz.store.store import Store

__all__ = ["Change", "Delta", "LoadResult", "PruneResult", "Store", "VersionInfo"]
