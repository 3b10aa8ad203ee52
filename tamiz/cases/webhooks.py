"""Signed webhook deliveries with bounded retries and a delivery log.

Each POST carries `X-Tamiz-Signature: sha256=<hex HMAC-SHA256 of the body>`
under the subscriber's secret, plus `X-Tamiz-Timestamp` (Unix seconds; the
body repeats it as `sent_at`, so a receiver can refuse replays). Network
errors, 408, 429 and 5xx are retried after each of `delays` seconds; other
4xx answers are final. Every delivery is logged with its last status code,
attempt count and error.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import httpx
from sqlalchemy import Engine, insert, select, update

from tamiz.audit.chain import canonical
from tamiz.cases.alerts import CaseError
from tamiz.cases.tables import WebhookDelivery, WebhookSubscription

EVENTS = ("alerts.opened", "monitor.completed")
DEFAULT_DELAYS = (1.0, 4.0, 16.0)
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


def _retryable(status: int) -> bool:
    return status in (408, 429) or status >= 500


class Webhooks:
    def __init__(self, engine: Engine, delays: Sequence[float] = DEFAULT_DELAYS, timeout: float = 10.0):
        self.engine = engine
        self.delays = tuple(delays)
        self.timeout = timeout

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

    def notify(self, event: str, data: dict[str, Any]) -> list[Delivery]:
        """Deliver `event` to every subscriber of it, one POST each (with retries)."""
        with self.engine.connect() as conn:
            rows = conn.execute(select(WebhookSubscription).where(WebhookSubscription.active.is_(True))
                                .order_by(WebhookSubscription.id)).all()
        targets = [r for r in rows if event in r.events or "*" in r.events]
        if not targets:
            return []
        with httpx.Client(timeout=self.timeout, follow_redirects=False) as client:
            return [self._deliver(client, row.id, row.url, row.secret, event, data) for row in targets]

    def _deliver(self, client: httpx.Client, sub_id: int, url: str, secret: str, event: str,
                 data: dict[str, Any]) -> Delivery:
        now = datetime.now(UTC)
        with self.engine.begin() as conn:
            delivery_id = conn.execute(insert(WebhookDelivery).values(
                subscription_id=sub_id, event=event, body="", attempts=0, delivered=False, created_at=now,
            )).inserted_primary_key[0]
        sent_at = int(time.time())
        body = canonical({"event": event, "delivery_id": delivery_id, "sent_at": sent_at, "data": data}).encode()
        headers = {"Content-Type": "application/json", SIGNATURE_HEADER: sign(secret, body),
                   TIMESTAMP_HEADER: str(sent_at), "X-Tamiz-Event": event, "X-Tamiz-Delivery": str(delivery_id)}
        status: int | None = None
        error: str | None = None
        delivered = False
        attempts = 0
        for attempt in range(len(self.delays) + 1):
            if attempt:
                time.sleep(self.delays[attempt - 1])
            attempts += 1
            try:
                resp = client.post(url, content=body, headers=headers)
                status, error = resp.status_code, None
                if 200 <= status < 300:
                    delivered = True
                    break
                error = f"HTTP {status}"
                if not _retryable(status):
                    break
            except httpx.HTTPError as exc:
                status, error = None, f"{type(exc).__name__}: {exc}"
            self._log(delivery_id, body, status, attempts, False, error, final=False)
        self._log(delivery_id, body, status, attempts, delivered, error, final=True)
        return Delivery(delivery_id, sub_id, event, status, attempts, delivered, error)

    def _log(self, delivery_id: int, body: bytes, status: int | None, attempts: int, delivered: bool,
             error: str | None, final: bool) -> None:
        values: dict[str, Any] = dict(body=body.decode(), status_code=status, attempts=attempts,
                                      delivered=delivered, error=error)
        if final:
            values["finished_at"] = datetime.now(UTC)
        with self.engine.begin() as conn:
            conn.execute(update(WebhookDelivery).where(WebhookDelivery.id == delivery_id).values(**values))

    def deliveries(self, subscription_id: int | None = None) -> list[Delivery]:
        q = select(WebhookDelivery).order_by(WebhookDelivery.id)
        if subscription_id is not None:
            q = q.where(WebhookDelivery.subscription_id == subscription_id)
        with self.engine.connect() as conn:
            rows = conn.execute(q).all()
        return [Delivery(r.id, r.subscription_id, r.event, r.status_code, r.attempts, r.delivered, r.error)
                for r in rows]
