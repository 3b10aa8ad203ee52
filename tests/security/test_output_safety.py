"""What tamiz writes must not attack the reader: no spreadsheet formulas in CSV,
no live markup in HTML, no output outside the folder the operator chose.

A list entity and a customer row are crafted as formula and script payloads
(an internal list is exactly where such a name could be typed by an insider
or imported from a compromised feed), loaded into a real store, screened in a
batch and shown in the web UI.
"""

from __future__ import annotations

import csv
import html
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tamiz.sources.registry import parse_files
from tamiz.store import Store

FORMULA = '=HYPERLINK("http://127.0.0.1:9/x?"&A1,"click")'
SCRIPT = "<script>alert(1)</script>"
PAYLOADS = [FORMULA, "+SUM(1+1)*cmd|' /C calc'!A0", "-2+3+cmd|' /C calc'!A0", "@SUM(1+1)", "\t=1+1", "\r=1+1"]
DATASET = "hostile_internal"


@pytest.fixture(scope="module")
def hostile_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store with an internal list whose names are formula and script payloads."""
    base = tmp_path_factory.mktemp("hostile_list")
    listing = base / "internal.csv"
    with open(listing, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["id", "name", "schema", "aliases", "notes"])
        w.writerow(["f1", FORMULA, "Organization", "", SCRIPT])
        w.writerow(["s1", f"{SCRIPT} TRADING", "Organization", f'<img src=x onerror="alert(2)">', SCRIPT])
        w.writerow(["p1", "Juan PEREZ GARCIA", "Person", "=1+1", ""])
    db = base / "tamiz.db"
    with Store.open(f"sqlite:///{db}") as store:
        store.load(parse_files(DATASET, [listing], format="internal"))
    return db


@pytest.fixture(scope="module")
def screener(hostile_db: Path, tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    from tamiz.screen.screener import Screener

    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("TAMIZ_HOME", str(tmp_path_factory.mktemp("home")))
        yield Screener.open(str(hostile_db), load_default=False, audit=False)


def _customers(path: Path) -> None:
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["customer_id", "name"])
        w.writerow(["=cmd|' /C calc'!A0", FORMULA])  # the customer row is hostile too
        w.writerow(["k2", f"{SCRIPT} TRADING"])
        w.writerow(["@k3", "Juan PEREZ GARCIA"])
        for i, p in enumerate(PAYLOADS):
            w.writerow([p, f"Customer {i}"])


def test_batch_csv_neutralises_formulas(screener, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from tamiz.screen.batch import screen_file

    source = tmp_path / "customers.csv"
    _customers(source)
    out = tmp_path / "out" / "hits.csv"
    summary = screen_file(source, out, screener=screener, workers=1, out_dir=tmp_path / "out")
    assert summary.hits >= 2
    with open(out, newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    cells = [c for row in rows[1:] for c in row]
    assert any(FORMULA[1:] in c for c in cells), "the crafted list entity should be among the hits"
    dangerous = [c for c in cells if c[:1] in ("=", "+", "-", "@", "\t", "\r")]
    assert dangerous == [], dangerous
    errors = Path(summary.errors_file) if summary.errors_file else None
    if errors is not None and errors.exists():
        with open(errors, newline="", encoding="utf-8") as fh:
            bad = [c for row in list(csv.reader(fh))[1:] for c in row if c[:1] in ("=", "+", "-", "@", "\t", "\r")]
        assert bad == []


def test_batch_html_report_escapes_list_fields(screener, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from tamiz.screen.batch import screen_file

    source = tmp_path / "customers.csv"
    _customers(source)
    out_dir = tmp_path / "out"
    summary = screen_file(source, "hits.csv", screener=screener, workers=1, out_dir=out_dir, report="report.html")
    page = Path(summary.report).read_text(encoding="utf-8")  # type: ignore[arg-type]
    assert "<script>" not in page.lower() and "onerror=" not in page.lower()


@pytest.mark.parametrize("target", ["../../etc/x.csv", "/etc/x.csv", "a/../../x.csv", "../out2/x.csv"])
def test_batch_output_cannot_escape_the_chosen_folder(screener, tmp_path: Path, target: str) -> None:  # type: ignore[no-untyped-def]
    from tamiz.screen.batch import OutputError, screen_file

    source = tmp_path / "customers.csv"
    _customers(source)
    out_dir = tmp_path / "jail" / "out"
    out_dir.mkdir(parents=True)
    with pytest.raises(OutputError):
        screen_file(source, target, screener=screener, workers=1, out_dir=out_dir)
    with pytest.raises(OutputError):
        screen_file(source, "ok.csv", screener=screener, workers=1, out_dir=out_dir, report=target)
    assert not (tmp_path / "x.csv").exists() and not Path("/etc/x.csv").exists()


@pytest.fixture(scope="module")
def client(hostile_db: Path, tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    from tamiz.api.app import create_app
    from tamiz.api.settings import ApiSettings

    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("TAMIZ_HOME", str(tmp_path_factory.mktemp("home_api")))
        mp.setenv("TAMIZ_AUTH", "off")
        app = create_app(ApiSettings(db_url=f"sqlite:///{hostile_db}", reload_interval=0))
        with TestClient(app) as c:
            yield c


def _assert_escaped(response) -> None:  # type: ignore[no-untyped-def]
    """HTML must carry list text escaped; JSON echoes are data (a browser will not run them)."""
    if not response.headers.get("content-type", "").startswith("text/html"):
        assert response.headers.get("content-type", "").startswith("application/json")
        return
    body = response.text
    lower = body.lower()
    assert "<script>alert" not in lower and "<img src=x" not in lower, body[:500]


@pytest.mark.timeout(120)
def test_web_pages_escape_every_list_field(client) -> None:  # type: ignore[no-untyped-def]
    for q in (SCRIPT, "TRADING", FORMULA):
        r = client.get("/", params={"q": q})
        assert r.status_code == 200, r.text[:300]
        _assert_escaped(r)
    r = client.get("/", params={"q": "TRADING"})
    assert html.escape(SCRIPT, quote=False) in r.text or "&lt;script&gt;" in r.text  # shown, but inert
    for entity_id in (f"{DATASET}:s1", f"{DATASET}:f1", f"{DATASET}:%3Cscript%3Ealert(1)%3C%2Fscript%3E"):
        r = client.get(f"/ui/entity/{entity_id}")
        assert r.status_code in (200, 404)
        _assert_escaped(r)
    r = client.get("/ui/lists")
    _assert_escaped(r)


def test_api_json_carries_the_names_verbatim_as_data(client) -> None:  # type: ignore[no-untyped-def]
    r = client.get(f"/entities/{DATASET}:s1")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/json")
    assert SCRIPT in r.json()["caption"]  # JSON is data, not markup: verbatim is right
