"""`lists update` and `lists watch`: fetch → parse → validate → store, per dataset.

A screening system is only as good as its newest *correct* list. Every step
here can refuse: a failed download, a file the parser rejects, or a list that
shrank implausibly all leave the previous version current, and the outcome
says why. Conditional-request validators (ETag / Last-Modified) and the last
attempt's result live in a small JSON file in the data directory, so checking
every few minutes costs the publisher a 304 and needs no store schema change.
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal, Protocol

import httpx

from tamiz.config import data_dir
from tamiz.errors import TamizError
from tamiz.sources.base import ParsedList
from tamiz.sources.fetch import USER_AGENT, FetchLimits, download_names, fetch_dataset
from tamiz.sources.registry import DatasetSpec, collections, get_spec, load_registry, parse_files

DEFAULT_DATASETS = ["us_ofac_sdn"]  # what a fresh install updates when no list is loaded yet
STATE_FILE = "fetch_state.json"

OutcomeStatus = Literal["updated", "unchanged", "not_modified", "refused", "failed"]


class _Version(Protocol):
    version: int
    entity_count: int
    files: list[Any]


class _Loaded(Protocol):
    version: _Version
    created: bool
    added: int
    removed: int
    changed: int


class ListStore(Protocol):
    """What updating needs from `tamiz.store.Store`."""

    def current(self, dataset: str) -> _Version | None: ...
    def load(self, parsed: ParsedList) -> _Loaded: ...


@dataclass(slots=True)
class UpdateOutcome:
    dataset: str
    # updated: a new version landed · unchanged: new download, same files as current ·
    # not_modified: the server answered 304 · refused: downloaded but failed validation ·
    # failed: download or store error. In the last two the previous version stays current.
    status: OutcomeStatus
    message: str
    version: int | None = None  # the current version after this attempt
    previous: int | None = None  # the version that was current before it
    entity_count: int | None = None  # of the current version
    added: int = 0
    removed: int = 0
    changed: int = 0

    @property
    def ok(self) -> bool:
        return self.status in ("updated", "unchanged", "not_modified")


# -- the state file ------------------------------------------------------------


def state_path() -> Path:
    return data_dir() / STATE_FILE


def _read_state() -> dict[str, dict[str, Any]]:
    try:
        data = json.loads(state_path().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}  # missing or damaged: we only lose conditional requests, never data
    return data if isinstance(data, dict) else {}


def _write_entry(dataset: str, entry: dict[str, Any]) -> None:
    """Re-read, replace one dataset's entry, write atomically: concurrent updaters of
    different datasets do not erase each other's entries."""
    state = _read_state()
    state[dataset] = entry
    path = state_path()
    fd, tmp = tempfile.mkstemp(prefix=".fetch_state.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(state, fh, indent=2, sort_keys=True)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    finally:
        Path(tmp).unlink(missing_ok=True)


def fetch_status() -> dict[str, dict[str, str | None]]:
    """Per dataset: when it was last tried, last fetched successfully, and the last error."""
    return {
        name: {
            "last_attempt": entry.get("last_attempt"),
            "last_success": entry.get("last_success"),
            "last_error": entry.get("last_error"),
            "last_status": entry.get("last_status"),
        }
        for name, entry in sorted(_read_state().items())
        if isinstance(entry, dict)
    }


# -- updating ------------------------------------------------------------------


def resolve_names(names: Iterable[str] | None, store: ListStore | None = None) -> list[str]:
    """Dataset names, with collection names ("sanctions", "us", "all") expanded.

    None means the datasets already in the store (or DEFAULT_DATASETS on a fresh install).
    Unknown names raise UnknownDataset before anything is downloaded.
    """
    registry = load_registry()
    if names is None:
        loaded = [n for n in registry if store is not None and store.current(n) is not None]
        return loaded or list(DEFAULT_DATASETS)
    groups = collections(registry)
    groups["all"] = list(registry)
    out: list[str] = []
    for name in names:
        members = [name] if name in registry else groups.get(name, [name])
        for item in members:
            get_spec(item, registry)
            if item not in out:
                out.append(item)
    return out


def update_datasets(
    store: ListStore,
    names: Sequence[str] | None = None,
    *,
    force: bool = False,
    download_dir: Path | None = None,
    min_ratio: float = 0.5,
    limits: FetchLimits | None = None,
) -> list[UpdateOutcome]:
    """Fetch, parse, validate and land each dataset; one outcome per dataset, never raises
    for a single dataset's trouble.

    `force` skips conditional requests and accepts a list that shrank below `min_ratio`
    of the current version. With `download_dir`, files are kept in `download_dir/<dataset>`.
    """
    limits = limits or FetchLimits()
    registry = load_registry()
    specs = [get_spec(n, registry) for n in resolve_names(names, store)]
    outcomes: list[UpdateOutcome] = []
    with httpx.Client(follow_redirects=True, timeout=httpx.Timeout(limits.timeout), headers={"User-Agent": USER_AGENT}) as client:
        for spec in specs:
            outcomes.append(_update_one(store, spec, force, download_dir, min_ratio, limits, client))
    return outcomes


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _update_one(
    store: ListStore,
    spec: DatasetSpec,
    force: bool,
    download_dir: Path | None,
    min_ratio: float,
    limits: FetchLimits,
    client: httpx.Client,
) -> UpdateOutcome:
    name = spec.name
    entry = dict(_read_state().get(name) or {})
    entry["last_attempt"] = _now()
    try:
        previous = store.current(name)
    except Exception as exc:
        return _finish(name, entry, UpdateOutcome(name, "failed", f"cannot read the store: {_describe(exc)}"))
    validators = None
    # Validators only mean "you already have this" if the store holds exactly those files.
    if not force and previous is not None and entry.get("files") == sorted(f.sha256 for f in previous.files):
        validators = entry.get("urls") or None

    if download_dir is not None:
        work = Path(download_dir) / name
        work.mkdir(parents=True, exist_ok=True)
        cleanup = False
    else:
        root = data_dir() / "downloads"
        root.mkdir(parents=True, exist_ok=True)
        work = Path(tempfile.mkdtemp(prefix=f"{name}-", dir=root))
        cleanup = True
    try:
        outcome = _fetch_and_land(store, spec, work, validators, previous, entry, force, min_ratio, limits, client)
    finally:
        if cleanup:
            shutil.rmtree(work, ignore_errors=True)
    return _finish(name, entry, outcome)


def _fetch_and_land(
    store: ListStore,
    spec: DatasetSpec,
    work: Path,
    validators: dict[str, dict[str, str]] | None,
    previous: _Version | None,
    entry: dict[str, Any],
    force: bool,
    min_ratio: float,
    limits: FetchLimits,
    client: httpx.Client,
) -> UpdateOutcome:
    name = spec.name

    def stays(status: OutcomeStatus, message: str) -> UpdateOutcome:
        """An outcome that leaves the previous version (if any) current."""
        number = previous.version if previous else None
        return UpdateOutcome(name, status, message, number, number, previous.entity_count if previous else None)

    fetched = fetch_dataset(spec, work, validators, limits=limits, client=client)
    if fetched.status == "failed":
        return stays("failed", f"download failed, {_kept(previous)}: {fetched.error}")
    if fetched.status == "not_modified":
        return stays("not_modified", f"not modified since v{previous.version if previous else '?'}")

    try:
        parsed = parse_files(name, fetched.paths)
    except Exception as exc:  # a parser bug on a new file must not stop the other lists
        return stays("refused", f"downloaded files could not be parsed, {_kept(previous)}: {_describe(exc)}")
    refusal = _implausible(parsed, previous, min_ratio, force)
    if refusal:
        return stays("refused", f"{refusal}; {_kept(previous)}")

    # Record where each file came from (its URL), not the temporary path it was parsed from.
    origins = {file: url for url, file in download_names(spec.urls).items()}
    only = spec.urls[0] if len(spec.urls) == 1 else None  # e.g. members of one zip archive
    parsed.files = [dataclasses.replace(f, origin=origins.get(f.name) or only or f.origin) for f in parsed.files]
    try:
        loaded = store.load(parsed)
    except Exception as exc:  # a database outage must not stop `lists watch`
        return stays("failed", f"could not store the new version, {_kept(previous)}: {_describe(exc)}")

    entry["urls"] = {
        url: {k: v for k, v in (("etag", fetched.etags.get(url)), ("last_modified", fetched.last_modified.get(url))) if v}
        for url in spec.urls
    }
    entry["files"] = sorted(f.sha256 for f in loaded.version.files) or sorted(f.sha256 for f in parsed.files)
    version = loaded.version
    if not loaded.created:
        return UpdateOutcome(
            name, "unchanged", f"downloaded files are identical to v{version.version}",
            version.version, previous.version if previous else None, version.entity_count,
        )
    return UpdateOutcome(
        name, "updated",
        f"v{version.version} with {version.entity_count:,} entities "
        f"(+{loaded.added:,} added, -{loaded.removed:,} removed, ~{loaded.changed:,} changed)",
        version.version, previous.version if previous else None, version.entity_count, loaded.added, loaded.removed, loaded.changed,
    )


def _describe(exc: Exception) -> str:
    if isinstance(exc, TamizError):
        return str(exc)
    first_line = (str(exc).strip().splitlines() or [""])[0]
    return f"{type(exc).__name__}: {first_line}"


def _kept(previous: _Version | None) -> str:
    return f"v{previous.version} stays current" if previous else "no version loaded"


def _implausible(parsed: ParsedList, previous: _Version | None, min_ratio: float, force: bool) -> str | None:
    """Why a parsed list should not replace the current one, or None."""
    count = len(parsed.entities)
    if count == 0:
        return "the downloaded list has no entities"
    if force:
        return None
    if parsed.stats.get("missing_eof_marker"):
        return "the downloaded primary file lacks the publisher's end-of-file marker (a truncated download?); use force to accept it"
    if previous is None or not previous.entity_count:
        return None
    if count < min_ratio * previous.entity_count:
        return (
            f"the downloaded list has {count:,} entities, fewer than {min_ratio:.0%} of the "
            f"{previous.entity_count:,} in v{previous.version} (a truncated or broken file?); use force to accept it"
        )
    return None


def _finish(name: str, entry: dict[str, Any], outcome: UpdateOutcome) -> UpdateOutcome:
    entry["last_status"] = outcome.status
    if outcome.ok:
        entry["last_success"] = entry["last_attempt"]
        entry["last_error"] = None
    else:
        entry["last_error"] = outcome.message
    try:
        _write_entry(name, entry)
    except OSError as exc:
        outcome.message += f" (could not record fetch state: {exc})"
    return outcome


# -- watching ------------------------------------------------------------------


class _Closable(ListStore, Protocol):
    def close(self) -> None: ...


def watch(
    store_factory: Callable[[], _Closable],
    names: Sequence[str] | None,
    every_seconds: float,
    iterations: int | None = None,
    on_outcome: Callable[[UpdateOutcome], None] | None = None,
    **update_options: Any,
) -> None:
    """Update every `every_seconds` (start to start) until interrupted or `iterations` runs.

    The store is opened fresh for each run so a long-lived watcher survives database
    restarts; a run that cannot open it reports a failed outcome and waits for the next.
    """
    run = 0
    while iterations is None or run < iterations:
        started = time.monotonic()
        try:
            store = store_factory()
        except TamizError as exc:
            outcomes = [UpdateOutcome(n, "failed", f"cannot open the store: {exc}") for n in (names or ["*"])]
        else:
            try:
                outcomes = update_datasets(store, names, **update_options)
            finally:
                store.close()
        for outcome in outcomes:
            if on_outcome is not None:
                on_outcome(outcome)
        run += 1
        if iterations is None or run < iterations:
            time.sleep(max(0.0, every_seconds - (time.monotonic() - started)))
