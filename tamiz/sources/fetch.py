"""Download one dataset's official files, safely and only when they changed.

Publishers' servers are slow, sometimes down, and occasionally send half a
file; a screening system must never replace a good list with a broken one.
So every file is streamed to a temporary name under hard size limits (as sent
and after decompression), checked against its Content-Length, and renamed into
place only when complete. Conditional requests (ETag / Last-Modified) make a
frequent `lists watch` cheap for the publisher and for us.
"""

from __future__ import annotations

import gzip
import os
import time
import zipfile
import zlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Literal
from urllib.parse import unquote, urlsplit

import httpx

from tamiz.errors import FetchError
from tamiz.sources.registry import DatasetSpec

MB = 1024 * 1024
CHUNK = 64 * 1024
MAX_ZIP_MEMBERS = 200
USER_AGENT = "tamiz (sanctions screening; +https://github.com/tamiz)"

FetchStatus = Literal["downloaded", "not_modified", "failed"]


@dataclass(frozen=True, slots=True)
class FetchLimits:
    max_bytes: int = 200 * MB  # per file, as sent over the wire
    max_unpacked_bytes: int = 1024 * MB  # per file after gunzip / unzip: the decompression-bomb cap
    timeout: float = 60.0  # seconds to connect, and between two reads
    tries: int = 3  # attempts per file on connection errors, truncation and 5xx
    backoff: float = 1.0  # seconds before the second try; doubles each time


@dataclass(slots=True)
class FetchResult:
    dataset: str
    status: FetchStatus
    paths: list[Path] = field(default_factory=list)
    # Validators to send next time, by URL (only URLs whose server sent one).
    etags: dict[str, str] = field(default_factory=dict)
    last_modified: dict[str, str] = field(default_factory=dict)
    error: str | None = None
    tries: int = 0  # HTTP requests made, retries included

    @property
    def ok(self) -> bool:
        return self.status != "failed"


class _Transient(Exception):
    """A failure worth retrying: connection trouble, a cut-off body, a 5xx."""


@dataclass(slots=True)
class _Got:
    modified: bool
    etag: str | None = None
    last_modified: str | None = None


def file_name(url: str, index: int = 0) -> str:
    """The URL's own base name (SDN.CSV), which parsers use to recognise a file's role."""
    name = PurePosixPath(unquote(urlsplit(url).path)).name
    if not name or name in (".", ".."):
        name = f"download-{index}"
    return name


def fetch_dataset(
    spec: DatasetSpec,
    dest_dir: Path,
    state: Mapping[str, Mapping[str, str]] | None = None,
    *,
    limits: FetchLimits | None = None,
    client: httpx.Client | None = None,
) -> FetchResult:
    """Download every URL of `spec` into `dest_dir`.

    `state` maps URL → {"etag", "last_modified"} from the last landed version; with
    it, requests are conditional and "not_modified" means every file answered 304.
    If only some files changed, the unchanged ones are fetched again in full so the
    parser always sees a complete, consistent set.
    """
    limits = limits or FetchLimits()
    dest_dir.mkdir(parents=True, exist_ok=True)
    result = FetchResult(dataset=spec.name, status="failed")
    if not spec.urls:
        result.error = f"{spec.name}: the registry lists no download URL"
        return result
    names = download_names(spec.urls)
    own_client = client is None
    client = client or httpx.Client(
        follow_redirects=True,
        timeout=httpx.Timeout(limits.timeout),
        headers={"User-Agent": USER_AGENT},
    )
    try:
        got: dict[str, _Got] = {}
        for url in spec.urls:
            got[url] = _with_retries(client, url, dest_dir / names[url], (state or {}).get(url), limits, result)
        if not any(g.modified for g in got.values()):
            result.status = "not_modified"
        else:
            for url, g in got.items():
                if not g.modified:
                    got[url] = _with_retries(client, url, dest_dir / names[url], None, limits, result)
            result.paths = [p for url in spec.urls for p in _unpack(dest_dir / names[url], limits)]
            result.status = "downloaded"
        for url, g in got.items():
            old = (state or {}).get(url, {})
            if etag := g.etag or old.get("etag"):
                result.etags[url] = etag
            if modified := g.last_modified or old.get("last_modified"):
                result.last_modified[url] = modified
    except FetchError as exc:
        result.status, result.error, result.paths = "failed", str(exc), []
    finally:
        if own_client:
            client.close()
    return result


def download_names(urls: list[str]) -> dict[str, str]:
    """URL → local file name for one dataset: base names, made unique (case-insensitively)."""
    names: dict[str, str] = {}
    taken: set[str] = set()
    for i, url in enumerate(urls):
        name = file_name(url, i)
        if name.lower() in taken:
            name = f"{i}-{name}"
        taken.add(name.lower())
        names[url] = name
    return names


def _with_retries(
    client: httpx.Client,
    url: str,
    dest: Path,
    validators: Mapping[str, str] | None,
    limits: FetchLimits,
    result: FetchResult,
) -> _Got:
    headers = {"Accept-Encoding": "gzip, identity"}
    if validators:
        if validators.get("etag"):
            headers["If-None-Match"] = validators["etag"]
        if validators.get("last_modified"):
            headers["If-Modified-Since"] = validators["last_modified"]
    problem = ""
    for attempt in range(max(1, limits.tries)):
        if attempt:
            time.sleep(limits.backoff * 2 ** (attempt - 1))
        result.tries += 1
        try:
            return _download(client, url, dest, headers, limits)
        except _Transient as exc:
            problem = str(exc)
        except httpx.TransportError as exc:
            problem = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    raise FetchError(f"{url}: {problem} (gave up after {max(1, limits.tries)} tries)")


