"""Read the matcher's hits, as objects or as dicts, into one plain form."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tamiz.model import Entity


@dataclass(frozen=True, slots=True)
class HitView:
    entity_id: str
    caption: str
    score: float
    fingerprint: str | None
    data: dict[str, Any]  # JSON-ready, kept on the alert


def view(hit: Any) -> HitView:
    """Accept a `tamiz.match` Hit (with `.entity`) or its `to_dict()` form.

    The fingerprint comes from the hit's entity when there is one, else from a
    "fingerprint" key, else it stays None (the case manager then asks the store).
    """
    entity: Entity | None = getattr(hit, "entity", None)
    data: dict[str, Any] = hit.to_dict() if hasattr(hit, "to_dict") else dict(hit)
    if entity is None and isinstance(data.get("entity"), dict) and "id" in data["entity"]:
        try:
            entity = Entity.from_dict(data["entity"])
        except (TypeError, KeyError, ValueError):
            entity = None
    entity_id = data.get("id") or (entity.id if entity else None)
    if not entity_id:
        raise ValueError(f"a hit needs an entity id: {sorted(data)}")
    fingerprint = entity.fingerprint() if entity is not None else data.get("fingerprint")
    caption = data.get("caption") or (entity.caption if entity else "")
    data = {k: v for k, v in data.items() if k != "entity"}
    data.setdefault("id", entity_id)
    if fingerprint:
        data["fingerprint"] = fingerprint
    return HitView(entity_id, caption, float(data.get("score", getattr(hit, "score", 0.0))), fingerprint, data)
