"""Real OFAC SDN files turned into ParsedLists for the store tests (no tests here)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from tamiz.sources import ofac_csv
from tamiz.sources.base import ParsedList

DATASET = "us_ofac_sdn"


@lru_cache(maxsize=4)
def _parse(paths: tuple[Path, ...], dataset: str) -> ParsedList:
    return ofac_csv.parse(list(paths), dataset)


def parse_sdn(paths: list[Path], dataset: str = DATASET) -> ParsedList:
    """Parsed once per test session: callers build changed copies, never mutate it.

    `paths` in the fixtures' order: primary, addresses, aliases, comments.
    """
    return _parse(tuple(paths), dataset)
