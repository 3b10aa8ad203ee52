"""Shared set-up for the API, schemathesis and browser tests: one prepared store per session.

Landing the packaged SDN snapshot and building its index take most of the
time of these tests, so it is done once under pytest's session temp dir and
each module works on it (or on a copy of it).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest


def db_url(home: Path) -> str:
    return f"sqlite:///{home / 'tamiz.db'}"


def prepared_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A TAMIZ_HOME whose database holds the SDN snapshot and whose cache holds its index."""
    home = tmp_path_factory.getbasetemp() / "tamiz_api_home"
    if not (home / ".ready").exists():
        home.mkdir(exist_ok=True)
        with pytest.MonkeyPatch.context() as mp:
            mp.setenv("TAMIZ_HOME", str(home))
            from tamiz.screen.screener import Screener

            Screener.open(db_url(home))
        (home / ".ready").touch()
    return home


def copied_home(tmp_path_factory: pytest.TempPathFactory, name: str) -> Path:
    """A private copy of the prepared home, for tests that change the store."""
    source = prepared_home(tmp_path_factory)
    target = tmp_path_factory.mktemp(name)
    shutil.copytree(source, target, dirs_exist_ok=True)
    return target