def _download(client: httpx.Client, url: str, dest: Path, headers: dict[str, str], limits: FetchLimits) -> _Got:
    part = dest.with_name(f".{dest.name}.part")
    try:
        with client.stream("GET", url, headers=headers) as resp:
            etag, modified = resp.headers.get("etag"), resp.headers.get("last-modified")
            if resp.status_code == 304:
                return _Got(modified=False, etag=etag, last_modified=modified)
            if resp.status_code >= 500 or resp.status_code == 429:
                raise _Transient(f"HTTP {resp.status_code} {resp.reason_phrase}")
            if resp.status_code != 200:
                raise FetchError(f"{url}: HTTP {resp.status_code} {resp.reason_phrase}")
            declared = _content_length(resp, url)
            if declared is not None and declared > limits.max_bytes:
                raise FetchError(f"{url}: server announces {declared:,} bytes, over the {limits.max_bytes:,}-byte limit")
            encoding = resp.headers.get("content-encoding", "identity").strip().lower()
            if encoding not in ("identity", "gzip", "x-gzip", ""):
                raise FetchError(f"{url}: unsupported Content-Encoding {encoding!r}")
            inflater = zlib.decompressobj(16 + zlib.MAX_WBITS) if encoding in ("gzip", "x-gzip") else None
            received = 0
            with open(part, "wb") as fh:
                writer = _CappedWriter(fh, limits.max_unpacked_bytes, url)
                for chunk in resp.iter_raw(CHUNK):
                    received += len(chunk)
                    if received > limits.max_bytes:
                        raise FetchError(f"{url}: more than {limits.max_bytes:,} bytes; download stopped")
                    if inflater is None:
                        writer.write(chunk)
                    else:
                        _inflate(inflater, chunk, writer)
                if inflater is not None:
                    writer.write(inflater.flush())
                    if not inflater.eof:
                        raise _Transient("gzip stream ended early (truncated download)")
                fh.flush()
                os.fsync(fh.fileno())
            if declared is not None and received != declared:
                raise _Transient(f"received {received:,} of {declared:,} bytes (truncated download)")
            if received == 0:
                raise _Transient("empty response body")
        os.replace(part, dest)
        return _Got(modified=True, etag=etag, last_modified=modified)
    except httpx.RemoteProtocolError as exc:
        raise _Transient(f"connection closed mid-transfer ({exc}) (truncated download)") from exc
    finally:
        part.unlink(missing_ok=True)


def _content_length(resp: httpx.Response, url: str) -> int | None:
    value = resp.headers.get("content-length")
    if value is None:
        return None
    try:
        return int(value)
    except ValueError:
        raise FetchError(f"{url}: invalid Content-Length {value!r}") from None


class _CappedWriter:
    """Counts what is written and refuses to go past the decompression cap."""

    def __init__(self, fh, cap: int, origin: str) -> None:  # type: ignore[no-untyped-def]
        self.fh, self.cap, self.origin, self.written = fh, cap, origin, 0

    def write(self, data: bytes) -> None:
        self.written += len(data)
        if self.written > self.cap:
            raise FetchError(f"{self.origin}: unpacks to more than {self.cap:,} bytes; refused as a decompression bomb")
        self.fh.write(data)


def _inflate(inflater, data: bytes, writer: _CappedWriter) -> None:  # type: ignore[no-untyped-def]
    # max_length bounds memory per step: a small compressed chunk cannot balloon in RAM.
    while data:
        writer.write(inflater.decompress(data, CHUNK))
        data = inflater.unconsumed_tail
        if inflater.eof:
            break


def _unpack(path: Path, limits: FetchLimits) -> list[Path]:
    """A downloaded .gz or .zip becomes the file(s) inside it; anything else is used as is."""
    lower = path.name.lower()
    if lower.endswith(".zip"):
        return _unzip(path, limits)
    if lower.endswith(".gz"):
        target = path.with_name(path.name[:-3])
        _copy_capped(lambda: gzip.open(path, "rb"), target, limits, str(path))
        path.unlink()
        return [target]
    return [path]


def _unzip(path: Path, limits: FetchLimits) -> list[Path]:
    try:
        archive = zipfile.ZipFile(path)
    except zipfile.BadZipFile as exc:
        raise FetchError(f"{path}: not a readable zip archive ({exc})") from exc
    out: list[Path] = []
    with archive:
        members = [m for m in archive.infolist() if not m.is_dir()]
        if len(members) > MAX_ZIP_MEMBERS:
            raise FetchError(f"{path}: {len(members)} files in the archive; refusing more than {MAX_ZIP_MEMBERS}")
        budget = limits.max_unpacked_bytes
        for member in members:
            # Base name only: an archive cannot write outside the download directory.
            name = PurePosixPath(member.filename.replace("\\", "/")).name
            if not name or name in (".", ".."):
                continue
            target = path.with_name(name)
            written = _copy_capped(lambda m=member: archive.open(m), target, limits, f"{path}:{member.filename}", budget)
            budget -= written
            out.append(target)
    path.unlink()
    if not out:
        raise FetchError(f"{path}: the archive holds no files")
    return out


def _copy_capped(opener, target: Path, limits: FetchLimits, origin: str, cap: int | None = None) -> int:  # type: ignore[no-untyped-def]
    part = target.with_name(f".{target.name}.part")
    try:
        with opener() as src, open(part, "wb") as fh:
            writer = _CappedWriter(fh, limits.max_unpacked_bytes if cap is None else cap, origin)
            while chunk := src.read(CHUNK):
                writer.write(chunk)
        os.replace(part, target)
        return writer.written
    except (OSError, EOFError, zipfile.BadZipFile, zlib.error) as exc:
        raise FetchError(f"{origin}: cannot unpack ({exc})") from exc
    finally:
        part.unlink(missing_ok=True)
