"""Batch screening of customer files against the packaged OFAC SDN snapshot."""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import LISTS, REPO, need
from tamiz.screen.batch import ColumnMapping, MappingError, OutputError, screen_file, screen_rows
from tamiz.screen.batch.checkpoint import checkpoint_path
from tamiz.screen.batch.writers import safe_cell

LISTED = ["Nemesio Oseguera Cervantes", "Joaquín Guzmán Loera", "GUZMAN SALAZAR, Ivan Archivaldo",
          "Ismael Zambada Garcia", "CARTEL DE JALISCO NUEVA GENERACION"]
LISTED_IDS = {"us_ofac_sdn:17674", "us_ofac_sdn:6861", "us_ofac_sdn:17671"}


@pytest.fixture(scope="module")
def shared_home(tmp_path_factory) -> Path:
    need(LISTS / "us_ofac_sdn")
    home = tmp_path_factory.getbasetemp() / "tamiz_batch_text_home"
    home.mkdir(exist_ok=True)
    return home


def index_cache() -> str:
    from platformdirs import user_cache_dir

    return os.environ.get("TAMIZ_CACHE") or str(Path(user_cache_dir("tamiz")) / "tests")


@pytest.fixture(scope="module")
def screener(shared_home):
    """One SDN screener for the module; the index cache (keyed by list files and engine
    version, so never stale) is kept between sessions to spare the build."""
    from tamiz.screen.screener import Screener

    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("TAMIZ_HOME", str(shared_home))
        mp.setenv("TAMIZ_CACHE", index_cache())
        mp.delenv("TAMIZ_DB", raising=False)
        return Screener.open()


def _negatives(n: int) -> list[str]:
    path = need(LISTS / "opensanctions_benchmark" / "negatives_us_synthetic.csv")
    with open(path, encoding="utf-8") as fh:
        return [r["full_name"] for r, _ in zip(csv.DictReader(fh), range(n))]


def _customer_rows(n: int) -> list[dict[str, str]]:
    """Ordinary customers with a listed name every 15 rows."""
    names = _negatives(n)
    rows = []
    for i, name in enumerate(names):
        if i % 15 == 7:
            name = LISTED[(i // 15) % len(LISTED)]
        rows.append({"customer_id": f"C{i:05d}", "full_name": name, "country": "MX" if i % 2 else ""})
    return rows


def _write_csv(path: Path, rows: list[dict[str, str]], delimiter: str = ",", encoding: str = "utf-8") -> Path:
    with open(path, "w", encoding=encoding, errors="replace", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]), delimiter=delimiter)
        w.writeheader()
        w.writerows(rows)
    return path


