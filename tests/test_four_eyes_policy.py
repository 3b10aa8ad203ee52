"""The four-eyes rule is the database's stored policy: set by one process, it binds every other one.

Each `tamiz` command here runs in its own process, started without
TAMIZ_API_FOUR_EYES unless a step says otherwise, on SQLite and (with
TAMIZ_TEST_PG_URL) PostgreSQL.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from conftest import CASE_HIT, CASE_QUERY, REPO

from tamiz.audit import AuditLog
from tamiz.cases import CaseError, CaseManager

QUERY, HIT = CASE_QUERY, CASE_HIT


def tamiz(db_url: str, *args: str, four_eyes_env: str | None = None, code: int = 0) -> subprocess.CompletedProcess:
    """One `tamiz` command in a fresh process, with TAMIZ_API_FOUR_EYES only when given."""
    env = {k: v for k, v in os.environ.items() if k != "TAMIZ_API_FOUR_EYES"}
    if four_eyes_env is not None:
        env["TAMIZ_API_FOUR_EYES"] = four_eyes_env
    done = subprocess.run([sys.executable, "-c", "from tamiz.cli.main import main; main()", *args, "--db", db_url],
                          env=env, cwd=REPO, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == code, (args, done.stdout, done.stderr)
    return done


def decide(db_url: str, alert_id: int, actor: str = "ana", **kw: object) -> str:
    return tamiz(db_url, "alerts", "decide", str(alert_id), "false_positive", "--reason", "born 1990",
                 "--actor", actor, **kw).stdout  # type: ignore[arg-type]


def test_policy_set_in_one_process_binds_the_others(store, db_url):
    audit = AuditLog(store.engine)
    server = CaseManager(store.engine, audit)  # a long-lived process without the variable, made before the change
    alerts = [server.open_alerts(f"C-{i}", QUERY, [HIT], {"us_ofac_sdn": 1})[0].id for i in range(6)]
    assert json.loads(tamiz(db_url, "alerts", "policy", "--json").stdout)["four_eyes"] is False

    changed = tamiz(db_url, "alerts", "policy", "--four-eyes", "--actor", "admin-ada")
    assert "off -> on" in changed.stderr and "four-eyes: on" in changed.stdout
    # Another CLI process, no variable: the clearance waits; its author cannot approve it, someone else can.
    assert "pending_approval" in decide(db_url, alerts[0])
    refused = tamiz(db_url, "alerts", "approve", str(alerts[0]), "--actor", "ana", code=1)
    assert "cannot also approve" in " ".join(refused.stderr.split())
    assert "closed" in tamiz(db_url, "alerts", "approve", str(alerts[0]), "--actor", "bo").stdout
    # The long-lived process sees the change too: nothing cached from before it.
    assert server.decide(alerts[1], "ana", "false_positive", "born 1990").status == "pending_approval"
    # TAMIZ_API_FOUR_EYES=0 cannot lift the stored rule.
    shown = json.loads(tamiz(db_url, "alerts", "policy", "--json", four_eyes_env="0").stdout)
    assert (shown["four_eyes"], shown["stored"], shown["updated_by"]) == (True, True, "admin-ada")
    assert "pending_approval" in decide(db_url, alerts[2], four_eyes_env="0")

    tamiz(db_url, "alerts", "policy", "--no-four-eyes", "--actor", "admin-bob")
    # Off in the database: TAMIZ_API_FOUR_EYES=1 still adds it for its own process, and only there.
    assert "pending_approval" in decide(db_url, alerts[3], four_eyes_env="1")
    assert "closed" in decide(db_url, alerts[4])
    assert server.decide(alerts[5], "ana", "false_positive", "born 1990").status == "closed"

    changes = [(r.actor, r.payload["old"], r.payload["new"]) for r in audit.records(kind="admin")
               if r.payload.get("action") == "policy_changed"]
    assert changes == [("admin-ada", False, True), ("admin-bob", True, False)]
    decisions = {r.payload["alert_id"]: r.payload["four_eyes"] for r in audit.records(kind="decision")}
    assert decisions == {alerts[0]: True, alerts[1]: True, alerts[2]: True, alerts[3]: True,
                         alerts[4]: False, alerts[5]: False}
    assert "intact" in tamiz(db_url, "audit", "verify").stdout


def test_restoring_the_same_value_is_not_a_change(store):
    audit = AuditLog(store.engine)
    cases = CaseManager(store.engine, audit)
    before, after = cases.policy.set_four_eyes("ada", False)  # an explicit "off" is a decision: audited
    assert (before.updated_by, after.updated_by, after.stored_four_eyes) == (None, "ada", False)
    assert cases.policy.set_four_eyes("bob", False) == (after, after)
    _, on = cases.policy.set_four_eyes("bob", True)
    assert on.four_eyes and on.updated_by == "bob" and on.updated_at is not None and on.updated_at.tzinfo
    logged = [(r.actor, r.payload["old"], r.payload["new"]) for r in audit.records(kind="admin")]
    assert logged == [("ada", False, False), ("bob", False, True)]
    assert audit.verify().ok
    with pytest.raises(CaseError, match="needs an actor"):
        cases.policy.set_four_eyes(" ", True)
