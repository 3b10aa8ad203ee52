"""The checkpoint beside a batch output: how far the run got, and for which input.

Written atomically (temp file, fsync, rename) after the chunk's output is on
disk, so after a crash the checkpoint never claims rows the output lacks; the
output may hold more (a chunk written in part), which resume cuts away.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

FORMAT = 1


def input_fingerprint(path: Path) -> str:
    """Path + size + mtime: a changed input never resumes into an old output."""
    st = path.stat()
    src = f"{path.resolve()}|{st.st_size}|{st.st_mtime_ns}"
    return hashlib.sha256(src.encode()).hexdigest()[:32]


def checkpoint_path(output: Path) -> Path:
    return output.with_name(output.name + ".checkpoint.json")


@dataclass(slots=True)
class Checkpoint:
    input: str
    fingerprint: str
    chunk_size: int
    output_format: str
    settings: dict[str, Any]  # mapping, threshold, versions: what must match to resume
    next_chunk: int = 0  # chunks 0..next_chunk-1 are written and committed
    rows_done: int = 0
    output_bytes: int = 0
    errors_bytes: int = 0
    stats: dict[str, Any] = field(default_factory=dict)
    format: int = FORMAT

    def matches(self, other: "Checkpoint") -> bool:
        return (self.format, self.fingerprint, self.chunk_size, self.output_format, self.settings) == (
            other.format, other.fingerprint, other.chunk_size, other.output_format, other.settings)

    def save(self, path: Path) -> None:
        tmp = path.with_name(path.name + ".tmp")
        with open(tmp, "w", encoding="utf-8") as fh:
            json.dump(asdict(self), fh, ensure_ascii=False)
            fh.flush()
            os.fsync(fh.fileno())
        tmp.replace(path)

    @classmethod
    def load(cls, path: Path) -> "Checkpoint | None":
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            return cls(**data)
        except (OSError, ValueError, TypeError):
            return None
