"""Signed webhook deliveries through a durable outbox, with bounded retries and a delivery log.

Each POST carries `X-Tamiz-Signature: sha256=<hex HMAC-SHA256 of the body>`
under the subscriber's secret, plus `X-Tamiz-Timestamp` (Unix seconds; the
body repeats it as `sent_at`, so a receiver can refuse replays) and
`X-Tamiz-Delivery` (stable across retries, so a receiver can drop duplicates).

`enqueue` only records a delivery (a `webhook_deliveries` row plus a
`webhook_outbox` row, in the caller's transaction if it passes one): a
monitoring run never waits for a subscriber. `deliver_pending` then sends what
is due. Within one pass a delivery is tried up to `1 + len(delays)` times;
network errors, 408, 429 and 5xx are retried, other 4xx answers are final. A
delivery still failing waits `backoff[pass]` before the next pass (a later
monitoring run, or `tamiz monitor deliver`) and is given up once older than
`give_up_after`. Each pass re-signs the body with a fresh `sent_at`, so a retry
hours later is not refused as a replay.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import httpx
from sqlalchemy import Connection, Engine, delete, insert, select, update

from tamiz.audit.chain import canonical
from tamiz.cases.alerts import CaseError
from tamiz.cases.tables import WebhookDelivery, WebhookOutbox, WebhookSubscription
from tamiz.store.engine import utc, write_connection

EVENTS = ("alerts.opened", "monitor.completed")
DEFAULT_DELAYS = (0.5, 2.0)  # retries inside one pass: a blip, not an outage
DEFAULT_BACKOFF = (60.0, 300.0, 1800.0, 3600.0)  # wait after the 1st, 2nd, 3rd, later failed pass
GIVE_UP_AFTER = timedelta(days=3)
PASS_BUDGET = 30.0  # seconds one pass may spend before leaving the rest for the next
LEASE = timedelta(minutes=5)  # a claimed delivery is not retried by another process meanwhile
SIGNATURE_HEADER = "X-Tamiz-Signature"
TIMESTAMP_HEADER = "X-Tamiz-Timestamp"


def sign(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def signature_ok(secret: str, body: bytes, header: str | None) -> bool:
    """For receivers: constant-time check of a delivery's signature header."""
    return bool(header) and hmac.compare_digest(sign(secret, body), header or "")


@dataclass(frozen=True, slots=True)
class Subscription:
    id: int
    url: str
    events: list[str]
    active: bool


@dataclass(frozen=True, slots=True)
class Delivery:
    id: int
    subscription_id: int
    event: str
    status_code: int | None
    attempts: int
    delivered: bool
    error: str | None
    pending: bool = False  # still in the outbox: a later pass will try again
    due_at: datetime | None = None  # when the next pass may try it


def _retryable(status: int) -> bool:
    return status in (408, 429) or status >= 500


