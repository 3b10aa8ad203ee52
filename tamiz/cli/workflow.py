"""`tamiz audit|alerts|monitor|keys`: the compliance workflow from the terminal."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from dataclasses import asdict
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from tamiz.cli.common import DbOption, JsonOption, err, friendly_errors, out, print_json, warn_freshness

audit_app = typer.Typer(no_args_is_help=True)
alerts_app = typer.Typer(no_args_is_help=True)
monitor_app = typer.Typer(no_args_is_help=True)
keys_app = typer.Typer(no_args_is_help=True)

ActorOption = Annotated[str | None, typer.Option("--actor", envvar="TAMIZ_ACTOR", help="Who is acting (default: OS user).")]


def _engine(db: str | None):
    from tamiz.store import Store

    return Store.open(db).engine


def _actor(actor: str | None) -> str:
    from tamiz.screen.screener import default_actor

    return actor or default_actor()


def four_eyes() -> bool:
    """TAMIZ_API_FOUR_EYES, as `tamiz serve` reads it: it can add the rule to the stored policy, never lift it."""
    from tamiz.config import env_flag

    return env_flag("TAMIZ_API_FOUR_EYES")


def _day(value: str | None, option: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"{value!r} is not a date (YYYY-MM-DD)", param_hint=option) from None


def _customers(path: Path) -> Iterator[dict[str, Any]]:
    """Customers from a CSV/JSONL/Parquet file, columns found as `tamiz batch` finds them.

    Every row needs a reference (id, customer_id, reference...) and a name; other columns are kept as extras.
    """
    from tamiz.errors import TamizError
    from tamiz.screen.batch.mapping import ColumnMapping
    from tamiz.screen.batch.readers import open_reader

    reader = open_reader(path)
    mapping = ColumnMapping().resolve(reader.columns, str(path))
    if mapping.key is None:
        raise TamizError(f"{path}: no reference column (id, customer_id, reference...); "
                         f"columns: {', '.join(reader.columns)}")
    used = {c for c in mapping.to_dict().values() if c}
    for row in reader.rows():
        if row.values is None:
            raise TamizError(f"{path}, line {row.line}: {row.problem}")
        q = mapping.query(row.values)
        if not q["key"] or not q["name"]:
            raise TamizError(f"{path}, line {row.line}: a monitored customer needs a reference and a name")
        yield {"reference": q["key"], "name": q["name"], "schema": q["schema"] or "Person", "dob": q["dob"],
               "country": q["country"], "id_number": q["id_number"],
               "extra": {k: v for k, v in row.values.items() if k not in used and v not in (None, "")}}


def _workflow(db: str | None):
    from tamiz.audit import AuditLog
    from tamiz.cases import CaseManager, Monitor

    engine = _engine(db)
    audit = AuditLog(engine)
    cases = CaseManager(engine, audit, four_eyes=four_eyes())
    return engine, audit, cases, Monitor(engine, cases, audit)


# -- audit ---------------------------------------------------------------------------


@audit_app.command("verify")
@friendly_errors
def audit_verify(db: DbOption = None, as_json: JsonOption = False) -> None:
    """Re-compute the hash chain and check the stored policy against it; exit 1 and name what is wrong."""
    from rich.markup import escape

    from tamiz.audit import AuditLog
    from tamiz.cases.policy import check_settings

    result = AuditLog(_engine(db)).verify(checks=[check_settings])
    if as_json:
        print_json({"ok": result.ok, "checked": result.checked, "first_bad_seq": result.first_bad_seq, "problem": result.problem,
                    "findings": list(result.findings)})
    elif result.ok:
        out.print(f"audit chain intact: {result.checked} records verified; workflow settings match it")
    else:
        if not result.chain_ok:
            err.print(f"[bold red]audit chain BROKEN at record {result.first_bad_seq}:[/] {result.problem}", highlight=False)
        for line in result.findings:
            err.print(f"[bold red]workflow settings do not match the audit log:[/] {escape(line)}", highlight=False,
                      soft_wrap=True)
    if not result.ok:
        raise typer.Exit(1)


@audit_app.command("export")
@friendly_errors
def audit_export(
    start: Annotated[str | None, typer.Option("--from", help="First day (YYYY-MM-DD), included.")] = None,
    end: Annotated[str | None, typer.Option("--to", help="Last day (YYYY-MM-DD), excluded.")] = None,
    output: Annotated[Path | None, typer.Option("--out", help="JSONL file (default: standard output).")] = None,
    db: DbOption = None,
) -> None:
    """Write audit records of a date range as JSON lines for an examiner."""
    from tamiz.audit import AuditLog

    start_day, end_day = _day(start, "--from"), _day(end, "--to")
    log = AuditLog(_engine(db))
    if output is None:
        count = log.export(start_day, end_day, sys.stdout)
    else:
        with open(output, "w", encoding="utf-8") as fh:
            count = log.export(start_day, end_day, fh)
    err.print(f"exported {count} audit records")


# -- alerts ----------------------------------------------------------------------------


@alerts_app.command("list")
@friendly_errors
def alerts_list(
    reference: Annotated[str | None, typer.Option(help="Only this customer/reference.")] = None,
    status: Annotated[str | None, typer.Option(help="open, escalated, pending_approval, closed, suppressed.")] = None,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Alerts raised by screenings and monitoring."""
    _, _, cases, _ = _workflow(db)
    alerts = cases.alerts(reference, status)
    if as_json:
        print_json([a.to_dict() for a in alerts])
        return
    table = Table(title="Alerts")
    for col in ("id", "status", "reference", "entity", "score", "decision", "reopened"):
        table.add_column(col)
    for a in alerts:
        table.add_row(str(a.id), a.status, a.reference, f"{a.entity_id} {a.caption}", f"{a.score:.2f}", a.decision or "-", "yes" if a.reopened else "")
    out.print(table)


