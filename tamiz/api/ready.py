"""Waiting for a tamiz server to become ready: deploy scripts, benchmarks and tests all need it, and a
server that is still loading its lists answers /healthz long before /readyz."""

from __future__ import annotations

import time
from collections.abc import Callable

import httpx


def wait_until_ready(base_url: str, timeout: float = 120.0, *, alive: Callable[[], bool] | None = None,
                     ok: Callable[[httpx.Response], bool] | None = None, interval: float = 0.25) -> httpx.Response:
    """Poll `GET {base_url}/readyz` until `ok(response)` (default: status 200) and return that response.

    Raises TimeoutError naming the last answer or error after `timeout` seconds, and RuntimeError as soon
    as `alive()` says the server process is gone (no point waiting out the timeout then)."""
    url = base_url.rstrip("/") + "/readyz"
    accept = ok or (lambda r: r.status_code == 200)
    deadline = time.monotonic() + timeout
    last: object = None
    while time.monotonic() < deadline:
        if alive is not None and not alive():
            raise RuntimeError(f"server behind {base_url} exited before it was ready")
        try:
            r = httpx.get(url, timeout=5)
            if accept(r):
                return r
            last = f"{r.status_code} {r.text[:300]}"
        except httpx.HTTPError as exc:
            last = exc
        time.sleep(interval)
    raise TimeoutError(f"{url} not ready after {timeout:.0f} s: {last}")
