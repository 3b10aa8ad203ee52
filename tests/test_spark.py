"""Spark screening gives the same hits, scores and explanations as the local batch run."""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import sys
import unicodedata
from pathlib import Path

import pytest
from conftest import LISTS, REPO, need

pytest.importorskip("pyspark", reason="pyspark not installed (pip install 'tamiz[spark]')")
pytest.importorskip("pandas", reason="pandas not installed (pip install 'tamiz[spark]')")
if not (shutil.which("java") or os.environ.get("JAVA_HOME")):
    pytest.skip("no Java runtime for Spark", allow_module_level=True)

from tamiz.screen.batch import ColumnMapping, screen_file, screen_rows
from tamiz.spark import open_bundle, screen, screen_dataframe, write_bundle
from tamiz.spark.cli import run_spark_batch

pytestmark = pytest.mark.timeout(300)


@pytest.fixture(scope="module")
def shared_home(tmp_path_factory) -> Path:
    need(LISTS / "us_ofac_sdn")
    home = tmp_path_factory.getbasetemp() / "tamiz_spark_home"
    home.mkdir(exist_ok=True)
    return home


def _index_cache() -> str:
    from platformdirs import user_cache_dir

    return os.environ.get("TAMIZ_CACHE") or str(Path(user_cache_dir("tamiz")) / "tests")


@pytest.fixture(scope="module")
def screener(shared_home):
    from tamiz.screen.screener import Screener

    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("TAMIZ_HOME", str(shared_home))
        mp.setenv("TAMIZ_CACHE", _index_cache())
        mp.delenv("TAMIZ_DB", raising=False)
        return Screener.open(audit=False)


@pytest.fixture(scope="module")
def spark():
    from tamiz.spark.session import spark_session

    try:
        session = spark_session("local[2]", app_name="tamiz-test", conf={
            "spark.ui.enabled": "false", "spark.sql.shuffle.partitions": "2", "spark.driver.memory": "1g",
            "spark.sql.execution.arrow.maxRecordsPerBatch": "50"})
    except Exception as exc:  # noqa: BLE001 - any failure to start a JVM means: no Spark here
        pytest.skip(f"Spark cannot start: {exc}")
    yield session
    session.stop()


# ---- the input: listed names, planted variants of them, ordinary customers ------------------------