def _read_csv(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


# --- column mapping -------------------------------------------------------------------------

def test_mapping_guesses_common_headers():
    m = ColumnMapping().resolve(["Customer ID", "Given Name", "Surname", "Date of Birth", "Nationality", "Passport"])
    assert (m.first_name, m.last_name, m.dob, m.country, m.id_number, m.key) == (
        "Given Name", "Surname", "Date of Birth", "Nationality", "Passport", "Customer ID")
    q = m.query({"Given Name": "Nemesio", "Surname": "Oseguera", "Customer ID": "7", "Passport": ""})
    assert q["name"] == "Nemesio Oseguera" and q["key"] == "7" and q["id_number"] is None


def test_mapping_unknown_column_names_the_available_ones():
    with pytest.raises(MappingError, match=r"no column 'nom'.*available columns: a, b"):
        ColumnMapping(name="nom").resolve(["a", "b"], "x.csv")
    with pytest.raises(MappingError, match="no name column"):
        ColumnMapping().resolve(["a", "b"], "x.csv")


def test_safe_cell_neutralises_formulas():
    assert [safe_cell(v) for v in ("=1+1", "+A", "-2", "@SUM", "ok", ["a", "b"])] == \
        ["'=1+1", "'+A", "'-2", "'@SUM", "ok", "a;b"]


# --- runs -----------------------------------------------------------------------------------

def test_csv_semicolon_cp1252_with_errors_and_report(tmp_path, screener):
    rows = _customer_rows(60)
    rows[3]["full_name"] = ""  # a row with no name
    rows[4]["full_name"] = "=Nemesio Oseguera Cervantes"  # formula-looking name that is a real hit
    rows[5]["customer_id"] = "<script>alert(1)</script>"
    rows[5]["full_name"] = "Joaquín Guzmán Loera"
    src = _write_csv(tmp_path / "customers.csv", rows, delimiter=";", encoding="cp1252")
    out = tmp_path / "hits.csv"
    summary = screen_file(src, out, screener=screener, workers=1, report=tmp_path / "report.html", chunk_size=16)

    assert summary.rows == 60 and summary.errors == 1 and summary.screened == 59
    hits = _read_csv(out)
    assert summary.hits == len(hits) > 0
    by_key = {}
    for h in hits:
        by_key.setdefault(h["key"], set()).add(h["entity_id"])
    expected = {r["customer_id"]: r["full_name"] for r in rows if r["full_name"].lstrip("=") in LISTED}
    for key, name in expected.items():
        assert key.replace("<", "") and key in by_key, f"{name} not found"
    assert "us_ofac_sdn:17674" in by_key["C00004"]
    formula = next(h for h in hits if h["key"] == "C00004")
    assert formula["name"] == "'=Nemesio Oseguera Cervantes"
    assert "us_ofac_sdn:6861" in by_key["<script>alert(1)</script>"]  # keys are data, kept verbatim in CSV
    errors = _read_csv(Path(summary.errors_file))
    assert [(e["line"], e["problem"]) for e in errors] == [("5", "no name in this row")]
    assert not checkpoint_path(out).exists()
    sidecar = json.loads(out.with_name("hits.csv.summary.json").read_text())
    assert sidecar["datasets"][0]["name"] == "us_ofac_sdn" and sidecar["rows"] == 60

    html = (tmp_path / "report.html").read_text()
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<svg" in html and "us_ofac_sdn" in html and "SDNTK" in html
    assert "OSEGUERA CERVANTES, Nemesio" in html


def test_bad_bytes_after_the_sample_go_to_the_errors_file(tmp_path, screener):
    src = tmp_path / "big.csv"
    filler = [f"{i},Patricia Lucas Wheeler,{'x' * 30}\n" for i in range(2500)]  # > 64 KB of clean UTF-8
    with open(src, "wb") as fh:
        fh.write("id,name,note\n".encode())
        fh.write("".join(filler).encode())
        fh.write(b"bad1,Caf\xe9 \xff Owner,\n")
        fh.write("ok1,Nemesio Oseguera Cervantes,\n".encode())
    assert src.stat().st_size > 64 * 1024
    summary = screen_file(src, tmp_path / "out.jsonl", screener=screener, workers=1, chunk_size=1000)
    errors = _read_csv(Path(summary.errors_file))
    assert len(errors) == 1 and errors[0]["line"] == "2502" and "utf-8" in errors[0]["problem"]
    assert "Caf" in errors[0]["excerpt"]
    hits = [json.loads(line) for line in (tmp_path / "out.jsonl").read_text().splitlines()]
    assert {h["key"] for h in hits if h["entity_id"] == "us_ofac_sdn:17674"} == {"ok1"}


def test_jsonl_and_parquet_in_and_out(tmp_path, screener):
    import pyarrow as pa
    import pyarrow.parquet as pq

    rows = _customer_rows(45)
    src = tmp_path / "in.parquet"
    pq.write_table(pa.Table.from_pylist(rows), src)
    jsrc = tmp_path / "in.jsonl"
    jsrc.write_text("".join(json.dumps(r) + "\n" for r in rows) + "not json\n")

    a = screen_file(src, tmp_path / "a.parquet", screener=screener, workers=1, chunk_size=10)
    b = screen_file(jsrc, tmp_path / "b.jsonl", screener=screener, workers=1, chunk_size=10)
    table = pq.read_table(tmp_path / "a.parquet").to_pylist()
    lines = [json.loads(x) for x in (tmp_path / "b.jsonl").read_text().splitlines()]
    assert a.hits == len(table) == len(lines) == b.hits > 0
    assert [(r["key"], r["entity_id"], r["score"]) for r in table] == \
        [(r["key"], r["entity_id"], r["score"]) for r in lines]
    assert isinstance(table[0]["datasets"], list) and table[0]["datasets"] == ["us_ofac_sdn"]
    assert b.errors == 1 and "invalid JSON" in _read_csv(Path(b.errors_file))[0]["problem"]
    assert not (tmp_path / "a.parquet.spool.jsonl").exists()


def test_parallel_workers_give_the_same_output(tmp_path, screener):
    src = _write_csv(tmp_path / "c.csv", _customer_rows(90))
    screen_file(src, tmp_path / "one.csv", screener=screener, workers=1, chunk_size=8)
    two = screen_file(src, tmp_path / "two.csv", screener=screener, workers=2, chunk_size=8)
    assert two.workers == 2 and two.hits > 0
    assert (tmp_path / "one.csv").read_bytes() == (tmp_path / "two.csv").read_bytes()


def test_screen_rows_api(screener):
    errors: list[dict] = []
    hits = list(screen_rows([{"name": "Nemesio Oseguera Cervantes", "dob": "1966"}, {"name": ""},
                             {"name": "Patricia Lucas Wheeler"}], screener, errors=errors))
    assert {h["entity_id"] for h in hits} == {"us_ofac_sdn:17674"} and hits[0]["line"] == 1
    assert [e["line"] for e in errors] == [2]


def test_out_dir_refuses_escaping_paths(tmp_path, screener):
    src = _write_csv(tmp_path / "c.csv", _customer_rows(3))
    with pytest.raises(OutputError, match="escapes the output folder"):
        screen_file(src, "../evil.csv", screener=screener, out_dir=tmp_path / "outs")
    ok = screen_file(src, "sub/fine.csv", screener=screener, out_dir=tmp_path / "outs", workers=1)
    assert Path(ok.output).is_relative_to((tmp_path / "outs").resolve())


def test_kill_and_resume_loses_and_repeats_nothing(tmp_path, screener, shared_home):
    rows = _customer_rows(150)
    src = _write_csv(tmp_path / "c.csv", rows)
    ref = screen_file(src, tmp_path / "ref.csv", screener=screener, workers=1, chunk_size=10)
    out = tmp_path / "out.csv"
    script = (
        "import sys; from tamiz.screen.batch import screen_file; "
        f"screen_file({str(src)!r}, {str(out)!r}, workers=1, chunk_size=10)"
    )
    env = {**os.environ, "TAMIZ_HOME": str(shared_home), "TAMIZ_CACHE": index_cache()}
    env.pop("TAMIZ_DB", None)
    proc = subprocess.Popen([sys.executable, "-c", script], env=env, cwd=REPO)
    cp = checkpoint_path(out)
    deadline = time.monotonic() + 60
    killed_at = None
    while time.monotonic() < deadline and proc.poll() is None:
        if cp.exists():
            state = json.loads(cp.read_text())
            if state["next_chunk"] >= 3:
                proc.send_signal(signal.SIGKILL)
                killed_at = state["next_chunk"]
                break
        time.sleep(0.01)
    proc.wait(timeout=30)
    assert killed_at is not None, "the run finished before it could be interrupted"
    assert cp.exists()
    resumed = screen_file(src, out, screener=screener, workers=1, chunk_size=10)
    assert resumed.resumed_from_row >= 30 and resumed.rows == 150
    assert out.read_bytes() == (tmp_path / "ref.csv").read_bytes()
    got = [(h["key"], h["entity_id"]) for h in _read_csv(out)]
    assert len(got) == len(set(got)) == ref.hits and resumed.hits == ref.hits


def test_changed_settings_start_over(tmp_path, screener):
    src = _write_csv(tmp_path / "c.csv", _customer_rows(30))
    out = tmp_path / "o.csv"
    cp = checkpoint_path(out)
    cp.write_text(json.dumps({"input": "x", "fingerprint": "other", "chunk_size": 10, "output_format": "csv",
                              "settings": {}, "next_chunk": 2, "rows_done": 20, "output_bytes": 5}))
    s = screen_file(src, out, screener=screener, workers=1, chunk_size=10)
    assert s.resumed_from_row == 0 and s.rows == 30


def _batch_app(shared_home, monkeypatch):
    """`tamiz batch` alone in a Typer app, on the shared home and index cache."""
    from tamiz.cli.batch_text import batch
    import typer

    monkeypatch.setenv("TAMIZ_HOME", str(shared_home))
    monkeypatch.setenv("TAMIZ_CACHE", index_cache())
    app = typer.Typer()
    app.command()(batch)
    app.command("noop")(lambda: None)
    return app


def test_cli_batch_json(tmp_path, shared_home, monkeypatch):
    from typer.testing import CliRunner

    app = _batch_app(shared_home, monkeypatch)
    src = _write_csv(tmp_path / "c.csv", [{"ref": "1", "nombre": "Nemesio Oseguera Cervantes"}])
    res = CliRunner().invoke(app, ["batch", str(src), "--out", str(tmp_path / "o.csv"), "--name-col", "nombre",
                                   "--key-col", "ref", "--workers", "1", "--json"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["hits"] >= 1
    res = CliRunner().invoke(app, ["batch", str(src), "--out", str(tmp_path / "o.csv"), "--name-col", "name"])
    assert res.exit_code == 1 and "available columns: ref, nombre" in " ".join(res.output.split())


def test_cli_batch_urls_stay_strings(tmp_path, shared_home, monkeypatch):
    """Input and output are passed on as written: a file:/// URL reads the local file, and a remote URL
    is refused by the local engine with a pointer to --engine spark (no "s3:/bucket" mangling)."""
    from typer.testing import CliRunner

    app = _batch_app(shared_home, monkeypatch)
    src = _write_csv(tmp_path / "c.csv", [{"ref": "1", "name": "Nemesio Oseguera Cervantes"}])
    out = tmp_path / "o.jsonl"
    res = CliRunner().invoke(app, ["batch", f"file://{src}", "--out", f"file://{out}", "--workers", "1", "--json"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["hits"] >= 1 and out.exists()
    res = CliRunner().invoke(app, ["batch", "s3a://bucket/customers.csv", "--out", str(out)])
    assert res.exit_code == 1
    said = " ".join(res.output.split())
    assert "s3a://bucket/customers.csv" in said and "--engine spark" in said
