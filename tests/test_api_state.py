"""The service's view of the lists: a hot swap releases the previous screener."""

from __future__ import annotations

import asyncio
import gc
import weakref

from api_support import db_url, prepared_home

from tamiz.api import ApiSettings
from tamiz.api.state import ScreenerHolder


def test_hot_swap_frees_the_previous_lists(tmp_path_factory, monkeypatch):
    # Screener.open freezes the lists for the cyclic collector; frozen objects are never
    # collected, so the holder must unfreeze on a swap or each list update leaks an index.
    home = prepared_home(tmp_path_factory)
    monkeypatch.setenv("TAMIZ_HOME", str(home))
    holder = ScreenerHolder(ApiSettings(db_url=db_url(home), reload_interval=0))
    asyncio.run(holder.load())
    assert holder.current is not None
    old_screener = weakref.ref(holder.current.screener)
    old_matcher = weakref.ref(holder.current.screener.matcher)
    holder.current.token = "an older state of the store"
    assert asyncio.run(holder.check()) is True
    assert holder.current.screener is not old_screener()
    assert old_screener() is None and old_matcher() is None
    assert gc.get_freeze_count() > 0  # the new view is frozen again
