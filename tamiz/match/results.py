"""What a comparison returns: a score, a match flag, the features behind it, one sentence."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from tamiz.model import Entity


@dataclass(slots=True)
class Feature:
    name: str
    value: float  # -1..1 for evidence (negative counts against), 0..1 for name similarity
    weight: float
    query: str | None = None
    candidate: str | None = None
    detail: str = ""

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["value"] = round(self.value, 4)
        out["weight"] = round(self.weight, 4)
        return out


@dataclass(slots=True)
class Comparison:
    score: float
    match: bool
    features: list[Feature] = field(default_factory=list)
    explanation: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"score": round(self.score, 4), "match": self.match, "features": [f.to_dict() for f in self.features],
                "explanation": self.explanation}


@dataclass(slots=True)
class Hit:
    entity: Entity
    score: float
    match: bool
    features: list[Feature] = field(default_factory=list)
    explanation: str = ""

    def to_dict(self) -> dict[str, Any]:
        e = self.entity
        return {
            "id": e.id,
            "dataset": e.dataset,
            "schema": e.schema,
            "caption": e.caption,
            "score": round(self.score, 4),
            "match": self.match,
            "features": [f.to_dict() for f in self.features],
            "explanation": self.explanation,
        }
