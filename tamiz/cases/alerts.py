"""What the case room hands out: alerts and allow-list entries as plain records."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from tamiz.errors import TamizError

DECISIONS = ("true_match", "false_positive", "escalate")
OPEN_STATES = ("open", "escalated", "pending_approval")


class CaseError(TamizError):
    """A decision or approval that the alert's state or the rules do not allow."""


class FourEyesViolation(CaseError):
    """The same person tried to approve their own clearance."""


@dataclass(slots=True)
class Alert:
    id: int | None  # None for a suppressed hit: it is recorded in the audit log, not stored as an alert
    reference: str
    entity_id: str
    caption: str
    score: float
    status: str  # open | escalated | pending_approval | closed | suppressed
    entity_fingerprint: str | None = None
    reopened: bool = False
    new: bool = False  # opened by the call that returned it
    decision: str | None = None
    reason: str | None = None
    decided_by: str | None = None
    approved_by: str | None = None
    created_at: datetime | None = None
    allow_list_id: int | None = None  # the entry that suppressed it
    hit: dict[str, Any] = field(default_factory=dict)
    list_versions: dict[str, Any] = field(default_factory=dict)

    @property
    def suppressed(self) -> bool:
        return self.status == "suppressed"

    def to_dict(self) -> dict[str, Any]:
        out = {k: getattr(self, k) for k in self.__slots__}
        out["created_at"] = self.created_at.isoformat() if self.created_at else None
        return out


@dataclass(frozen=True, slots=True)
class AllowEntry:
    id: int
    reference: str
    entity_id: str
    entity_fingerprint: str | None
    expires: date | None
    active: bool
    created_by: str
    alert_id: int | None
    ended_reason: str | None = None
