"""What the store tells callers about list versions and loads."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from tamiz.sources.base import SourceFile


@dataclass(frozen=True, slots=True)
class VersionInfo:
    dataset: str
    version: int
    published: str | None  # ISO date the files state, if they state one
    loaded_at: datetime  # UTC
    entity_count: int
    files: list[SourceFile] = field(default_factory=list)
    stats: dict[str, Any] = field(default_factory=dict)
    current: bool = False
    # Delta against the version that was current before this one was loaded.
    added: int = 0
    removed: int = 0
    changed: int = 0

    def age_days(self, now: datetime | None = None) -> int:
        """Whole days since publication, or since loading when the list states no date."""
        now = now or datetime.now(UTC)
        if now.tzinfo is None:
            now = now.replace(tzinfo=UTC)
        since = self.loaded_at
        if self.published:
            try:
                day = date.fromisoformat(self.published[:10])
                since = datetime(day.year, day.month, day.day, tzinfo=UTC)
            except ValueError:
                pass
        return max(0, (now - since).days)

    @property
    def label(self) -> str:
        if self.published:
            return f"{self.dataset} v{self.version} (published {self.published})"
        return f"{self.dataset} v{self.version} (loaded {self.loaded_at:%Y-%m-%d})"


@dataclass(frozen=True, slots=True)
class LoadResult:
    dataset: str
    version: VersionInfo  # the new version, or the unchanged current one
    created: bool  # False when the same files were already current
    added: int = 0
    removed: int = 0
    changed: int = 0