@alerts_app.command("decide")
@friendly_errors
def alerts_decide(
    alert_id: Annotated[int, typer.Argument()],
    decision: Annotated[str, typer.Argument(help="true_match, false_positive or escalate.")],
    reason: Annotated[str, typer.Option(help="Why (required).")],
    allow_list: Annotated[bool, typer.Option(help="Suppress this customer/entity pair in later screenings.")] = False,
    expires: Annotated[str | None, typer.Option(help="Allow-list expiry date (YYYY-MM-DD).")] = None,
    actor: ActorOption = None,
    db: DbOption = None,
) -> None:
    """Decide an alert; every decision is audited. Under four-eyes (`tamiz alerts policy`) a clearance waits for approval."""
    _, _, cases, _ = _workflow(db)
    alert = cases.decide(alert_id, _actor(actor), decision, reason, allow_list=allow_list,
                         expires=_day(expires, "--expires"))
    out.print(f"alert {alert.id}: {alert.status}")


@alerts_app.command("approve")
@friendly_errors
def alerts_approve(alert_id: Annotated[int, typer.Argument()], actor: ActorOption = None, db: DbOption = None) -> None:
    """Second pair of eyes: approve a clearance made by someone else."""
    _, _, cases, _ = _workflow(db)
    alert = cases.approve(alert_id, _actor(actor))
    out.print(f"alert {alert.id}: {alert.status}")


