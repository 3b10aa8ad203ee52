"""Throw-away databases for tests: a SQLite file, or a private PostgreSQL schema.

`TAMIZ_TEST_PG_URL` names a PostgreSQL database; each test gets its own schema
in it (through libpq's `options=-csearch_path=...`), dropped afterwards, so
tests never see each other's rows and need no CREATE DATABASE right.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

PG_ENV = "TAMIZ_TEST_PG_URL"


def backends() -> list[str]:
    """Backend names to parametrise over; PostgreSQL only when the env names one."""
    return ["sqlite", "postgresql"] if os.environ.get(PG_ENV) else ["sqlite"]


@contextmanager
def private_database(backend: str, tmp_path: Path) -> Iterator[str]:
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'tamiz-test.db'}"
        return
    base = os.environ.get(PG_ENV)
    if not base:
        raise RuntimeError(f"{PG_ENV} is not set")
    schema = f"t_{secrets.token_hex(6)}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        url = make_url(base).update_query_dict({"options": f"-csearch_path={schema}"})
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()
