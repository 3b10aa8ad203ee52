"""Deltas between two list versions, from their id → fingerprint maps.

Equal fingerprints mean an unchanged party, so the expensive part (decoding
records) is only done for parties that were added, removed or changed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any

from tamiz.model import Entity

# Top-level Entity fields in declaration order: changed fields are reported in it.
FIELD_ORDER = [f.name for f in fields(Entity)]


@dataclass(frozen=True, slots=True)
class Change:
    old: Entity
    new: Entity
    fields: list[str]  # top-level Entity fields whose value differs


@dataclass(slots=True)
class Delta:
    added: list[Entity] = field(default_factory=list)
    removed: list[Entity] = field(default_factory=list)
    changed: list[Change] = field(default_factory=list)
    dataset: str = ""
    from_version: int | None = None  # None: everything in `to_version` counts as added
    to_version: int | None = None

    def __bool__(self) -> bool:
        return bool(self.added or self.removed or self.changed)

    @property
    def counts(self) -> dict[str, int]:
        return {"added": len(self.added), "removed": len(self.removed), "changed": len(self.changed)}


@dataclass(frozen=True, slots=True)
class DeltaIds:
    """A delta as ids only: what the store records for each new version."""

    added: list[str]
    removed: list[str]
    changed: list[str]


def diff_ids(old: Mapping[str, str], new: Mapping[str, str]) -> DeltaIds:
    """Compare two {entity_id: fingerprint} maps. Lists keep `new`'s (or `old`'s) order."""
    added = [eid for eid in new if eid not in old]
    removed = [eid for eid in old if eid not in new]
    changed = [eid for eid, fp in new.items() if eid in old and old[eid] != fp]
    return DeltaIds(added=added, removed=removed, changed=changed)


def changed_fields(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[str]:
    """Top-level keys whose values differ between two `Entity.to_dict()` forms."""
    keys = set(old) | set(new)
    diff = {k for k in keys if old.get(k) != new.get(k)}
    ordered = [k for k in FIELD_ORDER if k in diff]
    return ordered + sorted(diff - set(ordered))
