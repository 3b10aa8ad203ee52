"""Canonical JSON and the hash that links one audit record to the one before."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, is_dataclass
from datetime import UTC, date, datetime
from enum import Enum
from typing import Any

GENESIS = "0" * 64


def _default(value: Any) -> Any:
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(UTC)
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, (set, frozenset)):
        return sorted(value)
    if is_dataclass(value) and not isinstance(value, type):
        return asdict(value)
    if hasattr(value, "to_dict"):
        return value.to_dict()
    raise TypeError(f"cannot record a {type(value).__name__} in the audit log")


def canonical(value: Any) -> str:
    """One text per value: sorted keys, no spaces, UTF-8 kept as is."""
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=_default)


def canonical_payload(value: Any) -> str:
    """The stored text of a record's payload: canonical, and fast on the screening path.

    orjson writes the same compact, key-sorted JSON several times faster; the
    chain hashes the stored text, so verification never depends on which
    encoder wrote it.
    """
    try:
        import orjson

        return orjson.dumps(value, default=_default, option=orjson.OPT_SORT_KEYS).decode("utf-8")
    except (ImportError, TypeError):  # no orjson, or a value only the stdlib encoder takes
        return canonical(value)


def timestamp(now: datetime | None = None) -> str:
    now = (now or datetime.now(UTC)).astimezone(UTC)
    return now.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def link_hash(prev_hash: str, seq: int, ts: str, actor: str, kind: str, payload: str) -> str:
    """sha256(prev_hash + canonical header + canonical payload text)."""
    material = prev_hash + canonical([seq, ts, actor, kind]) + payload
    return hashlib.sha256(material.encode("utf-8")).hexdigest()
