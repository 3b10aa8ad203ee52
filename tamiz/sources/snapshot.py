"""The OFAC SDN snapshot shipped inside the package: screening works offline.

The snapshot is old by design (it is what we may redistribute and test
against); its date is stated in SNAPSHOT.json and every command that uses it
warns that it is stale and how to fetch the current list.
"""

from __future__ import annotations

import json
import zipfile
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path

from tamiz.config import cache_dir
from tamiz.sources.base import ParsedList

SNAPSHOT_NAME = "us_ofac_sdn-2021-07-07.zip"


@dataclass(frozen=True)
class SnapshotInfo:
    dataset: str
    as_of: str
    note: str
    files: list[str]


def snapshot_path() -> Path:
    return Path(str(files("tamiz") / "data" / SNAPSHOT_NAME))


def snapshot_info() -> SnapshotInfo:
    with zipfile.ZipFile(snapshot_path()) as zf:
        meta = json.loads(zf.read("SNAPSHOT.json"))
    return SnapshotInfo(meta["dataset"], meta["as_of"], meta["as_of_note"], meta["files"])


def extract_snapshot(dest: Path | None = None) -> list[Path]:
    """Unpack the snapshot's list files (cached: unpacked once per install)."""
    info = snapshot_info()
    target = dest or cache_dir() / "snapshot" / SNAPSHOT_NAME.removesuffix(".zip")
    target.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(snapshot_path()) as zf:
        for name in info.files:
            out = target / name
            if not out.exists() or out.stat().st_size != zf.getinfo(name).file_size:
                tmp = out.with_suffix(".part")
                tmp.write_bytes(zf.read(name))
                tmp.replace(out)
    return [target / name for name in info.files]


def parse_snapshot() -> ParsedList:
    from tamiz.sources.registry import parse_files

    info = snapshot_info()
    parsed = parse_files(info.dataset, extract_snapshot())
    parsed.published = parsed.published or info.as_of
    for f in list(parsed.files):
        parsed.files[parsed.files.index(f)] = type(f)(f.name, f.sha256, f.size, f"tamiz package snapshot {SNAPSHOT_NAME}")
    return parsed
