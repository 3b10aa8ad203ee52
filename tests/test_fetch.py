"""Downloading a dataset's files from a local HTTP server that behaves like a real one.

`ListServer` (also used by test_update.py) serves a directory over
127.0.0.1 with ETag / Last-Modified validators and can be told to misbehave:
answer 500 a number of times, cut a body short, announce a huge
Content-Length, or stream without any Content-Length.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import shutil
import socket
import threading
import zipfile
from collections.abc import Iterator
from email.utils import formatdate, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from conftest import LISTS, need
from tamiz.sources.fetch import FetchLimits, fetch_dataset, file_name
from tamiz.sources.registry import DatasetSpec

OFFICIAL = {"SDN.CSV": "sdn.csv", "ADD.CSV": "add.csv", "ALT.CSV": "alt.csv", "SDN_COMMENTS.CSV": "sdn_comments.csv"}
FAST = FetchLimits(tries=3, backoff=0.01, timeout=10)


class ListServer:
    """A tiny publisher: serves files from `root`, with switchable faults."""

    def __init__(self, root: Path):
        self.root = root
        self.fail: dict[str, int] = {}  # path -> how many more requests get a 500
        self.truncate: set[str] = set()  # send half the body, then close
        self.huge: set[str] = set()  # announce a 10 GB Content-Length
        self.unsized: set[str] = set()  # no Content-Length: body runs until the connection closes
        self.gzip: set[str] = set()  # send with Content-Encoding: gzip
        self.requests: list[tuple[str, dict[str, str]]] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:  # noqa: N802
                name = self.path.lstrip("/")
                server.requests.append((name, {k.lower(): v for k, v in self.headers.items()}))
                if server.fail.get(name, 0) > 0:
                    server.fail[name] -= 1
                    self.send_error(500, "Internal Server Error")
                    return
                path = server.root / name
                if not path.is_file():
                    self.send_error(404, "Not Found")
                    return
                body = path.read_bytes()
                etag = '"' + hashlib.sha256(body).hexdigest()[:20] + '"'
                mtime = int(path.stat().st_mtime)
                if self._not_modified(etag, mtime):
                    self.send_response(304)
                    self.send_header("ETag", etag)
                    self.end_headers()
                    return
                if name in server.gzip and "gzip" in self.headers.get("Accept-Encoding", ""):
                    body = gzip.compress(body)
                self.send_response(200)
                self.send_header("ETag", etag)
                self.send_header("Last-Modified", formatdate(mtime, usegmt=True))
                if name in server.gzip:
                    self.send_header("Content-Encoding", "gzip")
                if name in server.huge:
                    self.send_header("Content-Length", str(10 * 1024**3))
                    self.end_headers()
                    self.wfile.write(body[:1000])
                    return
                if name not in server.unsized:
                    self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body[: len(body) // 2] if name in server.truncate else body)

            def _not_modified(self, etag: str, mtime: int) -> bool:
                if "If-None-Match" in self.headers:
                    return etag in [t.strip() for t in self.headers["If-None-Match"].split(",")]
                if "If-Modified-Since" in self.headers:
                    return mtime <= parsedate_to_datetime(self.headers["If-Modified-Since"]).timestamp()
                return False

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True)

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/{name}"

    def served(self, name: str) -> list[dict[str, str]]:
        """Headers of each request made for `name`."""
        return [h for n, h in self.requests if n == name]

    def __enter__(self) -> "ListServer":
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(5)


def publish_sdn(root: Path) -> None:
    """Copy the real SDN files under their official upper-case names."""
    base = need(LISTS / "us_ofac_sdn")
    for official, ours in OFFICIAL.items():
        shutil.copyfile(base / ours, root / official)


def sdn_spec(server: ListServer, name: str = "us_ofac_sdn") -> DatasetSpec:
    return DatasetSpec(
        name=name,
        title="OFAC SDN (test mirror)",
        publisher="test",
        format="ofac_csv",
        parser="tamiz.sources.ofac_csv:parse",
        urls=[server.url(n) for n in OFFICIAL],
    )


@pytest.fixture
def server(tmp_path: Path) -> Iterator[ListServer]:
    root = tmp_path / "published"
    root.mkdir()
    publish_sdn(root)
    with ListServer(root) as srv:
        yield srv


def state_of(result) -> dict[str, dict[str, str]]:  # type: ignore[no-untyped-def]
    urls = set(result.etags) | set(result.last_modified)
    return {u: {"etag": result.etags.get(u, ""), "last_modified": result.last_modified.get(u, "")} for u in urls}


def test_downloads_every_file_under_its_official_name(server: ListServer, tmp_path: Path) -> None:
    result = fetch_dataset(sdn_spec(server), tmp_path / "dl", limits=FAST)
    assert result.status == "downloaded", result.error
    assert [p.name for p in result.paths] == list(OFFICIAL)
    for path in result.paths:
        assert path.read_bytes() == (server.root / path.name).read_bytes()
    assert set(result.etags) == set(sdn_spec(server).urls) == set(result.last_modified)
    assert not list((tmp_path / "dl").glob(".*part"))


def test_conditional_request_gets_304_and_downloads_nothing(server: ListServer, tmp_path: Path) -> None:
    first = fetch_dataset(sdn_spec(server), tmp_path / "a", limits=FAST)
    second = fetch_dataset(sdn_spec(server), tmp_path / "b", state_of(first), limits=FAST)
    assert second.status == "not_modified"
    assert second.paths == [] and not any((tmp_path / "b").iterdir())
    last = server.served("SDN.CSV")[-1]
    assert last["if-none-match"] == first.etags[server.url("SDN.CSV")]
    assert last["if-modified-since"] == first.last_modified[server.url("SDN.CSV")]
    assert second.etags == first.etags  # validators carried forward for the next check


def test_last_modified_alone_is_enough_for_304(server: ListServer, tmp_path: Path) -> None:
    first = fetch_dataset(sdn_spec(server), tmp_path / "a", limits=FAST)
    only_dates = {u: {"last_modified": v} for u, v in first.last_modified.items()}
    assert fetch_dataset(sdn_spec(server), tmp_path / "b", only_dates, limits=FAST).status == "not_modified"
    assert "if-none-match" not in server.served("ADD.CSV")[-1]


def test_one_changed_file_brings_the_whole_set(server: ListServer, tmp_path: Path) -> None:
    first = fetch_dataset(sdn_spec(server), tmp_path / "a", limits=FAST)
    alt = server.root / "ALT.CSV"
    alt.write_bytes(alt.read_bytes().replace(b"\r\n", b"\n", 1))
    second = fetch_dataset(sdn_spec(server), tmp_path / "b", state_of(first), limits=FAST)
    assert second.status == "downloaded"
    assert sorted(p.name for p in second.paths) == sorted(OFFICIAL)
    assert (tmp_path / "b" / "SDN.CSV").read_bytes() == (server.root / "SDN.CSV").read_bytes()
    assert second.etags[server.url("ALT.CSV")] != first.etags[server.url("ALT.CSV")]
    # SDN.CSV answered 304 first, then was fetched again without validators.
    assert [("if-none-match" in h) for h in server.served("SDN.CSV")[-2:]] == [True, False]


def test_retries_5xx_then_succeeds(server: ListServer, tmp_path: Path) -> None:
    server.fail["ADD.CSV"] = 2
    result = fetch_dataset(sdn_spec(server), tmp_path / "dl", limits=FAST)
    assert result.status == "downloaded", result.error
    assert len(server.served("ADD.CSV")) == 3
    assert result.tries == 4 + 2


def test_persistent_5xx_fails_with_the_url_and_status(server: ListServer, tmp_path: Path) -> None:
    server.fail["ALT.CSV"] = 99
    result = fetch_dataset(sdn_spec(server), tmp_path / "dl", limits=FAST)
    assert result.status == "failed" and result.paths == []
    assert "ALT.CSV" in result.error and "500" in result.error and "3 tries" in result.error
    assert len(server.served("ALT.CSV")) == 3


def test_client_errors_are_not_retried(server: ListServer, tmp_path: Path) -> None:
    spec = sdn_spec(server)
    spec.urls.append(server.url("MISSING.CSV"))
    result = fetch_dataset(spec, tmp_path / "dl", limits=FAST)
    assert result.status == "failed" and "404" in result.error
    assert len(server.served("MISSING.CSV")) == 1


def test_truncated_body_is_refused_and_leaves_no_file(server: ListServer, tmp_path: Path) -> None:
    server.truncate.add("SDN.CSV")
    result = fetch_dataset(sdn_spec(server), tmp_path / "dl", limits=FAST)
    assert result.status == "failed"
    assert "SDN.CSV" in result.error and "truncated" in result.error
    assert not (tmp_path / "dl" / "SDN.CSV").exists()
    assert not list((tmp_path / "dl").glob(".*part"))


def test_announced_oversize_is_refused_without_downloading(server: ListServer, tmp_path: Path) -> None:
    server.huge.add("SDN.CSV")
    result = fetch_dataset(sdn_spec(server), tmp_path / "dl", limits=FAST)
    assert result.status == "failed" and "limit" in result.error and "SDN.CSV" in result.error
    assert len(server.served("SDN.CSV")) == 1  # not retried
    assert not (tmp_path / "dl" / "SDN.CSV").exists()


def test_oversize_stream_without_length_is_stopped(server: ListServer, tmp_path: Path) -> None:
    server.unsized.add("SDN.CSV")
    size = (server.root / "SDN.CSV").stat().st_size
    limits = FetchLimits(max_bytes=size // 4, tries=1, backoff=0)
    result = fetch_dataset(sdn_spec(server), tmp_path / "dl", limits=limits)
    assert result.status == "failed" and "download stopped" in result.error
    assert not list((tmp_path / "dl").iterdir())
    # The same stream under a sufficient limit is accepted: no Content-Length is not an error.
    ok = fetch_dataset(sdn_spec(server), tmp_path / "ok", limits=FAST)
    assert ok.status == "downloaded" and (tmp_path / "ok" / "SDN.CSV").stat().st_size == size


def test_gzip_transfer_encoding_is_decoded(server: ListServer, tmp_path: Path) -> None:
    server.gzip.add("SDN.CSV")
    result = fetch_dataset(sdn_spec(server), tmp_path / "dl", limits=FAST)
    assert result.status == "downloaded", result.error
    assert (tmp_path / "dl" / "SDN.CSV").read_bytes() == (server.root / "SDN.CSV").read_bytes()
    assert "gzip" in server.served("SDN.CSV")[-1]["accept-encoding"]


def test_gzip_bomb_is_refused(server: ListServer, tmp_path: Path) -> None:
    (server.root / "BOMB.CSV").write_bytes(b"\0" * (16 * 1024 * 1024))
    server.gzip.add("BOMB.CSV")
    spec = DatasetSpec("bomb", "bomb", "", "", "x:parse", [server.url("BOMB.CSV")])
    result = fetch_dataset(spec, tmp_path / "dl", limits=FetchLimits(max_unpacked_bytes=2 * 1024 * 1024, tries=1))
    assert result.status == "failed" and "decompression bomb" in result.error
    assert not list((tmp_path / "dl").iterdir())


def test_zip_archive_is_unpacked_by_member_base_name(server: ListServer, tmp_path: Path) -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.write(server.root / "SDN.CSV", "export/SDN.CSV")
        zf.writestr("../../escape.txt", b"outside?")
    (server.root / "sdn.zip").write_bytes(buf.getvalue())
    spec = DatasetSpec("z", "z", "", "", "x:parse", [server.url("sdn.zip")])
    result = fetch_dataset(spec, tmp_path / "dl", limits=FAST)
    assert result.status == "downloaded", result.error
    assert sorted(p.name for p in result.paths) == ["SDN.CSV", "escape.txt"]
    assert all(p.parent == tmp_path / "dl" for p in result.paths)
    assert (tmp_path / "dl" / "SDN.CSV").read_bytes() == (server.root / "SDN.CSV").read_bytes()
    assert not (tmp_path / "escape.txt").exists() and not (tmp_path / "dl" / "sdn.zip").exists()


def test_zip_bomb_is_refused(server: ListServer, tmp_path: Path) -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("a.csv", b"\0" * (8 * 1024 * 1024))
        zf.writestr("b.csv", b"\0" * (8 * 1024 * 1024))
    (server.root / "bomb.zip").write_bytes(buf.getvalue())
    assert len(buf.getvalue()) < 100 * 1024
    spec = DatasetSpec("z", "z", "", "", "x:parse", [server.url("bomb.zip")])
    result = fetch_dataset(spec, tmp_path / "dl", limits=FetchLimits(max_unpacked_bytes=12 * 1024 * 1024, tries=1))
    assert result.status == "failed" and "decompression bomb" in result.error


def test_connection_refused_fails_after_retries(tmp_path: Path) -> None:
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    spec = DatasetSpec("x", "x", "", "", "x:parse", [f"http://127.0.0.1:{port}/SDN.CSV"])
    result = fetch_dataset(spec, tmp_path / "dl", limits=FAST)
    assert result.status == "failed" and result.tries == 3
    assert "ConnectError" in result.error and f":{port}/SDN.CSV" in result.error


def test_file_names_come_from_the_url_path() -> None:
    assert file_name("https://x.example/api/exports/SDN.CSV?download=1") == "SDN.CSV"
    assert file_name("https://x.example/a/consolidated%20list.xml") == "consolidated list.xml"
    assert file_name("https://x.example/", 3) == "download-3"
