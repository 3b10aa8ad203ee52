"""Shared fixtures: the real list files in ../shared, and a private store per test."""

from __future__ import annotations

from pathlib import Path

import pytest

from tamiz.audit.testing import backends, private_database

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
DATA = SHARED / "data"
LISTS = DATA / "lists"
MESSAGES = DATA / "messages"
BENCH = SHARED / "bench"


def need(path: Path) -> Path:
    """Skip cleanly when ../shared (real data) is not beside the checkout."""
    if not path.exists():
        pytest.skip(f"real data not available: {path}")
    return path


@pytest.fixture
def lists_dir() -> Path:
    return need(LISTS)


@pytest.fixture
def messages_dir() -> Path:
    return need(MESSAGES)


@pytest.fixture
def sdn_files() -> list[Path]:
    base = need(LISTS / "us_ofac_sdn")
    return [base / n for n in ("sdn.csv", "add.csv", "alt.csv", "sdn_comments.csv")]


@pytest.fixture(scope="session")
def sdn_matcher():
    """A matcher over the whole real SDN, built once for every test that only reads it."""
    from tamiz.match import Matcher
    from tamiz.sources.ofac_csv import parse

    base = need(LISTS / "us_ofac_sdn")
    return Matcher.build(parse([base / n for n in ("sdn.csv", "add.csv", "alt.csv", "sdn_comments.csv")], "us_ofac_sdn").entities)


@pytest.fixture
def cons_files() -> list[Path]:
    base = need(LISTS / "us_ofac_consolidated")
    return [base / n for n in ("cons_prim.csv", "cons_add.csv", "cons_alt.csv", "cons_comments.csv")]


@pytest.fixture(autouse=True)
def tamiz_home(tmp_path, monkeypatch) -> Path:
    """Every test gets its own data dir and database: no test sees another's state."""
    home = tmp_path / "tamiz_home"
    home.mkdir()
    monkeypatch.setenv("TAMIZ_HOME", str(home))
    monkeypatch.delenv("TAMIZ_DB", raising=False)
    return home


@pytest.fixture(params=backends())
def db_url(request, tmp_path):
    """A private empty database on each backend under test: SQLite, and PostgreSQL when configured.
    A module needing the database filled its own way defines its own `db_url`."""
    with private_database(request.param, tmp_path) as url:
        yield url


@pytest.fixture
def store(db_url):
    """A store on the private database (modules that fill it their own way define their own)."""
    from tamiz.store import Store

    with Store.open(db_url) as s:
        yield s


# One screening query and its hit, for the case-workflow tests.
CASE_QUERY = {"name": "Ahmad Khalil", "schema": "Person"}
CASE_HIT = {"id": "us_ofac_sdn:9001", "caption": "KHALIL, Ahmad", "score": 0.93, "fingerprint": "a" * 64}
