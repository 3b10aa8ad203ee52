"""Two `tamiz serve` replicas on one PostgreSQL: a list update through one reaches both, the audit chain holds.

Each replica has its own cache folder, as on separate machines, so each builds
its own index for each list version; they share only the database: lists, API
keys, monitored customers, alerts and the audit log.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from conftest import LISTS, need
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

from tamiz.api.ready import wait_until_ready

PG_URL = os.environ.get("TAMIZ_TEST_PG_URL")
NEW_ID = "us_ofac_sdn:99999001"
NEW_NAME = "QUETZALCOATL ZHOVKVA TRADING BUREAU LTD."
NEW_ROW = f'99999001,"{NEW_NAME}",-0- ,"SDGT",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- \r\n'.encode()
NAMES = ["Saddam Hussein", "Joaquin Guzman Loera", "Ismael Zambada Garcia", "John Smith", "Maria Garcia",
         "Banco Nacional de Cuba", "Ivan Archivaldo Guzman Salazar", "Aerocaribbean Airlines"]

pytestmark = [pytest.mark.postgres, pytest.mark.timeout(420)]


@pytest.fixture
def pg_url():
    """A fresh schema on the test PostgreSQL, dropped afterwards."""
    if not PG_URL:
        pytest.skip("TAMIZ_TEST_PG_URL not set: no PostgreSQL server to test against")
    admin = create_engine(PG_URL)
    try:
        with admin.connect() as conn:
            conn.execute(text("select 1"))
    except OperationalError as exc:
        pytest.skip(f"PostgreSQL at TAMIZ_TEST_PG_URL does not answer: {exc}")
    schema = f"tamiz_rep_{uuid.uuid4().hex[:10]}"
    with admin.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    sep = "&" if "?" in PG_URL else "?"
    yield f"{PG_URL}{sep}options=-csearch_path%3D{schema}"
    with admin.begin() as conn:
        conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
    admin.dispose()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _cli(*args: str) -> list[str]:
    """The `tamiz` command line in this interpreter (`serve` straight from its module if main lacks it)."""
    if args[0] == "serve":
        from tamiz.cli.main import app

        names = {c.name or (c.callback.__name__ if c.callback else "") for c in app.registered_commands}
        if "serve" not in names:
            return [sys.executable, "-c", "import typer; from tamiz.cli.serve import serve; typer.run(serve)",
                    *args[1:]]
    return [sys.executable, "-c", "from tamiz.cli.main import app; app()", *args]


class Replica:
    def __init__(self, name: str, db: str, home: Path, key: str):
        self.name, self.port = name, _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {**os.environ, "TAMIZ_HOME": str(home), "TAMIZ_CACHE": str(home / "cache"),
                    "TAMIZ_ACTOR": f"replica-{name}"}
        self.env.pop("TAMIZ_DB", None)
        self.log = open(home / "serve.log", "wb")  # noqa: SIM115 - open for the process's life
        self.proc = subprocess.Popen(
            _cli("serve", "--host", "127.0.0.1", "--port", str(self.port), "--db", db, "--reload-interval", "1",
                 "--log-level", "warning"), env=self.env, stdout=self.log, stderr=subprocess.STDOUT)
        self.client = httpx.Client(base_url=self.url, timeout=60, headers={"Authorization": f"Bearer {key}"})

    def wait_ready(self, seconds: float) -> None:
        try:
            wait_until_ready(self.url, seconds, alive=lambda: self.proc.poll() is None, interval=0.5)
        except (RuntimeError, TimeoutError) as exc:
            raise AssertionError(f"replica {self.name}: {exc}: {self.tail()}") from exc

    def screen(self, name: str) -> dict:
        r = self.client.post("/screen", json={"name": name})
        assert r.status_code == 200, r.text
        return r.json()["results"][0]

    def sdn_version(self) -> str:
        cat = self.client.get("/catalog").json()
        return next(d["version"] for d in cat["datasets"] if d["name"] == "us_ofac_sdn")

    def tail(self) -> str:
        self.log.flush()
        return Path(self.log.name).read_text(errors="replace")[-2000:]

    def stop(self) -> None:
        self.client.close()
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


def _sdn_version_files(folder: Path) -> list[Path]:
    """The SDN files with one party added before the end-of-file marker: a new list version."""
    base = need(LISTS / "us_ofac_sdn")
    folder.mkdir()
    names = ("sdn.csv", "add.csv", "alt.csv", "sdn_comments.csv")
    for n in names:
        shutil.copyfile(base / n, folder / n)
    body = (folder / "sdn.csv").read_bytes()
    cut = body.rfind(b"\x1a")
    cut = cut if cut >= 0 else len(body)
    (folder / "sdn.csv").write_bytes(body[:cut] + NEW_ROW + body[cut:])
    return [folder / n for n in names]


def _hit_ids(result: dict) -> set[str]:
    return {h["id"] for h in result["results"] if h["match"]}


def _consistent(result: dict) -> int:
    """The list version a response answered from; the new party is found exactly when that is v2."""
    version = next(d["version"] for d in result["datasets"] if d["name"] == "us_ofac_sdn")
    found = NEW_ID in _hit_ids(result)
    if result["query"]["name"] == NEW_NAME:
        assert found == (version >= 2), f"answer from v{version} {'with' if found else 'without'} the new party"
    else:
        assert not found
    return version


def test_two_replicas_share_postgres_and_pick_up_a_list_update(pg_url, tmp_path):
    from tamiz.audit import AuditLog
    from tamiz.auth import KeyStore
    from tamiz.screen.screener import load_default_snapshot
    from tamiz.store import Store

    need(LISTS / "us_ofac_sdn")
    store = Store.open(pg_url)
    load_default_snapshot(store)  # v1, landed once before the replicas start
    files = _sdn_version_files(tmp_path / "sdn_v2")
    key_id, key = KeyStore(store.engine).create("ops", "admin")  # keys live in the shared database too

    replicas: list[Replica] = []
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
        replicas.append(Replica(name, pg_url, tmp_path / name, key))
    try:
        for r in replicas:
            r.wait_ready(240)
        assert [r.sdn_version() for r in replicas] == ["1", "1"]
        before = [r.screen(NEW_NAME) for r in replicas]
        assert all(_consistent(b) == 1 for b in before)
        first = {name: _hit_ids(replicas[0].screen(name)) for name in NAMES}
        assert first["Saddam Hussein"] and not first["John Smith"]
        for r in replicas:  # auth is on for every replica: the key came from the shared database
            assert r.client.post("/screen", json={"name": "x"}, headers={"Authorization": ""}).status_code == 401
        # A customer registered for monitoring through replica b.
        added = replicas[1].client.post("/monitor/customers", json={"reference": "MON-1", "name": NEW_NAME,
                                                                     "schema": "Organization"})
        assert added.status_code == 200, added.text

        requests = 0
        with ThreadPoolExecutor(4) as pool:
            # Concurrent screenings on both replicas while replica a lands the new version (an admin upload).
            jobs = [pool.submit(r.screen, name) for _ in range(3) for r in replicas for name in NAMES]
            uploads = [("files", (f.name, f.read_bytes(), "text/csv")) for f in files]
            load = replicas[0].client.post("/admin/lists/us_ofac_sdn", files=uploads, timeout=300)
            assert load.status_code == 200, load.text
            landed = load.json()
            assert landed["version"] == 2 and landed["created"] and landed["added"] == 1
            assert landed["monitoring"] and landed["monitoring"][0]["alerts_opened"] == 1
            for job in jobs:
                res = job.result()
                _consistent(res)
                if res["query"]["name"] in first:
                    assert _hit_ids(res) == first[res["query"]["name"]]  # the update changed nothing else
            requests += len(jobs)

            # Poll both until they answer from v2; every answer on the way is whole, never mixed.
            deadline = time.monotonic() + 180
            pending = set(range(len(replicas)))
            while pending and time.monotonic() < deadline:
                for i in sorted(pending):
                    res = replicas[i].screen(NEW_NAME)
                    requests += 1
                    if _consistent(res) >= 2 and replicas[i].sdn_version() == "2":
                        pending.discard(i)
                time.sleep(0.5)
            assert not pending, f"replicas {sorted(pending)} still on v1: {replicas[min(pending)].tail()}"

            jobs = [pool.submit(r.screen, name) for r in replicas for name in [*NAMES, NEW_NAME]]
            for job in jobs:
                assert _consistent(job.result()) == 2
            requests += len(jobs)
        # The alert the update opened (on replica a) is the one replica b shows for its customer.
        alerts = replicas[1].client.get("/alerts", params={"reference": "MON-1"}).json()["alerts"]
        assert [a["entity_id"] for a in alerts] == [NEW_ID], alerts
        for r in replicas:
            assert r.proc.poll() is None  # no restart was needed
    finally:
        for r in replicas:
            r.stop()

    audit = AuditLog(store.engine)
    check = audit.verify()
    assert check.ok, check
    screens = [r for r in audit.records(kind="screen") if r.actor == f"ops ({key_id})"]
    # Every screening on either replica is in the one chain (the API records each request).
    assert len(screens) == requests + len(before) + len(NAMES)
    assert len({r.payload["served_by"] for r in screens}) == 2  # each record names the replica that answered
    uploaded = [r.payload for r in audit.records(kind="admin") if r.payload.get("action") == "list_uploaded"]
    assert [(u["dataset"], u["version"]) for u in uploaded] == [("us_ofac_sdn", 2)]
    store.close()
