"""The compliance workflow from the terminal: audit, alerts, monitoring, keys."""

from __future__ import annotations

import json
import shutil
import sqlite3

import pytest
from typer.testing import CliRunner

from tamiz.cli.main import app

runner = CliRunner()


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    return tmp_path_factory.mktemp("workflow_home")


@pytest.fixture(autouse=True)
def tamiz_home(home, monkeypatch):
    monkeypatch.setenv("TAMIZ_HOME", str(home))
    monkeypatch.setenv("TAMIZ_ACTOR", "analyst-ana")
    monkeypatch.delenv("TAMIZ_DB", raising=False)
    return home


def invoke(*args: str, code: int = 0):
    result = runner.invoke(app, list(args))
    assert result.exit_code == code, result.output
    return result


def test_screening_with_reference_opens_alert_and_decision_is_audited():
    data = json.loads(invoke("screen", "Nemesio Oseguera", "--reference", "cust-42", "--json").stdout)
    assert data["results"][0]["id"] == "us_ofac_sdn:17674"
    alerts = json.loads(invoke("alerts", "list", "--reference", "cust-42", "--json").stdout)
    assert [a["entity_id"] for a in alerts] == ["us_ofac_sdn:17674"]
    alert_id = str(alerts[0]["id"])
    invoke("alerts", "decide", alert_id, "true_match", "--reason", "DOB and POB confirmed")
    decided = json.loads(invoke("alerts", "list", "--reference", "cust-42", "--json").stdout)[0]
    assert decided["decision"] == "true_match" and decided["decided_by"] == "analyst-ana"

    exported = invoke("audit", "export").stdout.strip().splitlines()
    records = [json.loads(line) for line in exported]
    screens = [r for r in records if r["kind"] == "screen"]
    assert screens and screens[-1]["payload"]["input"]["name"] == "Nemesio Oseguera"
    assert screens[-1]["payload"]["list_versions"]["us_ofac_sdn"]["version"] == 1
    assert any(r["kind"] == "decision" for r in records)
    assert "intact" in invoke("audit", "verify").stdout


def test_tampered_audit_record_fails_verify(home, tmp_path):
    invoke("screen", "Ivan Archivaldo Guzman Salazar", "--json")
    copy = tmp_path / "tampered.db"
    shutil.copy(home / "tamiz.db", copy)
    for suffix in ("-wal", "-shm"):
        if (home / f"tamiz.db{suffix}").exists():
            shutil.copy(home / f"tamiz.db{suffix}", tmp_path / f"tampered.db{suffix}")
    with sqlite3.connect(copy) as conn:
        (table,) = [r[0] for r in conn.execute("select name from sqlite_master where type='table' and name like 'audit%'") if r[0] != "audit_head"][:1]
        conn.execute(f"update {table} set actor = 'mallory' where seq = 1")
    result = invoke("audit", "verify", "--db", str(copy), code=1)
    assert "BROKEN at record 1" in result.stderr.replace("\n", " ")


def test_monitoring_alerts_on_newly_listed_party(sdn_files, tmp_path):
    invoke("screen", "Nemesio Oseguera", "--json")  # loads the snapshot as v1
    invoke("monitor", "add", "cust-7", "--name", "Tamiz Testperson Newlylisted", "--dob", "1971-03-04")
    invoke("monitor", "add", "cust-8", "--name", "Maria Ordinary Customer")
    # A new SDN release that adds one person.
    release = tmp_path / "release"
    release.mkdir()
    for f in sdn_files:
        shutil.copy(f, release / f.name)
    sdn = release / "sdn.csv"
    row = b'99999991,"NEWLYLISTED, Tamiz Testperson","individual","SDNTK",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,"DOB 04 Mar 1971."\r\n'
    sdn.write_bytes(row + sdn.read_bytes())
    loaded = json.loads(invoke("lists", "load", "us_ofac_sdn", *[str(release / f.name) for f in sdn_files], "--json").stdout)
    assert loaded["version"] == 2
    runs = json.loads(invoke("monitor", "run", "--json").stdout)
    assert runs == [{"dataset": "us_ofac_sdn", "version": 2, "delta_entities": 1, "customers": 2, "alerts_opened": 1}]
    alerts = json.loads(invoke("alerts", "list", "--json").stdout)
    assert [(a["reference"], a["entity_id"]) for a in alerts if a["reference"] == "cust-7"] == [("cust-7", "us_ofac_sdn:99999991")]
    assert not [a for a in alerts if a["reference"] == "cust-8"]


def test_keys_are_shown_once_and_revocable():
    created = invoke("keys", "create", "integration", "--role", "screener")
    key = created.stdout.strip()
    assert key.startswith("tmz_")
    listing = invoke("keys", "list").stdout
    assert "integration" in listing and key not in listing
    key_id = key.split("_")[1]
    invoke("keys", "revoke", key_id)
