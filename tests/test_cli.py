"""The `tamiz` command end to end, on the packaged snapshot and the real list files."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tamiz.cli.main import app

runner = CliRunner()


@pytest.fixture(scope="module")
def home(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("cli_home")


@pytest.fixture(autouse=True)
def tamiz_home(home, monkeypatch) -> Path:
    """One data dir for the module: the snapshot is loaded and indexed once."""
    monkeypatch.setenv("TAMIZ_HOME", str(home))
    monkeypatch.delenv("TAMIZ_DB", raising=False)
    return home


def run_json(*args: str) -> dict:
    result = runner.invoke(app, [*args, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_screen_finds_oseguera_with_dropped_surname():
    data = run_json("screen", "Nemesio Oseguera")
    assert set(data) >= {"query", "datasets", "results"}
    top = data["results"][0]
    assert top["id"] == "us_ofac_sdn:17674"
    assert top["match"] is True
    assert set(top) >= {"id", "schema", "caption", "score", "match", "datasets", "explanation"}
    assert 0.0 <= top["score"] <= 1.0
    assert [r["score"] for r in data["results"]] == sorted((r["score"] for r in data["results"]), reverse=True)


def test_screen_finds_guzman_salazar_without_accents_in_natural_order():
    data = run_json("screen", "Ivan Archivaldo Guzman Salazar")
    assert data["results"][0]["id"] == "us_ofac_sdn:13148"
    assert data["results"][0]["match"] is True


def test_screen_reports_list_version_and_stale_warning():
    data = run_json("screen", "Nemesio Oseguera")
    (sdn,) = data["datasets"]
    assert sdn["name"] == "us_ofac_sdn" and sdn["published"] == "2021-07-07"
    assert sdn["stale"] is True and "tamiz lists update" in sdn["warning"]
    human = runner.invoke(app, ["screen", "Nemesio Oseguera"])
    assert "WARNING" in human.stderr and "tamiz lists update" in human.stderr.replace("\n", " ")
    assert "us_ofac_sdn:17674" in human.stdout


def test_screen_dob_evidence_changes_the_score():
    same = run_json("screen", "Nemesio Oseguera Cervantes", "--dob", "1966-07-17")["results"][0]
    clash = run_json("screen", "Nemesio Oseguera Cervantes", "--dob", "1990-01-01")["results"][0]
    assert same["id"] == clash["id"] == "us_ofac_sdn:17674"
    assert clash["score"] < same["score"]


def test_lists_status_and_show():
    run_json("screen", "Nemesio Oseguera")  # ensures the snapshot is loaded
    status = run_json("lists", "status")
    assert status[0]["name"] == "us_ofac_sdn" and status[0]["entity_count"] == 8976
    entity = run_json("lists", "show", "us_ofac_sdn:17674")
    assert entity["caption"] == "OSEGUERA CERVANTES, Nemesio"
    assert any(r["target_id"] == "us_ofac_sdn:17671" for r in entity["relations"])
    text = runner.invoke(app, ["lists", "show", "us_ofac_sdn:17674"])
    assert "CARTEL DE JALISCO NUEVA GENERACION" in text.stdout


def test_lists_show_unknown_id_is_one_clear_error():
    result = runner.invoke(app, ["lists", "show", "us_ofac_sdn:0"])
    assert result.exit_code == 1
    assert "no entity" in result.stderr and "Traceback" not in result.output


def test_lists_load_update_diff_cycle(cons_files, tmp_path):
    first = run_json("lists", "load", "us_ofac_cons", *map(str, cons_files))
    assert first["created"] is True and first["entities"] == 442
    again = run_json("lists", "load", "us_ofac_cons", *map(str, cons_files))
    assert again["created"] is False and again["version"] == first["version"]

    # A new release: one party removed, one added (a real SDN row), one renamed.
    changed = tmp_path / "cons"
    changed.mkdir()
    for f in cons_files:
        shutil.copy(f, changed / f.name)
    prim = changed / "cons_prim.csv"
    lines = prim.read_bytes().split(b"\r\n")
    removed_id = lines[0].split(b",")[0].decode()
    renamed_id = lines[1].split(b",")[0].decode()
    first_field_end = len(renamed_id) + 1
    name_end = lines[1].index(b'",', first_field_end) + 1  # the quoted name field
    lines[1] = lines[1][:first_field_end] + b'"TAMIZ TEST RENAMED TRADING LLC"' + lines[1][name_end:]
    added = b'99999999,"TAMIZ TEST ADDED COMPANY S.A. DE C.V.",-0- ,"SDNTK",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- '
    prim.write_bytes(b"\r\n".join([added] + lines[1:]))
    second = run_json("lists", "load", "us_ofac_cons", *[str(changed / f.name) for f in cons_files])
    assert second["created"] is True and second["version"] == first["version"] + 1

    delta = run_json("lists", "diff", "us_ofac_cons")
    assert [e["id"] for e in delta["added"]] == ["us_ofac_cons:99999999"]
    assert [e["id"] for e in delta["removed"]] == [f"us_ofac_cons:{removed_id}"]
    assert f"us_ofac_cons:{renamed_id}" in [c["id"] for c in delta["changed"]]
    report = runner.invoke(app, ["lists", "diff", "us_ofac_cons"])
    assert "TAMIZ TEST ADDED COMPANY" in report.stdout and "TAMIZ TEST RENAMED TRADING LLC" in report.stdout


def test_lists_load_bad_file_is_one_clear_error_and_store_unchanged(tmp_path, sdn_files):
    run_json("screen", "Nemesio Oseguera")
    before = run_json("lists", "status")
    broken = tmp_path / "sdn.csv"
    broken.write_bytes(sdn_files[0].read_bytes()[:5000] + b'\r\n123,"CUT')
    result = runner.invoke(app, ["lists", "load", "us_ofac_sdn", str(broken)])
    assert result.exit_code == 1
    assert "sdn.csv" in result.stderr and "Traceback" not in result.output
    assert run_json("lists", "status") == before


def test_unknown_dataset_is_one_clear_error(sdn_files):
    result = runner.invoke(app, ["lists", "load", "no_such_list", str(sdn_files[0])])
    assert result.exit_code == 1
    assert "no_such_list" in result.stderr


def test_message_command_lists_every_message_and_flags_planted_party(messages_dir, tmp_path):
    rje = messages_dir / "swift_mt103" / "MT103-out-ack.rje"
    data = run_json("message", str(rje))
    assert len(data["messages"]) == 13
    planted = tmp_path / "planted.xml"
    src = (messages_dir / "iso20022_pacs008" / "fedwire_CustomerCreditTransfer_Scenario1_Step1_pacs.008.xml").read_text()
    assert "Corporation B" in src
    planted.write_text(src.replace("Corporation B", "GUZMAN SALAZAR, Ivan Archivaldo", 1))
    data = run_json("message", str(planted))
    (msg,) = data["messages"]
    assert msg["hit"] is True
    hit_ids = {h["entity_id"] for h in msg["hits"]}
    assert "us_ofac_sdn:13148" in hit_ids
    assert any("Cdtr" in h["path"] for h in msg["hits"] if h["entity_id"] == "us_ofac_sdn:13148")


def test_text_command_finds_mentions(tmp_path):
    doc = tmp_path / "news.txt"
    doc.write_text("Authorities said the Jalisco New Generation Cartel, led by Nemesio Oseguera, expanded in the Gulf region.")
    data = run_json("text", str(doc))
    ids = {m["id"] for m in data["mentions"]}
    assert {"us_ofac_sdn:17671", "us_ofac_sdn:17674"} <= ids
    for m in data["mentions"]:
        assert doc.read_text()[m["start"]:m["end"]] == m["text"]
