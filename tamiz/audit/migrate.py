"""Alembic migrations for every table of the project, run from Python.

`upgrade(url)` brings any database to the newest schema. A database made by
`Base.metadata.create_all` before migrations existed is stamped instead of
re-created when it already matches the models.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from sqlalchemy import Engine, MetaData, inspect

from tamiz.errors import StoreError
from tamiz.store.engine import make_engine

MIGRATIONS = Path(__file__).resolve().parents[1] / "migrations"


def metadata() -> MetaData:
    """The project's metadata with every room's tables registered."""
    import tamiz.audit.tables  # noqa: F401
    import tamiz.auth.tables  # noqa: F401
    import tamiz.cases.tables  # noqa: F401
    import tamiz.store.schema as schema

    return schema.Base.metadata


def create_all(engine: Engine) -> None:
    """Create missing tables without Alembic (tests, throw-away databases)."""
    metadata().create_all(engine)


def alembic_config(url: str) -> Config:
    if not (MIGRATIONS / "env.py").exists():
        raise StoreError(f"{MIGRATIONS}: Alembic migrations not found (incomplete installation?)")
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def differences(engine: Engine) -> list:
    """What Alembic autogenerate sees between the database and the models (empty: in sync)."""
    with engine.connect() as conn:
        return compare_metadata(MigrationContext.configure(conn), metadata())


def upgrade(url: str, revision: str = "head") -> None:
    engine = make_engine(url)
    try:
        cfg = alembic_config(url)
        tables = set(inspect(engine).get_table_names())
        if tables and "alembic_version" not in tables and not differences(engine):
            command.stamp(cfg, revision)  # made by create_all, already current
            return
        command.upgrade(cfg, revision)
    finally:
        engine.dispose()


def current(url: str) -> str | None:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()
    finally:
        engine.dispose()
