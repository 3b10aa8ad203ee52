"""Bounds on what one worker accepts: request body size and requests in flight.

Both are plain ASGI middleware so that a refusal costs microseconds and never
touches the screener: an overloaded service says "busy, retry in a second"
at once instead of letting a queue grow until every request times out.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send


async def _send_json(send: Send, status: int, detail: str, headers: Iterable[tuple[bytes, bytes]] = ()) -> None:
    body = json.dumps({"status": status, "detail": detail}).encode()
    await send({
        "type": "http.response.start",
        "status": status,
        "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()), *headers],
    })
    await send({"type": "http.response.body", "body": body})


class LoadShedding:
    """At most `max_in_flight` requests at once; the rest get 503 + Retry-After."""

    def __init__(self, app: ASGIApp, max_in_flight: int, exempt: Iterable[str] = ("/healthz", "/readyz")):
        self.app = app
        self.max_in_flight = max_in_flight
        self.exempt = frozenset(exempt)
        self.in_flight = 0
        self.shed = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in self.exempt:
            await self.app(scope, receive, send)
            return
        if self.in_flight >= self.max_in_flight:
            self.shed += 1
            await _send_json(send, 503, "server busy: too many requests in flight, retry shortly",
                             [(b"retry-after", b"1")])
            return
        self.in_flight += 1
        try:
            await self.app(scope, receive, send)
        finally:
            self.in_flight -= 1


class _TooLarge(HTTPException):
    """An HTTPException so that FastAPI's body parsing passes it on unchanged."""


class BodyLimit:
    """Refuse bodies over `max_bytes` with 413, by header or by counting the stream.

    Paths under one of `large` (list uploads) may send up to `large_bytes`.
    """

    def __init__(self, app: ASGIApp, max_bytes: int, large: Iterable[str] = (), large_bytes: int = 0):
        self.app = app
        self.max_bytes = max_bytes
        self.large = tuple(large)
        self.large_bytes = max(large_bytes, max_bytes)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.large_bytes if self.large and scope["path"].startswith(self.large) else self.max_bytes
        too_large = f"request body is larger than the limit of {limit} bytes"
        declared = chunked = False
        for key, value in scope.get("headers", ()):
            if key == b"content-length":
                try:
                    size = int(value)
                except ValueError:
                    await _send_json(send, 400, "invalid Content-Length header")
                    return
                if size > limit:
                    await _send_json(send, 413, too_large)
                    return
                declared = True
            elif key == b"transfer-encoding":
                chunked = True
        if declared and not chunked:
            # The server reads exactly Content-Length bytes of body: no need to count them.
            await self.app(scope, receive, send)
            return
        seen = 0
        started = False

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise _TooLarge(413, too_large)
            return message

        async def watched(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counted, watched)
        except _TooLarge:
            if not started:
                await _send_json(send, 413, too_large)
