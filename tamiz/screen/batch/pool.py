"""A process pool that screens chunks in parallel and hands results back in order.

At most a few chunks per worker are in flight, so reading never runs ahead of
screening and memory stays flat however large the input. Each worker holds one
Screener for its whole life: inherited from the parent when processes fork
(no start-up cost, pages shared), else opened once by the worker (the index is
cached on disk, so that is quick).
"""

from __future__ import annotations

import multiprocessing as mp
import signal
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from tamiz.screen.batch.mapping import ColumnMapping
from tamiz.screen.batch.readers import RawRow
from tamiz.screen.batch.rows import ChunkResult, QueryCache, screen_chunk

ScreenerFactory = Callable[[], Any]

# Per worker process: the screener it answers with. Set in the parent only just
# before forking, so forked workers inherit it; cleared again right after.
_worker_screener: Any = None
_worker_cache = QueryCache()


@dataclass(frozen=True, slots=True)
class OpenScreener:
    """Picklable factory: open the screener from the store (for spawned workers)."""

    db: str | None = None
    datasets: tuple[str, ...] | None = None

    def __call__(self) -> Any:
        from tamiz.screen.screener import Screener

        return Screener.open(self.db, datasets=list(self.datasets) if self.datasets else None)


def _init_worker(factory: ScreenerFactory | None) -> None:
    global _worker_screener
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent handles Ctrl-C and stops the pool
    if factory is not None:
        _worker_screener = factory()


def _work(index: int, rows: Sequence[RawRow], mapping: ColumnMapping, threshold: float | None,
          limit: int) -> ChunkResult:
    return screen_chunk(index, rows, _worker_screener, mapping, threshold, limit, _worker_cache)


class ChunkPool:
    def __init__(self, workers: int, screener: Any, factory: ScreenerFactory | None):
        global _worker_screener
        self.workers = workers
        methods = mp.get_all_start_methods()
        if factory is None and "fork" in methods:
            ctx = mp.get_context("fork")
            _worker_screener = screener
            try:
                self.pool = ctx.Pool(workers, initializer=_init_worker, initargs=(None,))
            finally:
                _worker_screener = None
        else:
            ctx = mp.get_context("spawn" if "fork" not in methods else "fork")
            self.pool = ctx.Pool(workers, initializer=_init_worker, initargs=(factory,))

    def run(self, chunks: Iterable[tuple[int, list[RawRow]]], mapping: ColumnMapping, threshold: float | None,
            limit: int) -> Iterator[ChunkResult]:
        window = self.workers * 2 + 1
        pending: deque = deque()
        for index, rows in chunks:
            pending.append(self.pool.apply_async(_work, (index, rows, mapping, threshold, limit)))
            if len(pending) >= window:
                yield pending.popleft().get()
        while pending:
            yield pending.popleft().get()

    def close(self, abort: bool = False) -> None:
        if abort:
            self.pool.terminate()
        else:
            self.pool.close()
        self.pool.join()
