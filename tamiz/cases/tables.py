"""Tables of the case room: alerts, decisions, allow-list, policy, monitoring, webhooks.

Portable between SQLite and PostgreSQL. "At most one open alert per
(reference, entity)" is enforced by the database: `open_key` holds
the JSON pair [reference, entity_id] while an alert is open and NULL once it is closed,
and NULLs never collide in a unique constraint on either backend.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from tamiz.store.schema import Base


class AlertRow(Base):
    __tablename__ = "alerts"
    __table_args__ = (Index("ix_alerts_reference_entity", "reference", "entity_id"), Index("ix_alerts_status", "status"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    reference: Mapped[str] = mapped_column(String(255))
    entity_id: Mapped[str] = mapped_column(String(255))
    entity_fingerprint: Mapped[str | None] = mapped_column(String(64), nullable=True)
    caption: Mapped[str] = mapped_column(Text, default="")
    score: Mapped[float] = mapped_column(Float)
    status: Mapped[str] = mapped_column(String(32))  # open | escalated | pending_approval | closed
    open_key: Mapped[str | None] = mapped_column(String(1024), nullable=True, unique=True)
    reopened: Mapped[bool] = mapped_column(Boolean, default=False)
    query: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    hit: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    list_versions: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    decision: Mapped[str | None] = mapped_column(String(32), nullable=True)
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    decided_by: Mapped[str | None] = mapped_column(String(255), nullable=True)
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    approved_by: Mapped[str | None] = mapped_column(String(255), nullable=True)
    approved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    # A false-positive clearance waiting for four-eyes approval remembers what it asked for.
    pending_allow_list: Mapped[bool] = mapped_column(Boolean, default=False)
    pending_expires: Mapped[date | None] = mapped_column(Date, nullable=True)


class DecisionRow(Base):
    __tablename__ = "alert_decisions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    alert_id: Mapped[int] = mapped_column(ForeignKey("alerts.id"), index=True)
    actor: Mapped[str] = mapped_column(String(255))
    action: Mapped[str] = mapped_column(String(32))  # true_match | false_positive | escalate | approve | reject
    reason: Mapped[str] = mapped_column(Text, default="")
    ts: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    audit_seq: Mapped[int | None] = mapped_column(BigInteger, nullable=True)


class AllowListRow(Base):
    __tablename__ = "allow_list"
    __table_args__ = (Index("ix_allow_list_reference_entity", "reference", "entity_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    reference: Mapped[str] = mapped_column(String(255))
    entity_id: Mapped[str] = mapped_column(String(255))
    entity_fingerprint: Mapped[str | None] = mapped_column(String(64), nullable=True)
    expires: Mapped[date | None] = mapped_column(Date, nullable=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    alert_id: Mapped[int | None] = mapped_column(ForeignKey("alerts.id"), nullable=True)
    created_by: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    ended_reason: Mapped[str | None] = mapped_column(String(64), nullable=True)  # expired | entity_changed | replaced


class WorkflowSetting(Base):
    """One stored workflow policy (e.g. `four_eyes`): every process reads it here, so none can bypass it.

    Changes are made only through `tamiz.cases.policy`, which audits who changed what from what.
    """

    __tablename__ = "workflow_settings"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[Any] = mapped_column(JSON)
    updated_by: Mapped[str] = mapped_column(String(255))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    audit_seq: Mapped[int | None] = mapped_column(BigInteger, nullable=True)  # the change's audit record


class MonitoredCustomer(Base):
    __tablename__ = "monitored_customers"

    reference: Mapped[str] = mapped_column(String(255), primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    schema: Mapped[str] = mapped_column(String(32), default="Person")
    dob: Mapped[str | None] = mapped_column(String(32), nullable=True)
    country: Mapped[str | None] = mapped_column(String(8), nullable=True)
    id_number: Mapped[str | None] = mapped_column(String(128), nullable=True)
    extra: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    added_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class MonitorRunRow(Base):
    __tablename__ = "monitor_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    delta_entities: Mapped[int] = mapped_column(Integer, default=0)
    customers: Mapped[int] = mapped_column(Integer, default=0)
    hits: Mapped[int] = mapped_column(Integer, default=0)
    alerts_opened: Mapped[int] = mapped_column(Integer, default=0)
    suppressed: Mapped[int] = mapped_column(Integer, default=0)
    list_versions: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class WebhookSubscription(Base):
    __tablename__ = "webhook_subscriptions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    url: Mapped[str] = mapped_column(Text)
    # Needed in clear to sign deliveries; it authenticates us to the receiver, not the reverse.
    secret: Mapped[str] = mapped_column(Text)
    events: Mapped[list[str]] = mapped_column(JSON, default=list)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class WebhookDelivery(Base):
    __tablename__ = "webhook_deliveries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    subscription_id: Mapped[int] = mapped_column(ForeignKey("webhook_subscriptions.id"), index=True)
    event: Mapped[str] = mapped_column(String(64))
    body: Mapped[str] = mapped_column(Text)
    status_code: Mapped[int | None] = mapped_column(Integer, nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    delivered: Mapped[bool] = mapped_column(Boolean, default=False)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class WebhookOutbox(Base):
    """A delivery still owed to its subscriber: the row lives until it is sent, refused or given up.

    Monitoring runs only insert here (with the run's own commit), so a slow or
    dead endpoint never holds a run; `Webhooks.deliver_pending` empties it.
    """

    __tablename__ = "webhook_outbox"

    delivery_id: Mapped[int] = mapped_column(ForeignKey("webhook_deliveries.id"), primary_key=True,
                                             autoincrement=False)
    data: Mapped[str] = mapped_column(Text)  # canonical JSON of the event's data; re-signed at each pass
    due_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    # Delivery passes claimed so far: the backoff step, and the token a pass claims the row with.
    passes: Mapped[int] = mapped_column(Integer, default=0)