def _strip_accents(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def _accented(text: str) -> str:
    return text.translate(str.maketrans("aeiouAEIOU", "áéíóúÁÉÍÓÚ"))


def _reordered(caption: str) -> str:
    family, _, given = caption.partition(", ")
    return f"{given} {family}" if given else " ".join(reversed(caption.split()))


def _typo(text: str) -> str:
    words = text.split()
    i = max(range(len(words)), key=lambda k: len(words[k]))
    w = words[i]
    if len(w) >= 5:
        mid = len(w) // 2
        words[i] = w[:mid] + w[mid + 1] + w[mid] + w[mid + 2:]  # swap two letters
    return " ".join(words)


def _listed(screener, n: int) -> list:
    people = [e for e in screener.matcher.entities if e.schema == "Person" and ", " in e.caption]
    others = [e for e in screener.matcher.entities if e.schema != "Person"]
    return people[:: max(1, len(people) // n)][:n] + others[:: max(1, len(others) // (n // 2))][: n // 2]


def _customers(screener) -> tuple[list[dict[str, str]], dict[str, str]]:
    """Rows in file order, and for each planted exact name the entity it was taken from."""
    rows: list[dict[str, str]] = []
    planted: dict[str, str] = {}
    neg = need(LISTS / "opensanctions_benchmark" / "negatives_global_synthetic.csv")
    with open(neg, encoding="utf-8") as fh:
        ordinary = [r["full_name"] for r, _ in zip(csv.DictReader(fh), range(80))]
    listed = _listed(screener, 20)
    for i, e in enumerate(listed):
        planted[f"L{i}"] = e.id
        person = e.schema == "Person"
        variants = [e.caption, _reordered(e.caption) if person else e.caption.lower(), _typo(e.caption),
                    _strip_accents(_accented(e.caption)) if i % 2 else _accented(e.caption)]
        for j, name in enumerate(variants):
            country = (e.nationalities or e.countries or [""])[0].upper() if j == 1 else ""
            rows.append({"customer_id": f"L{i}" if j == 0 else f"L{i}v{j}", "full_name": name,
                         "type": "person" if person else "", "country": country})
    for i, name in enumerate(ordinary):
        rows.insert(min(len(rows), 3 * i + 1), {"customer_id": f"N{i}", "full_name": name, "type": "person",
                                                "country": "US" if i % 3 == 0 else ""})
    rows.insert(7, {"customer_id": "EMPTY", "full_name": "", "type": "", "country": ""})
    return rows, planted


def _write_csv(path: Path, rows: list[dict[str, str]]) -> Path:
    with open(path, "w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    return path


# ---- tests ---------------------------------------------------------------------------------------

def test_bundle_opens_to_the_same_screener(screener, tmp_path):
    bundle = write_bundle(screener, tmp_path)
    assert write_bundle(screener, tmp_path) == bundle  # written once per list versions
    copy = open_bundle(bundle.path)
    assert copy.state == screener.state and len(copy.entities) == len(screener.entities)
    for e in _listed(screener, 6):
        a = [h.to_dict() for h in screener.screen(_typo(e.caption)).results]
        b = [h.to_dict() for h in copy.screen(_typo(e.caption)).results]
        assert a == b and a


def test_spark_batch_file_is_identical_to_local(tmp_path, screener, spark):
    rows, planted = _customers(screener)
    source = _write_csv(tmp_path / "customers.csv", rows)
    local = screen_file(source, tmp_path / "local.csv", screener=screener, workers=1)
    remote = run_spark_batch(source, tmp_path / "spark.csv", spark=spark, screener=screener, audit=False)

    assert (tmp_path / "spark.csv").read_bytes() == (tmp_path / "local.csv").read_bytes()
    assert (tmp_path / "spark.csv.errors.csv").read_bytes() == (tmp_path / "local.csv.errors.csv").read_bytes()
    for field in ("rows", "screened", "errors", "hits", "rows_with_hits"):
        assert getattr(remote, field) == getattr(local, field), field
    assert remote.rows == len(rows) and remote.errors == 1

    # The comparison means something: every listed name planted verbatim is found.
    with open(tmp_path / "spark.csv", encoding="utf-8", newline="") as fh:
        hits = list(csv.DictReader(fh))
    found = {(h["key"], h["entity_id"]) for h in hits}
    assert {(k, eid) for k, eid in planted.items()} <= found
    variants_found = {h["key"] for h in hits if "v" in h["key"] and planted[h["key"].split("v")[0]] == h["entity_id"]}
    assert len(variants_found) >= 2 * len(planted)  # most reorderings, typos and accent changes
    assert all(h["explanation"] for h in hits)


def test_screen_dataframe_matches_screen_rows(tmp_path, screener, spark):
    rows, _ = _customers(screener)
    rows = rows[:90]
    mapping = ColumnMapping(name="full_name", key="customer_id", type="type", country="country")
    errors: list[dict] = []
    expected = list(screen_rows(rows, screener, mapping=mapping, errors=errors))
    df = spark.createDataFrame(rows)
    got = [r.asDict() for r in screen(df, screener=screener, mapping=mapping).collect()]

    def ordered(hits):
        return sorted(hits, key=lambda h: (h["line"], -h["score"], h["entity_id"]))

    assert ordered(got) == ordered(expected) and expected
    run = screen_dataframe(df, screener=screener, mapping={"name": "full_name", "key": "customer_id",
                                                          "type": "type", "country": "country"})
    assert [(e["line"], e["key"], e["problem"]) for e in (r.asDict() for r in run.errors.collect())] == \
        [(e["line"], e["key"], e["problem"]) for e in errors]
    assert run.counts()["rows"] == len(rows)


def test_jsonl_in_parquet_out_identical_to_local(tmp_path, screener, spark):
    import pyarrow.parquet as pq

    rows, _ = _customers(screener)
    rows = rows[:60]
    source = tmp_path / "customers.jsonl"
    source.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    screen_file(source, tmp_path / "local.parquet", screener=screener, workers=1)
    run_spark_batch(source, tmp_path / "spark.parquet", spark=spark, screener=screener, audit=False)
    local, remote = pq.read_table(tmp_path / "local.parquet"), pq.read_table(tmp_path / "spark.parquet")
    assert remote.schema == local.schema
    assert remote.to_pylist() == local.to_pylist() and local.num_rows > 0

    # A folder output is written by Spark itself, as part files, in no particular order.
    run_spark_batch(source, f"{tmp_path / 'parts'}/", out_format="parquet", spark=spark, screener=screener,
                    audit=False)
    written = pq.read_table(tmp_path / "parts")
    assert _types(written.schema) == _types(local.schema)  # Spark's own Parquet: the same columns and types
    parts = written.to_pylist()
    assert sorted(parts, key=lambda h: (h["line"], h["entity_id"])) == \
        sorted(local.to_pylist(), key=lambda h: (h["line"], h["entity_id"]))


def _types(schema) -> list[tuple[str, str]]:
    """Column names and Arrow types, lists by their item type (Spark names the item field 'element')."""
    import pyarrow as pa

    return [(f.name, f"list<{f.type.value_type}>" if pa.types.is_list(f.type) else str(f.type)) for f in schema]


def test_cli_batch_engine_spark(tmp_path, screener, shared_home, spark, monkeypatch):
    from typer.testing import CliRunner

    from tamiz.cli.main import app

    rows, _ = _customers(screener)
    source = _write_csv(tmp_path / "customers.csv", rows[:40])
    monkeypatch.setenv("TAMIZ_CACHE", _index_cache())
    db = str(shared_home / "tamiz.db")
    local = CliRunner().invoke(app, ["batch", str(source), "--out", str(tmp_path / "local.jsonl"), "--db", db,
                                     "--workers", "1", "--json"])
    assert local.exit_code == 0, local.output
    result = CliRunner().invoke(app, ["batch", str(source), "--out", str(tmp_path / "spark.jsonl"), "--db", db,
                                      "--engine", "spark", "--report", str(tmp_path / "report.html"), "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert summary["rows"] == 40 and summary["hits"] == json.loads(local.output)["hits"] > 0
    assert (tmp_path / "spark.jsonl").read_bytes() == (tmp_path / "local.jsonl").read_bytes()
    from tamiz.audit import AuditLog
    from tamiz.store import Store

    runs = [r for r in AuditLog(Store.open(db).engine).records(kind="batch") if r.payload.get("input") == str(source)]
    assert runs and runs[-1].payload["engine"].endswith("on spark") and runs[-1].payload["counts"]["rows"] == 40
    report = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert "us_ofac_sdn" in report  # per-list counts come from the hits the driver wrote
    bad = CliRunner().invoke(app, ["batch", str(source), "--out", str(tmp_path / "x.csv"), "--db", db, "--engine", "gpu"])
    assert bad.exit_code != 0 and "unknown engine" in bad.output


def test_cli_batch_engine_spark_keeps_folder_output(tmp_path, screener, shared_home, spark, monkeypatch):
    """The CLI passes paths on as written: a trailing '/' asks Spark for a folder of part files."""
    from typer.testing import CliRunner

    from tamiz.cli.main import app

    rows, _ = _customers(screener)
    source = _write_csv(tmp_path / "customers.csv", rows[:20])
    monkeypatch.setenv("TAMIZ_CACHE", _index_cache())
    db = str(shared_home / "tamiz.db")
    result = CliRunner().invoke(app, ["batch", f"file://{source}", "--out", f"{tmp_path / 'parts'}/", "--db", db,
                                      "--engine", "spark", "--format", "jsonl", "--json"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "parts").is_dir() and list((tmp_path / "parts").glob("part-*"))
    hits = [json.loads(line) for p in (tmp_path / "parts").glob("part-*") for line in p.read_text().splitlines()]
    assert len(hits) == json.loads(result.output)["hits"] > 0


def test_example_runs_under_spark_submit_on_its_master(tmp_path, screener, shared_home):
    """examples/spark_screen.py under spark-submit: spark-submit's --master is used, the output is the local one."""
    import pyspark

    submit = Path(pyspark.__file__).parent / "bin" / "spark-submit"
    if not submit.exists():
        pytest.skip("this pyspark has no spark-submit")
    rows, _ = _customers(screener)
    source = _write_csv(tmp_path / "customers.csv", rows[:30])
    screen_file(source, tmp_path / "local.csv", screener=screener, workers=1)
    env = {**os.environ, "TAMIZ_HOME": str(shared_home), "TAMIZ_CACHE": _index_cache(),
           "PYSPARK_PYTHON": sys.executable, "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO),
                                                                                       os.environ.get("PYTHONPATH")]))}
    env.pop("TAMIZ_DB", None)
    env.pop("TAMIZ_SPARK_MASTER", None)
    done = subprocess.run([str(submit), "--master", "local[1]", "--conf", "spark.ui.enabled=false",
                           str(REPO / "examples" / "spark_screen.py"), str(source), str(tmp_path / "spark.csv")],
                          env=env, capture_output=True, text=True, timeout=240, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    summary = json.loads(done.stdout)
    assert summary["workers"] == 1  # local[1] from spark-submit, not a master of the example's own
    assert summary["hits"] > 0
    assert (tmp_path / "spark.csv").read_bytes() == (tmp_path / "local.csv").read_bytes()
