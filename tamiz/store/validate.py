"""Checks a parsed list must pass before the store writes anything."""

from __future__ import annotations

import re

from tamiz.errors import StoreError
from tamiz.sources.base import ParsedList

_DATASET_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,99}$")
_ISO_DATE_RE = re.compile(r"^\d{4}(-\d{2}(-\d{2}([T ][0-9:.+\-Z]{0,21})?)?)?$")


def validate(parsed: ParsedList) -> None:
    dataset = parsed.dataset
    where = f" (files: {', '.join(f.name for f in parsed.files)})" if parsed.files else ""
    if not isinstance(dataset, str) or not _DATASET_RE.match(dataset or ""):
        raise StoreError(f"cannot load list{where}: invalid dataset name {dataset!r}")
    if parsed.published is not None and not _ISO_DATE_RE.match(str(parsed.published)):
        raise StoreError(
            f"cannot load {dataset}{where}: publish date {parsed.published!r} is not an ISO date"
        )
    if not parsed.entities:
        raise StoreError(f"cannot load {dataset}{where}: the list has no entities")
    prefix = dataset + ":"
    seen: set[str] = set()
    dupes: list[str] = []
    bad: list[str] = []
    for e in parsed.entities:
        if (
            not isinstance(e.id, str)
            or not e.id.startswith(prefix)
            or len(e.id) == len(prefix)
            or len(e.id) > 255
        ):
            bad.append(repr(e.id))
        elif e.dataset != dataset:
            bad.append(f"{e.id} (dataset {e.dataset!r})")
        if e.id in seen:
            dupes.append(e.id)
        seen.add(e.id)
    if bad:
        raise StoreError(
            f"cannot load {dataset}{where}: {len(bad)} entities do not belong to it "
            f"(ids must be '{prefix}<source id>'), e.g. {', '.join(bad[:3])}"
        )
    if dupes:
        raise StoreError(
            f"cannot load {dataset}{where}: {len(dupes)} duplicate entity ids, e.g. {', '.join(dupes[:3])}"
        )
