"""What every parser returns, and the helpers all parsers share."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tamiz.errors import SourceError
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


def single_path(paths: Sequence[Path], what: str) -> Path:
    """The one file of a one-file list format; a clear SourceError otherwise."""
    if len(paths) != 1:
        raise SourceError(", ".join(map(str, paths)) or "(none)", what)
    return Path(paths[0])


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


def json_lines(path: Path | str, lines: Iterable[str], what: str) -> Iterator[tuple[int, Any]]:
    """(line number, value) for each non-blank line of a JSON-lines file; a line that is not JSON, or is
    nested deeper than any list entry would be, stops the parse with one error naming file and line."""
    for no, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except json.JSONDecodeError as exc:
            raise SourceError(path, f"line {no}: not valid JSON ({what}, one per line, expected): {exc.msg}") from exc
        except RecursionError:
            raise SourceError(path, f"line {no}: JSON nested too deeply to be {what}") from None
        yield no, value
