"""How old each list is: a stale list is a compliance risk, so say it loudly."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timezone
from typing import Any

from tamiz.config import STALE_AFTER_DAYS
from tamiz.store import VersionInfo

UPDATE_HINT = "run `tamiz lists update` to fetch the current lists"


@dataclass(frozen=True, slots=True)
class DatasetStatus:
    name: str
    version: int
    published: str | None
    loaded_at: str
    entity_count: int
    age_days: int
    stale: bool
    warning: str | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "version": self.version,
            "published": self.published,
            "loaded_at": self.loaded_at,
            "entity_count": self.entity_count,
            "age_days": self.age_days,
            "stale": self.stale,
            "warning": self.warning,
        }


def dataset_status(v: VersionInfo, now: datetime | None = None, stale_after_days: int = STALE_AFTER_DAYS) -> DatasetStatus:
    now = now or datetime.now(timezone.utc)
    if v.published:
        ref = date.fromisoformat(v.published[:10])
        basis = f"published {v.published[:10]}"
    else:
        ref = v.loaded_at.date()
        basis = f"publication date unknown, loaded {ref.isoformat()}"
    age = (now.date() - ref).days
    stale = age > stale_after_days
    warning = None
    if stale:
        warning = f"{v.dataset} is {age} days old ({basis}); screening against a stale list misses new designations: {UPDATE_HINT}"
    return DatasetStatus(
        name=v.dataset,
        version=v.version,
        published=v.published,
        loaded_at=v.loaded_at.isoformat(),
        entity_count=v.entity_count,
        age_days=age,
        stale=stale,
        warning=warning,
    )
