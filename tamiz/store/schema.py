"""Tables of the store, portable between SQLite and PostgreSQL.

`Base` is the one declarative base of the project: the cases and audit rooms
declare their tables on it too, so `Base.metadata.create_all(engine)` creates
everything that has been imported.

Entity records are content-addressed: `entity_records` holds each distinct
canonical JSON once, keyed by its sha256 fingerprint, and `version_members`
says which record stands for which entity id in which list version. A party
that did not change between two versions costs one membership row, not a copy.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

SCHEMA_VERSION = 1


class Base(DeclarativeBase):
    pass


class StoreMeta(Base):
    """Key/value facts about the database itself (schema version)."""

    __tablename__ = "store_meta"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class ListVersion(Base):
    """One loaded version of one dataset."""

    __tablename__ = "list_versions"
    __table_args__ = (UniqueConstraint("dataset", "version", name="uq_list_versions_dataset_version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    dataset: Mapped[str] = mapped_column(String(100), index=True)
    version: Mapped[int] = mapped_column(Integer)
    published: Mapped[str | None] = mapped_column(String(32), nullable=True)
    loaded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    entity_count: Mapped[int] = mapped_column(Integer)
    # sha256 over the sorted sha256 of the source files (or over the entity
    # fingerprints when a list came without files): "same input" test.
    content_key: Mapped[str] = mapped_column(String(64))
    stats: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    added: Mapped[int] = mapped_column(Integer, default=0)
    removed: Mapped[int] = mapped_column(Integer, default=0)
    changed: Mapped[int] = mapped_column(Integer, default=0)


class ListFile(Base):
    """A source file of a version (see tamiz.sources.base.SourceFile)."""

    __tablename__ = "list_files"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("list_versions.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(BigInteger)
    origin: Mapped[str] = mapped_column(Text, default="")


class CurrentVersion(Base):
    """Which version of a dataset is current: one row per dataset, by construction."""

    __tablename__ = "current_versions"

    dataset: Mapped[str] = mapped_column(String(100), primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("list_versions.id"))


class EntityRecord(Base):
    """One distinct canonical JSON of an entity, shared by every version that has it."""

    __tablename__ = "entity_records"

    fingerprint: Mapped[str] = mapped_column(String(64), primary_key=True)
    entity_id: Mapped[str] = mapped_column(String(255), index=True)
    data: Mapped[str] = mapped_column(Text)  # Entity.canonical_json(), kept verbatim


class VersionMember(Base):
    """Entity `entity_id` is in version `version_id` with content `fingerprint`."""

    __tablename__ = "version_members"
    __table_args__ = (
        Index("ix_version_members_entity_id", "entity_id"),
        Index("ix_version_members_fingerprint", "fingerprint"),
    )

    version_id: Mapped[int] = mapped_column(ForeignKey("list_versions.id"), primary_key=True)
    entity_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    fingerprint: Mapped[str] = mapped_column(ForeignKey("entity_records.fingerprint"))
    position: Mapped[int] = mapped_column(Integer)  # order in the parsed list


class VersionChange(Base):
    """The delta of a version against the version that was current before it."""

    __tablename__ = "version_changes"

    version_id: Mapped[int] = mapped_column(ForeignKey("list_versions.id"), primary_key=True)
    entity_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    change: Mapped[str] = mapped_column(String(16))  # "added" | "removed" | "changed"
    old_fingerprint: Mapped[str | None] = mapped_column(String(64), nullable=True)
    new_fingerprint: Mapped[str | None] = mapped_column(String(64), nullable=True)
    fields: Mapped[list[str]] = mapped_column(JSON, default=list)  # top-level fields that changed


# Core table handles for the store's SQL expressions: versions, files, current, records, members, changes.
CORE_TABLES = (ListVersion.__table__, ListFile.__table__, CurrentVersion.__table__, EntityRecord.__table__,
               VersionMember.__table__, VersionChange.__table__)