@alerts_app.command("policy")
@friendly_errors
def alerts_policy(
    four_eyes_rule: Annotated[bool | None, typer.Option(
        "--four-eyes/--no-four-eyes", help="Store the rule: a clearance needs a second person's approval.")] = None,
    actor: ActorOption = None,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Show the workflow policy stored in the database, or change it (audited: who, old, new)."""
    _, _, cases, _ = _workflow(db)
    policy = cases.policy.get()
    if four_eyes_rule is not None:
        before, policy = cases.policy.set_four_eyes(_actor(actor), four_eyes_rule)
        if policy != before:
            err.print(f"four-eyes: {'on' if before.stored_four_eyes else 'off'} -> "
                      f"{'on' if policy.stored_four_eyes else 'off'} (audited)", highlight=False)
    if as_json:
        print_json(policy.to_dict())
        return
    line = f"four-eyes: {'on' if policy.four_eyes else 'off'} (stored: {'on' if policy.stored_four_eyes else 'off'}"
    if policy.updated_by:
        line += f", set by {policy.updated_by} at {policy.updated_at:%Y-%m-%d %H:%M:%S} UTC"
    if policy.forced_four_eyes:
        line += "; TAMIZ_API_FOUR_EYES=1 adds it for this process"
    out.print(line + ")", highlight=False, markup=False, soft_wrap=True)
    if policy.forced_four_eyes and not policy.stored_four_eyes:
        err.print("note: only this process's environment demands four-eyes, other processes do not; "
                  "store it with --four-eyes", highlight=False, soft_wrap=True)


# -- monitoring ------------------------------------------------------------------------


@monitor_app.command("add")
@friendly_errors
def monitor_add(
    reference: Annotated[str | None, typer.Argument(help="Customer reference (omit with --file).")] = None,
    name: Annotated[str | None, typer.Option(help="Customer name.")] = None,
    schema: Annotated[str, typer.Option(help="Person, Organization, Company...")] = "Person",
    dob: Annotated[str | None, typer.Option()] = None,
    country: Annotated[str | None, typer.Option()] = None,
    id_number: Annotated[str | None, typer.Option("--id")] = None,
    file: Annotated[Path | None, typer.Option(help="CSV/JSONL/Parquet of customers (batch column names).")] = None,
    actor: ActorOption = None,
    db: DbOption = None,
) -> None:
    """Register customers for ongoing re-screening when lists change."""
    _, _, _, monitor = _workflow(db)
    if file is not None:
        count = monitor.add_many(list(_customers(file)), actor=_actor(actor))  # whole file checked first
    elif reference and name:
        count = monitor.add_many([{"reference": reference, "name": name, "schema": schema, "dob": dob,
                                   "country": country, "id_number": id_number}], actor=_actor(actor))
    else:
        raise typer.BadParameter("give REFERENCE and --name, or --file")
    out.print(f"{count} customers registered; {monitor.count()} monitored in all")


@monitor_app.command("remove")
@friendly_errors
def monitor_remove(reference: Annotated[str, typer.Argument()], actor: ActorOption = None, db: DbOption = None) -> None:
    """Stop monitoring a customer."""
    _, _, _, monitor = _workflow(db)
    if not monitor.remove(reference, actor=_actor(actor)):
        err.print(f"no monitored customer {reference!r}")
        raise typer.Exit(1)
    out.print(f"removed {reference}")


@monitor_app.command("list")
@friendly_errors
def monitor_list(limit: Annotated[int, typer.Option()] = 100, db: DbOption = None, as_json: JsonOption = False) -> None:
    """Monitored customers."""
    _, _, _, monitor = _workflow(db)
    customers = monitor.list(limit=limit)
    if as_json:
        print_json([asdict(c) for c in customers])
        return
    for c in customers:
        out.print(f"{c.reference}\t{c.name}\t{c.schema}\t{c.dob or ''}\t{c.country or ''}", highlight=False)
    out.print(f"{monitor.count()} monitored")


@monitor_app.command("subscribe")
@friendly_errors
def monitor_subscribe(
    url: Annotated[str, typer.Argument(help="Webhook URL receiving signed POSTs.")],
    secret_file: Annotated[Path, typer.Option(help="File holding the HMAC secret (never on the command line).")],
    db: DbOption = None,
) -> None:
    """Notify a URL (HMAC-signed) when monitoring opens alerts."""
    from tamiz.cases import Webhooks

    secret = secret_file.read_text().strip()
    sub = Webhooks(_engine(db)).subscribe(url, secret)
    out.print(f"subscription {sub} for {url}")


@monitor_app.command("run")
@friendly_errors
def monitor_run(
    datasets: Annotated[list[str] | None, typer.Argument(help="Datasets whose latest delta to re-screen (default: all).")] = None,
    deliver: Annotated[bool, typer.Option(help="Send the queued webhooks once the runs are done.")] = True,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Re-screen monitored customers against the added and changed parties of the last update."""
    from tamiz.cases.monitor_runs import deliver_webhooks, run_monitoring
    from tamiz.store import Store

    store = Store.open(db)
    runs = run_monitoring(store, datasets, deliver=False)
    # The list versions the customers were re-screened against, on stderr (stale ones warned).
    from tamiz.screen.freshness import dataset_status

    warn_freshness([dataset_status(v) for v in store.datasets() if not datasets or v.dataset in datasets])
    if not as_json:
        for r in runs:
            out.print(f"{r['dataset']}: {r['delta_entities']} changed parties, {r['customers']} customers, "
                      f"{r['alerts_opened']} new alerts", highlight=False)
    else:
        print_json(runs)
    if deliver:
        _print_webhooks(deliver_webhooks(store), to_stderr=as_json)


@monitor_app.command("deliver")
@friendly_errors
def monitor_deliver(
    now: Annotated[bool, typer.Option("--now", help="Also try deliveries still waiting out their backoff.")] = False,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Send the webhooks still pending in the outbox (safe to run from cron)."""
    from tamiz.cases.monitor_runs import deliver_webhooks
    from tamiz.store import Store

    summary = deliver_webhooks(Store.open(db), force=now)
    if as_json:
        print_json(summary)
        return
    for d in summary["deliveries"]:
        state = "delivered" if d["delivered"] else f"retry at {d['next_attempt']}" if d["pending"] else "failed"
        out.print(f"delivery {d['id']} ({d['event']} to subscription {d['subscription']}): {state}, "
                  f"{d['attempts']} attempts, {d['status_code'] or '-'} {d['error'] or ''}", highlight=False, markup=False)
    _print_webhooks(summary)


def _print_webhooks(summary: dict, to_stderr: bool = False) -> None:
    if not summary["deliveries"] and not summary["pending"]:
        return
    line = f"webhooks: {summary['delivered']} delivered, {summary['failed']} failed, {summary['pending']} pending"
    if summary["pending"]:
        line += " (a later run or `tamiz monitor deliver` retries them)"
    (err if to_stderr else out).print(line, highlight=False, markup=False)


# -- keys ------------------------------------------------------------------------------


@keys_app.command("create")
@friendly_errors
def keys_create(
    name: Annotated[str, typer.Argument(help="Who or what the key is for.")],
    role: Annotated[str, typer.Option(help="screener, analyst, approver or admin.")] = "screener",
    actor: ActorOption = None,
    db: DbOption = None,
) -> None:
    """Create an API key; it is shown once and stored only as a hash."""
    from tamiz.auth import KeyStore

    key_id, plaintext = KeyStore(_engine(db)).create(name, role, actor=_actor(actor))
    err.print(f"key {key_id} ({role}) for {name}; store it now, it is not shown again:")
    sys.stdout.write(plaintext + "\n")


@keys_app.command("list")
@friendly_errors
def keys_list(db: DbOption = None) -> None:
    """API keys (never their secrets)."""
    from tamiz.auth import KeyStore

    for k in KeyStore(_engine(db)).list():
        out.print(k, highlight=False)


@keys_app.command("revoke")
@friendly_errors
def keys_revoke(key_id: Annotated[str, typer.Argument()], actor: ActorOption = None, db: DbOption = None) -> None:
    """Revoke an API key."""
    from tamiz.auth import KeyStore

    if not KeyStore(_engine(db)).revoke(key_id, actor=_actor(actor)):
        err.print(f"no active key {key_id}")
        raise typer.Exit(1)
    out.print(f"revoked {key_id}")
