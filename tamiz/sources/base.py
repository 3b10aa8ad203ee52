"""What every parser returns, and the helpers all parsers share."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from tamiz.model import Entity


@dataclass(frozen=True, slots=True)
class SourceFile:
    """One input file of a list version, identified by its content hash."""

    name: str
    sha256: str
    size: int
    origin: str = ""  # path or URL it came from

    @classmethod
    def of(cls, path: Path, origin: str | None = None) -> "SourceFile":
        digest = hashlib.sha256()
        size = 0
        with open(path, "rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                digest.update(chunk)
                size += len(chunk)
        return cls(name=Path(path).name, sha256=digest.hexdigest(), size=size, origin=origin or str(path))


@dataclass(slots=True)
class ParsedList:
    """A whole list file set turned into entities, ready for the store."""

    dataset: str
    entities: list[Entity]
    files: list[SourceFile]
    published: str | None = None  # ISO date the file itself states, if any
    # Reconciliation counts (entries, names, aliases, addresses, identifiers,
    # unparsed remark fragments, unresolved links...) for status and tests.
    stats: dict[str, int] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
