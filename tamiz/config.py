"""Configuration: the only process-wide state, read from the environment."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from platformdirs import user_cache_dir, user_data_dir

DEFAULT_THRESHOLD = 0.7
STALE_AFTER_DAYS = 30


def data_dir() -> Path:
    path = Path(os.environ.get("TAMIZ_HOME") or user_data_dir("tamiz"))
    path.mkdir(parents=True, exist_ok=True)
    return path


def cache_dir() -> Path:
    base = os.environ.get("TAMIZ_CACHE")
    path = Path(base) if base else (Path(os.environ["TAMIZ_HOME"]) / "cache" if os.environ.get("TAMIZ_HOME") else Path(user_cache_dir("tamiz")))
    path.mkdir(parents=True, exist_ok=True)
    return path


def database_url(db: str | None = None) -> str:
    """--db wins, then TAMIZ_DB, then a SQLite file in the user's data directory.

    A bare path is taken as a SQLite file; anything with "://" is a SQLAlchemy URL.
    """
    value = db or os.environ.get("TAMIZ_DB")
    if not value:
        return f"sqlite:///{data_dir() / 'tamiz.db'}"
    if "://" in value:
        return value
    return f"sqlite:///{Path(value).expanduser().resolve()}"


@dataclass(frozen=True)
class Settings:
    db_url: str = field(default_factory=database_url)
    threshold: float = DEFAULT_THRESHOLD
    stale_after_days: int = STALE_AFTER_DAYS


def env_flag(name: str) -> bool:
    """An on/off environment variable: unset, empty, 0, false or no (any case) is off."""
    return os.environ.get(name, "").strip().lower() not in ("", "0", "false", "no")