class Webhooks:
    def __init__(self, engine: Engine, delays: Sequence[float] = DEFAULT_DELAYS, timeout: float = 10.0, *,
                 backoff: Sequence[float] = DEFAULT_BACKOFF, give_up_after: timedelta = GIVE_UP_AFTER,
                 budget: float = PASS_BUDGET):
        if not backoff:
            raise ValueError("backoff needs at least one delay")
        self.engine = engine
        self.delays = tuple(delays)
        self.timeout = timeout
        self.backoff = tuple(backoff)
        self.give_up_after = give_up_after
        self.budget = budget

    # -- subscriptions -------------------------------------------------------------

    def subscribe(self, url: str, secret: str, events: Sequence[str] = EVENTS) -> int:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise CaseError(f"webhook URL {url!r}: must be an http(s) URL")
        if len(secret) < 16:
            raise CaseError("webhook secret: use at least 16 characters")
        unknown = [e for e in events if e not in EVENTS and e != "*"]
        if unknown or not events:
            raise CaseError(f"webhook events {unknown or list(events)}: choose from {', '.join(EVENTS)} or '*'")
        with self.engine.begin() as conn:
            return conn.execute(insert(WebhookSubscription).values(
                url=url, secret=secret, events=list(events), active=True, created_at=datetime.now(UTC),
            )).inserted_primary_key[0]

    def unsubscribe(self, subscription_id: int) -> bool:
        with self.engine.begin() as conn:
            return bool(conn.execute(update(WebhookSubscription).where(WebhookSubscription.id == subscription_id)
                                     .values(active=False)).rowcount)

    def subscriptions(self, event: str | None = None) -> list[Subscription]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(WebhookSubscription).where(WebhookSubscription.active.is_(True))
                                .order_by(WebhookSubscription.id)).all()
        subs = [Subscription(r.id, r.url, list(r.events), r.active) for r in rows]
        return [s for s in subs if event is None or event in s.events or "*" in s.events]

    # -- recording -----------------------------------------------------------------

    def enqueue(self, event: str, data: dict[str, Any], conn: Connection | None = None) -> list[Delivery]:
        """Record one pending delivery of `event` per subscriber; sends nothing.

        Pass `conn` to commit the deliveries with the caller's own changes.
        """
        if conn is None:
            with write_connection(self.engine) as own, own.begin():
                return self.enqueue(event, data, own)
        rows = conn.execute(select(WebhookSubscription.id, WebhookSubscription.events)
                            .where(WebhookSubscription.active.is_(True)).order_by(WebhookSubscription.id)).all()
        now = datetime.now(UTC)
        text = canonical(data)
        out: list[Delivery] = []
        for row in rows:
            if event not in row.events and "*" not in row.events:
                continue
            delivery_id = conn.execute(insert(WebhookDelivery).values(
                subscription_id=row.id, event=event, body="", attempts=0, delivered=False, created_at=now,
            )).inserted_primary_key[0]
            conn.execute(insert(WebhookOutbox).values(delivery_id=delivery_id, data=text, due_at=now, passes=0))
            out.append(Delivery(delivery_id, row.id, event, None, 0, False, None, pending=True, due_at=now))
        return out

    def notify(self, event: str, data: dict[str, Any]) -> list[Delivery]:
        """Record `event` for every subscriber and make one delivery pass over just those deliveries."""
        queued = self.enqueue(event, data)
        return self.deliver_pending(ids=[d.id for d in queued]) if queued else []

    # -- delivering ----------------------------------------------------------------

    def deliver_pending(self, *, force: bool = False, ids: Sequence[int] | None = None) -> list[Delivery]:
        """One delivery pass over the outbox: what is due (everything with `force`), oldest first.

        After a retryable failure the subscriber's other deliveries wait for the
        next pass, so one dead endpoint costs one delivery's retries per pass.
        Returns the deliveries this pass tried (or dropped), as they now stand.
        """
        now = datetime.now(UTC)
        query = (select(WebhookOutbox.delivery_id, WebhookOutbox.data, WebhookOutbox.passes,
                        WebhookDelivery.subscription_id, WebhookDelivery.event, WebhookDelivery.attempts,
                        WebhookDelivery.created_at)
                 .join(WebhookDelivery, WebhookDelivery.id == WebhookOutbox.delivery_id)
                 .order_by(WebhookOutbox.delivery_id))
        if not force:
            query = query.where(WebhookOutbox.due_at <= now)
        if ids is not None:
            query = query.where(WebhookOutbox.delivery_id.in_(list(ids)))
        with self.engine.connect() as conn:
            rows = conn.execute(query).all()
            subs = {r.id: r for r in conn.execute(select(WebhookSubscription).where(
                WebhookSubscription.id.in_(sorted({r.subscription_id for r in rows}))))} if rows else {}
        if not rows:
            return []
        deadline = time.monotonic() + self.budget
        failing: set[int] = set()
        results: list[Delivery] = []
        with httpx.Client(timeout=self.timeout, follow_redirects=False) as client:
            for row in rows:
                sub = subs.get(row.subscription_id)
                if sub is None or not sub.active:
                    results.append(self._drop(row, "subscription removed before delivery"))
                    continue
                if row.subscription_id in failing or time.monotonic() >= deadline:
                    continue
                if not self._claim(row.delivery_id, row.passes):
                    continue  # another process is delivering it
                outcome = self._attempt(client, row, sub.url, sub.secret, deadline)
                results.append(outcome)
                if outcome.pending:
                    failing.add(row.subscription_id)
        return results

    def _claim(self, delivery_id: int, passes: int) -> bool:
        with write_connection(self.engine) as conn, conn.begin():
            return conn.execute(update(WebhookOutbox).where(
                WebhookOutbox.delivery_id == delivery_id, WebhookOutbox.passes == passes,
            ).values(passes=passes + 1, due_at=datetime.now(UTC) + LEASE)).rowcount == 1

    def _attempt(self, client: httpx.Client, row: Any, url: str, secret: str, deadline: float) -> Delivery:
        sent_at = int(time.time())
        body = canonical({"event": row.event, "delivery_id": row.delivery_id, "sent_at": sent_at,
                          "data": json.loads(row.data)}).encode()
        headers = {"Content-Type": "application/json", SIGNATURE_HEADER: sign(secret, body),
                   TIMESTAMP_HEADER: str(sent_at), "X-Tamiz-Event": row.event,
                   "X-Tamiz-Delivery": str(row.delivery_id)}
        status: int | None = None
        error: str | None = None
        delivered = final = False
        attempts = row.attempts
        for attempt in range(len(self.delays) + 1):
            if attempt:
                pause = self.delays[attempt - 1]
                if time.monotonic() + pause > deadline:
                    break
                time.sleep(pause)
            attempts += 1
            try:
                resp = client.post(url, content=body, headers=headers)
                status, error = resp.status_code, None
                if 200 <= status < 300:
                    delivered = final = True
                    break
                error = f"HTTP {status}"
                if not _retryable(status):
                    final = True
                    break
            except httpx.HTTPError as exc:
                status, error = None, f"{type(exc).__name__}: {exc}"
            self._log(row.delivery_id, body, status, attempts, error)  # visible even if we are killed now
        now = datetime.now(UTC)
        if not final and now - utc(row.created_at) >= self.give_up_after:
            final, error = True, f"{error}; given up after {attempts} attempts"
        values: dict[str, Any] = {"body": body.decode(), "status_code": status, "attempts": attempts,
                                  "delivered": delivered, "error": error}
        due: datetime | None = None
        with write_connection(self.engine) as conn, conn.begin():
            if final:
                values["finished_at"] = now
                conn.execute(delete(WebhookOutbox).where(WebhookOutbox.delivery_id == row.delivery_id))
            else:
                due = now + timedelta(seconds=self.backoff[min(row.passes, len(self.backoff) - 1)])
                conn.execute(update(WebhookOutbox).where(WebhookOutbox.delivery_id == row.delivery_id)
                             .values(due_at=due))
            conn.execute(update(WebhookDelivery).where(WebhookDelivery.id == row.delivery_id).values(**values))
        return Delivery(row.delivery_id, row.subscription_id, row.event, status, attempts, delivered, error,
                        pending=not final, due_at=due)

    def _drop(self, row: Any, reason: str) -> Delivery:
        with write_connection(self.engine) as conn, conn.begin():
            conn.execute(delete(WebhookOutbox).where(WebhookOutbox.delivery_id == row.delivery_id))
            conn.execute(update(WebhookDelivery).where(WebhookDelivery.id == row.delivery_id).values(
                error=reason, finished_at=datetime.now(UTC)))
        return Delivery(row.delivery_id, row.subscription_id, row.event, None, row.attempts, False, reason)

    def _log(self, delivery_id: int, body: bytes, status: int | None, attempts: int, error: str | None) -> None:
        with self.engine.begin() as conn:
            conn.execute(update(WebhookDelivery).where(WebhookDelivery.id == delivery_id).values(
                body=body.decode(), status_code=status, attempts=attempts, error=error))

    # -- reading -------------------------------------------------------------------

    def deliveries(self, subscription_id: int | None = None, *, pending_only: bool = False) -> list[Delivery]:
        q = (select(WebhookDelivery.__table__, WebhookOutbox.due_at)
             .outerjoin(WebhookOutbox, WebhookOutbox.delivery_id == WebhookDelivery.id)
             .order_by(WebhookDelivery.id))
        if subscription_id is not None:
            q = q.where(WebhookDelivery.subscription_id == subscription_id)
        if pending_only:
            q = q.where(WebhookOutbox.delivery_id.is_not(None))
        with self.engine.connect() as conn:
            rows = conn.execute(q).all()
        return [Delivery(r.id, r.subscription_id, r.event, r.status_code, r.attempts, r.delivered, r.error,
                         pending=r.due_at is not None,
                         due_at=utc(r.due_at) if r.due_at is not None else None)
                for r in rows]

    def pending(self) -> list[Delivery]:
        """Deliveries still in the outbox, oldest first."""
        return self.deliveries(pending_only=True)
