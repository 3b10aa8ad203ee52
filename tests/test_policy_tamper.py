"""`tamiz audit verify` catches a workflow setting written behind the audit log's back.

The policy is set through the real API; the tampering is done the way someone with
direct database access would do it, with SQL on the table. SQLite and (with
TAMIZ_TEST_PG_URL) PostgreSQL.
"""

from __future__ import annotations

from datetime import datetime

import pytest
from conftest import CASE_HIT, CASE_QUERY
from sqlalchemy import delete, select, text, update
from typer.testing import CliRunner

from tamiz.audit import AuditLog
from tamiz.audit.chain import timestamp
from tamiz.audit.tables import AuditEntry
from tamiz.cases import CaseManager
from tamiz.cases.policy import FOUR_EYES, check_settings
from tamiz.cases.tables import WorkflowSetting
from tamiz.cli.main import app

QUERY, HIT = CASE_QUERY, CASE_HIT


@pytest.fixture
def changes(store) -> list[int]:
    """Three audited changes (on by ada, off by bo, on by ada), an alert record after them; their seqs."""
    cases = CaseManager(store.engine, AuditLog(store.engine))
    seqs = []
    for actor, on in (("admin-ada", True), ("admin-bo", False), ("admin-ada", True)):
        cases.policy.set_four_eyes(actor, on)
        seqs.append(_row(store)["audit_seq"])
    cases.open_alerts("C-1", QUERY, [HIT], {"us_ofac_sdn": 1})  # the policy's record is not the last one
    return seqs


def _row(store) -> dict:
    with store.engine.connect() as conn:
        return dict(conn.execute(select(WorkflowSetting).where(WorkflowSetting.key == FOUR_EYES)).one()._mapping)


def _write(store, stmt) -> None:
    with store.engine.begin() as conn:
        conn.execute(stmt)


def verify(store, db_url: str, code: int) -> tuple[list[str], str]:
    """(findings of the Python verify, output of `tamiz audit verify`), each failing exactly when `code` says."""
    result = AuditLog(store.engine).verify(checks=[check_settings])
    assert result.ok is (code == 0), result
    cli = CliRunner().invoke(app, ["audit", "verify", "--db", db_url])
    assert cli.exit_code == code, cli.output
    return list(result.findings), " ".join(cli.output.split())


def test_settings_set_through_the_api_pass(store, db_url, changes):
    assert changes == sorted(changes) and len(set(changes)) == 3
    findings, out = verify(store, db_url, 0)
    assert findings == [] and "intact" in out and "workflow settings match" in out
    with store.engine.connect() as conn:
        assert check_settings(conn) == []


def test_a_database_without_settings_passes(store, db_url):
    findings, out = verify(store, db_url, 0)
    assert findings == [] and "intact" in out


def test_value_flipped_with_sql_fails_naming_four_eyes(store, db_url, changes):
    _write(store, text("UPDATE workflow_settings SET value = 'false' WHERE key = 'four_eyes'"))
    findings, out = verify(store, db_url, 1)
    assert len(findings) == 1
    assert "setting four_eyes" in findings[0] and f"record {changes[-1]}" in findings[0]
    assert "value false in the row, true in the record" in findings[0]
    assert "setting four_eyes" in out and "value false in the row" in out and "BROKEN" not in out


def test_actor_changed_with_sql_fails(store, db_url, changes):
    _write(store, text("UPDATE workflow_settings SET updated_by = 'someone-else' WHERE key = 'four_eyes'"))
    findings, _ = verify(store, db_url, 1)
    assert len(findings) == 1 and "actor 'someone-else' in the row, 'admin-ada' in the record" in findings[0]


def test_row_pointed_at_an_older_change_fails(store, db_url, changes):
    _write(store, text(f"UPDATE workflow_settings SET audit_seq = {changes[1]} WHERE key = 'four_eyes'"))
    findings, _ = verify(store, db_url, 1)
    assert len(findings) == 1 and "setting four_eyes" in findings[0]
    assert "value true in the row, false in the record" in findings[0]


def test_row_made_a_faithful_copy_of_an_older_change_fails_as_not_latest(store, db_url, changes):
    """Rolling back to the 'off' change, row and record agreeing in every field: only the later change betrays it."""
    with store.engine.connect() as conn:
        old = conn.execute(select(AuditEntry.ts, AuditEntry.actor).where(AuditEntry.seq == changes[1])).one()
    at = datetime.strptime(old.ts, "%Y-%m-%dT%H:%M:%S.%fZ")
    _write(store, update(WorkflowSetting).where(WorkflowSetting.key == FOUR_EYES).values(
        value=False, updated_by=old.actor, updated_at=at, audit_seq=changes[1]))
    assert timestamp(_row(store)["updated_at"].replace(tzinfo=None)) == old.ts  # the copy is exact
    findings, out = verify(store, db_url, 1)
    assert findings == [(f"setting four_eyes: the row names audit record {changes[1]}, but the latest change is "
                         f"record {changes[2]} (which set true)")]
    assert "latest change is record" in out


def test_row_pointed_at_a_record_that_is_not_a_policy_change_fails(store, db_url, changes):
    _write(store, text(f"UPDATE workflow_settings SET audit_seq = {changes[-1] + 1} WHERE key = 'four_eyes'"))
    findings, _ = verify(store, db_url, 1)
    assert len(findings) == 1 and "is not a change of this setting" in findings[0]


def test_row_deleted_with_sql_fails(store, db_url, changes):
    """Deleting the row switches four-eyes off (the default) just as surely as flipping it."""
    _write(store, text("DELETE FROM workflow_settings WHERE key = 'four_eyes'"))
    findings, out = verify(store, db_url, 1)
    assert findings == [(f"setting four_eyes: no row, but audit record {changes[-1]} set it to true "
                         "(row deleted outside the log)")]
    assert "row deleted outside the log" in out


def test_deleted_policy_record_is_reported_by_the_chain_and_the_setting(store, db_url, changes):
    _write(store, delete(AuditEntry).where(AuditEntry.seq == changes[-1]))
    findings, out = verify(store, db_url, 1)
    assert f"audit chain BROKEN at record {changes[-1]}: record {changes[-1]} is missing (deleted)" in out
    assert len(findings) == 1 and f"names audit record {changes[-1]}, which is not in the log" in findings[0]
    assert "setting four_eyes" in out
