"""The compliance workflow from the terminal: audit, alerts, monitoring, keys."""

from __future__ import annotations

import json
import shutil
import sqlite3
from datetime import UTC, datetime, timedelta

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
    # Landing the new version re-screened the monitored customers against it, as `lists update` does.
    assert loaded["monitoring"] == [{"dataset": "us_ofac_sdn", "version": 2, "delta_entities": 1, "customers": 2, "alerts_opened": 1}]
    ran = invoke("monitor", "run", "--json")  # run again by hand: the open alert is not opened twice
    runs = json.loads(ran.stdout)
    assert runs == [{"dataset": "us_ofac_sdn", "version": 2, "delta_entities": 1, "customers": 2, "alerts_opened": 0}]
    assert "list us_ofac_sdn v2" in ran.stderr  # the version re-screened against, named on stderr
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


def test_monitor_customers_from_a_file_list_and_remove(tmp_path):
    customers = tmp_path / "customers.csv"
    customers.write_text("customer_id,full_name,dob,country,segment\n"
                         "F-1,Maria Fernanda Lopez,1980-02-03,es,retail\nF-2,Acme Trading Ltd,,,corporate\n",
                         encoding="utf-8")
    assert "2 customers registered" in invoke("monitor", "add", "--file", str(customers)).stdout
    by_ref = {c["reference"]: c for c in json.loads(invoke("monitor", "list", "--json").stdout)}
    assert {k: by_ref["F-1"][k] for k in ("name", "dob", "country", "extra")} == {
        "name": "Maria Fernanda Lopez", "dob": "1980-02-03", "country": "es", "extra": {"segment": "retail"}}
    invoke("monitor", "remove", "F-2")
    invoke("monitor", "remove", "F-2", code=1)
    assert "F-2" not in {c["reference"] for c in json.loads(invoke("monitor", "list", "--json").stdout)}
    nameless = tmp_path / "nameless.csv"
    nameless.write_text("customer_id,full_name\nF-3,\n", encoding="utf-8")
    assert "line 2" in " ".join(invoke("monitor", "add", "--file", str(nameless), code=1).stderr.split())
    unkeyed = tmp_path / "unkeyed.csv"
    unkeyed.write_text("full_name\nJane Doe\n", encoding="utf-8")
    assert "no reference column" in " ".join(invoke("monitor", "add", "--file", str(unkeyed), code=1).stderr.split())
    assert "F-3" not in {c["reference"] for c in json.loads(invoke("monitor", "list", "--json").stdout)}
    invoke("monitor", "add", "F-4", "--name", "Jane Doe")
    records = [json.loads(line) for line in invoke("audit", "export").stdout.splitlines()]
    added = [r for r in records if r["kind"] == "monitor" and r["payload"]["action"] == "customers_added"]
    assert [(r["actor"], r["payload"]["count"]) for r in added[-2:]] == [("analyst-ana", 2), ("analyst-ana", 1)]


def test_four_eyes_from_the_terminal(monkeypatch):
    monkeypatch.setenv("TAMIZ_API_FOUR_EYES", "1")  # the service's setting binds the terminal too
    invoke("screen", "Nemesio Oseguera", "--reference", "cust-4e", "--json")
    (alert,) = json.loads(invoke("alerts", "list", "--reference", "cust-4e", "--json").stdout)
    alert_id = str(alert["id"])
    decided = invoke("alerts", "decide", alert_id, "false_positive", "--reason", "born 1990", "--allow-list")
    assert "pending_approval" in decided.stdout
    refused = invoke("alerts", "approve", alert_id, code=1)  # the same person (TAMIZ_ACTOR)
    assert "cannot also approve" in " ".join(refused.stderr.split())
    assert "closed" in invoke("alerts", "approve", alert_id, "--actor", "boss-bo").stdout
    invoke("screen", "Nemesio Oseguera", "--reference", "cust-4e", "--json")  # now suppressed: no new alert
    (after,) = json.loads(invoke("alerts", "list", "--reference", "cust-4e", "--json").stdout)
    assert (after["id"], after["status"], after["approved_by"]) == (alert["id"], "closed", "boss-bo")
    today = datetime.now(UTC).date()
    window = invoke("audit", "export", "--from", today.isoformat(), "--to", (today + timedelta(days=1)).isoformat())
    kinds = [json.loads(line)["kind"] for line in window.stdout.splitlines()]
    assert "approval" in kinds and kinds.count("decision") >= 1
    assert invoke("audit", "export", "--from", (today + timedelta(days=1)).isoformat()).stdout == ""
    assert "not a date" in " ".join(invoke("audit", "export", "--from", "yesterday", code=2).output.split())
