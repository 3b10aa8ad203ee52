"""What an operator can tune about the HTTP service, read once at start-up."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from tamiz.config import database_url, env_flag

ENV_PREFIX = "TAMIZ_API_"


@dataclass(frozen=True)
class ApiSettings:
    db_url: str = field(default_factory=database_url)
    # Datasets or collections the service screens against (None: all loaded).
    datasets: tuple[str, ...] | None = None
    max_body_bytes: int = 1_000_000
    # List files uploaded to /admin/lists/{dataset} (admin only) may be larger.
    max_upload_bytes: int = 200_000_000
    max_batch: int = 100
    # Requests processed at once per worker; beyond it the service answers 503
    # with Retry-After at once instead of queueing without bound.
    max_in_flight: int = 64
    # Seconds between checks of the store for new list versions (0: never).
    reload_interval: float = 5.0
    # Load lists and index before accepting requests (False: serve /healthz and
    # a 503 /readyz while loading in the background).
    wait_for_load: bool = True
    # Threads per worker that run screening. Matching is CPU-bound Python, so
    # one thread per process is fastest; admitted requests queue for it in
    # order while the event loop stays free to accept, shed and answer probes.
    screen_threads: int = 1
    # Four-eyes for this service even if the database's stored policy (`tamiz alerts policy`,
    # PUT /admin/policy) is off; it cannot lift a stored rule.
    four_eyes: bool = False

    @classmethod
    def from_env(cls) -> ApiSettings:
        """Settings for a uvicorn worker process: the `serve` command passes them by environment."""
        env = os.environ
        kw: dict[str, object] = {"db_url": database_url(env.get("TAMIZ_DB"))}
        if env.get(ENV_PREFIX + "DATASETS"):
            kw["datasets"] = tuple(d for d in env[ENV_PREFIX + "DATASETS"].split(",") if d)
        for name, cast in (
            ("max_body_bytes", int),
            ("max_upload_bytes", int),
            ("max_batch", int),
            ("max_in_flight", int),
            ("reload_interval", float),
            ("screen_threads", int),
        ):
            value = env.get(ENV_PREFIX + name.upper())
            if value:
                kw[name] = cast(value)
        for name in ("four_eyes", "wait_for_load"):
            if env.get(ENV_PREFIX + name.upper()):
                kw[name] = env_flag(ENV_PREFIX + name.upper())
        return cls(**kw)  # type: ignore[arg-type]

    def to_env(self) -> dict[str, str]:
        env = {
            "TAMIZ_DB": self.db_url,
            ENV_PREFIX + "MAX_BODY_BYTES": str(self.max_body_bytes),
            ENV_PREFIX + "MAX_UPLOAD_BYTES": str(self.max_upload_bytes),
            ENV_PREFIX + "MAX_BATCH": str(self.max_batch),
            ENV_PREFIX + "MAX_IN_FLIGHT": str(self.max_in_flight),
            ENV_PREFIX + "RELOAD_INTERVAL": str(self.reload_interval),
            ENV_PREFIX + "SCREEN_THREADS": str(self.screen_threads),
            ENV_PREFIX + "WAIT_FOR_LOAD": "1" if self.wait_for_load else "0",
            ENV_PREFIX + "FOUR_EYES": "1" if self.four_eyes else "0",
        }
        if self.datasets:
            env[ENV_PREFIX + "DATASETS"] = ",".join(self.datasets)
        return env
