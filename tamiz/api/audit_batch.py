"""Group commit for the audit log: every API screening is recorded, one commit per batch.

A commit per request would cap the service at the disk's fsync rate (about a
hundred a second on SQLite). Requests instead hand their records to this
writer and wait until the batch holding them is committed, so each answer is
still only sent once its audit record is durable.

There is no fixed wait: a batch is written as soon as the writer is free, and
whatever arrives while it writes forms the next batch. A lone request pays
one commit; under load a commit serves every request that came meanwhile.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from typing import Any

log = logging.getLogger(__name__)

Item = tuple[str, str, dict[str, Any]]  # (kind, actor, payload)


class AuditBatcher:
    def __init__(self, max_delay: float = 0.0, max_batch: int = 500):
        self.max_delay = max_delay
        self.max_batch = max_batch
        self._pending: list[tuple[Any, list[Item], asyncio.Future[None]]] = []
        self._flusher: asyncio.Task[None] | None = None
        self.commits = 0

    async def record(self, audit: Any, items: list[Item]) -> None:
        """Wait until `items` are committed to `audit` (an AuditLog)."""
        if audit is None or not items:
            return
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._pending.append((audit, items, fut))
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.create_task(self._flush())
        await fut

    async def _flush(self) -> None:
        while self._pending:
            await asyncio.sleep(self.max_delay)
            batch, self._pending = self._pending[: self.max_batch], self._pending[self.max_batch:]
            by_log: dict[int, tuple[Any, list[Item], list[asyncio.Future[None]]]] = {}
            for audit, items, fut in batch:
                entry = by_log.setdefault(id(audit), (audit, [], []))
                entry[1].extend(items)
                entry[2].append(fut)
            for audit, items, futures in by_log.values():
                try:
                    # returning=False: nobody reads the records back, so skip rebuilding them.
                    await asyncio.to_thread(functools.partial(audit.record_many, items, returning=False))
                    self.commits += 1
                    error: BaseException | None = None
                except Exception as exc:  # the requests fail loudly rather than go unaudited
                    log.exception("audit log write failed")
                    error = exc
                for fut in futures:
                    if fut.done():
                        continue
                    if error is None:
                        fut.set_result(None)
                    else:
                        fut.set_exception(error)
