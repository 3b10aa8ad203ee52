"""The compiled index and its entities as one file, built on the driver, opened on executors.

Executors never touch the list store: the driver writes the matcher and the
entities it was built for into a bundle named after the list versions, Spark
ships that file to every node once (`SparkContext.addFile`), and each Python
worker opens it once and keeps it for every task it runs afterwards.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tamiz import __version__
from tamiz.config import cache_dir
from tamiz.errors import TamizError
from tamiz.match import Matcher
from tamiz.model import Entity

FORMAT = 1

# Per Python worker process: the screener of the bundle it last opened, by key.
# Spark reuses workers across tasks, so a worker pays the load once per list set.
_opened: dict[str, Any] = {}


@dataclass(frozen=True, slots=True)
class Bundle:
    key: str  # changes with the list versions and the engine version
    path: Path

    @property
    def filename(self) -> str:
        return self.path.name


def bundle_key(screener: Any) -> str:
    """Names the list versions, the entities indexed and the index formats: any change, a new bundle."""
    from tamiz.index import inverted
    from tamiz.match import matcher

    files = "|".join(
        f"{v.dataset}:{v.version}:{','.join(f.sha256 for f in v.files)}" for v in screener.versions
    )
    engine = f"{__version__}:{getattr(matcher, 'FORMAT', '')}:{getattr(inverted, 'FORMAT', '')}"
    entities = Matcher._fingerprint(screener.matcher.entities)
    return hashlib.sha256(f"{FORMAT}|{engine}|{files}|{entities}".encode()).hexdigest()[:24]


def write_bundle(screener: Any, folder: Path | None = None) -> Bundle:
    """The bundle for this screener's list versions, written once per key."""
    key = bundle_key(screener)
    folder = Path(folder) if folder is not None else Path(cache_dir()) / "spark"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"tamiz-{key}.bundle"
    if path.exists():
        return Bundle(key, path)
    with tempfile.TemporaryDirectory(dir=folder) as tmp:
        index_path = Path(tmp) / "index.idx"
        screener.matcher.save(index_path)
        state = {
            "format": FORMAT,
            "key": key,
            "versions": list(screener.versions),
            # The matcher addresses entities by position: keep its order.
            "entities": [e.to_dict() for e in screener.matcher.entities],
            "index": index_path.read_bytes(),
        }
        part = Path(tmp) / "bundle.part"
        with open(part, "wb") as fh:
            pickle.dump(state, fh, protocol=pickle.HIGHEST_PROTOCOL)
        part.replace(path)
    return Bundle(key, path)


def open_bundle(path: str | Path) -> Any:
    """A screener (no store, no audit) answering from the bundle's lists."""
    from tamiz.screen.screener import Screener

    path = Path(path)
    try:
        with open(path, "rb") as fh:
            state = pickle.load(fh)
    except (OSError, pickle.UnpicklingError, EOFError) as exc:
        raise TamizError(f"{path}: not a readable tamiz Spark bundle: {exc}") from None
    if state.get("format") != FORMAT:
        raise TamizError(f"{path}: bundle format {state.get('format')!r}, this tamiz reads {FORMAT}; rebuild it")
    entities = [Entity.from_dict(d) for d in state["entities"]]
    fd, index_path = tempfile.mkstemp(suffix=".idx")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(state["index"])
        matcher = Matcher.load(Path(index_path), entities)
    except ValueError as exc:  # the executors run another tamiz than the driver that wrote it
        raise TamizError(f"{path}: bundle does not fit this tamiz ({exc}); install the driver's tamiz version "
                         "on the executors") from None
    finally:
        os.unlink(index_path)
    return Screener(None, state["versions"], matcher, {e.id: e for e in entities},  # type: ignore[arg-type]
                    audit=False, actor="spark")


def worker_screener(key: str, filename: str) -> Any:
    """The bundle's screener in this worker, opened on first use (from the files Spark shipped)."""
    screener = _opened.get(key)
    if screener is None:
        from pyspark import SparkFiles

        screener = open_bundle(SparkFiles.get(filename))
        _opened.clear()  # one list set per worker: a new bundle replaces the old one
        _opened[key] = screener
    return screener
