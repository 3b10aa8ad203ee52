"""Which lists tamiz knows: name → publisher, parser and official download URLs.

The packaged `tamiz/data/datasets.json` is the source of truth. An optional
override file named by the `TAMIZ_SOURCES` environment variable (same shape)
replaces fields of packaged entries or adds new ones; operators use it for
mirrors behind a firewall, and the tests use it to point URLs at 127.0.0.1.
"""

from __future__ import annotations

import importlib
import json
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from tamiz.errors import SourceError, TamizError, UnknownDataset
from tamiz.sources.base import ParsedList

OVERRIDE_ENV = "TAMIZ_SOURCES"
_REQUIRED = ("title", "parser", "urls")
# Formats with a parser that no packaged dataset names (a firm's own lists, other
# publications of a registered list); the rest come from datasets.json.
_EXTRA_FORMATS: dict[str, str] = {
    "internal": "tamiz.sources.internal:parse",
    "ofac_xml": "tamiz.sources.ofac_xml:parse",
    "ofac_advanced_xml": "tamiz.sources.ofac_advanced_xml:parse",
    "uk_hmt_csv_2018": "tamiz.sources.uk_hmt_csv:parse",
    "uk_conlist_2022": "tamiz.sources.uk_conlist_2022:parse",
}


@dataclass(frozen=True, slots=True)
class DatasetSpec:
    name: str
    title: str
    publisher: str
    format: str
    parser: str  # "module:function" with the `parse(paths, dataset)` contract
    urls: list[str] = field(default_factory=list)
    licence: str = ""
    collections: list[str] = field(default_factory=list)

    def load_parser(self) -> Callable[[Sequence[Path], str], ParsedList]:
        return _import_parser(self.parser)


def _import_parser(ref: str) -> Callable[[Sequence[Path], str], ParsedList]:
    module_name, _, func_name = ref.partition(":")
    module = importlib.import_module(module_name)
    return getattr(module, func_name or "parse")


def _read_json(text: str, origin: str) -> dict[str, dict[str, Any]]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise SourceError(origin, f"not valid JSON: {exc}") from exc
    if not isinstance(data, dict) or not all(isinstance(v, dict) for v in data.values()):
        raise SourceError(origin, "expected an object of dataset name → {title, parser, urls, ...}")
    return data


def _spec(name: str, entry: dict[str, Any], origin: str) -> DatasetSpec:
    missing = [k for k in _REQUIRED if not entry.get(k)]
    if missing:
        raise SourceError(origin, f"dataset {name!r} lacks {', '.join(missing)}")
    urls = entry["urls"]
    if isinstance(urls, str):
        urls = [urls]
    if ":" not in entry["parser"]:
        raise SourceError(origin, f"dataset {name!r}: parser must be 'module:function', got {entry['parser']!r}")
    return DatasetSpec(
        name=name,
        title=entry["title"],
        publisher=entry.get("publisher", ""),
        format=entry.get("format", ""),
        parser=entry["parser"],
        urls=list(urls),
        licence=entry.get("licence", ""),
        collections=list(entry.get("collections", [])),
    )


def load_registry() -> dict[str, DatasetSpec]:
    """Packaged datasets, with the `TAMIZ_SOURCES` override file applied if set."""
    packaged = resources.files("tamiz") / "data" / "datasets.json"
    entries = _read_json(packaged.read_text(encoding="utf-8"), str(packaged))
    origins = {name: str(packaged) for name in entries}
    override = os.environ.get(OVERRIDE_ENV)
    if override:
        path = Path(override).expanduser()
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise SourceError(str(path), f"cannot read {OVERRIDE_ENV} file: {exc.strerror or exc}") from exc
        for name, entry in _read_json(text, str(path)).items():
            entries[name] = {**entries.get(name, {}), **entry}
            origins[name] = str(path)
    return {name: _spec(name, entry, origins[name]) for name, entry in entries.items()}


def get_spec(name: str, registry: dict[str, DatasetSpec] | None = None) -> DatasetSpec:
    registry = registry if registry is not None else load_registry()
    try:
        return registry[name]
    except KeyError:
        known = ", ".join(sorted(registry)) or "(none)"
        raise UnknownDataset(f"unknown dataset {name!r}; known datasets: {known}") from None


def formats(registry: dict[str, DatasetSpec] | None = None) -> dict[str, str]:
    """Format name → "module:function" parser: datasets.json's formats plus `_EXTRA_FORMATS`."""
    registry = registry if registry is not None else load_registry()
    out = dict(_EXTRA_FORMATS)
    for spec in registry.values():
        if spec.format:
            out.setdefault(spec.format, spec.parser)
    return out


def parse_files(dataset: str, paths: Sequence[Path], format: str | None = None) -> ParsedList:
    """Parse a dataset's files with its registered parser (imported only when needed).

    With `format`, that format's parser is used and `dataset` need not be in the
    registry: this is how a firm's own lists (format "internal") are loaded.
    """
    if format is None:
        return get_spec(dataset).load_parser()(list(paths), dataset)
    known = formats()
    if format not in known:
        raise TamizError(f"unknown list format {format!r}; known formats: {', '.join(sorted(known))}")
    return _import_parser(known[format])(list(paths), dataset)


def collections(registry: dict[str, DatasetSpec] | None = None) -> dict[str, list[str]]:
    """Named groups of datasets (e.g. "sanctions", "us"), each listed in registry order.

    The `default` group (every loaded dataset) depends on the store, so callers resolve it.
    """
    registry = registry if registry is not None else load_registry()
    groups: dict[str, list[str]] = {}
    for spec in registry.values():
        for group in spec.collections:
            groups.setdefault(group, []).append(spec.name)
    return groups
