"""`tamiz lists ...`: the operator's commands for list versions."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from tamiz.cli.common import DbOption, JsonOption, err, friendly_errors, out, print_json, warn_freshness
from tamiz.cli.export import export

lists_app = typer.Typer(no_args_is_help=True)
lists_app.command("export")(export)


def _store(db: str | None):
    from tamiz.store import Store

    return Store.open(db)


def _freshness(store, datasets: set[str] | None = None) -> None:
    """Name the current version of each dataset (all, or those given), warning when stale."""
    from tamiz.screen.freshness import dataset_status

    warn_freshness([dataset_status(v) for v in store.datasets() if datasets is None or v.dataset in datasets])


@lists_app.command("load")
@friendly_errors
def load(
    dataset: Annotated[str, typer.Argument(help="Dataset name, e.g. us_ofac_sdn.")],
    files: Annotated[list[Path], typer.Argument(help="The list's files (e.g. sdn.csv add.csv alt.csv).")],
    force: Annotated[bool, typer.Option(help="Land a new version even if the files did not change.")] = False,
    format: Annotated[
        str | None,
        typer.Option("--format", help="File format, e.g. 'internal' for your own watch list (any new dataset name)."),
    ] = None,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Parse list files and land them as one new version (all or nothing)."""
    from tamiz.errors import SourceError
    from tamiz.sources.registry import parse_files

    for f in files:
        if not f.is_file():
            raise SourceError(str(f), "no such file")
    parsed = parse_files(dataset, files, format=format)
    store = _store(db)
    result = store.load(parsed, force=force)
    v = result.version
    if result.created:
        _audit_load(store, dataset, v.version, [f"{f.name} sha256:{f.sha256}" for f in parsed.files], v.entity_count)
    summary = {
        "dataset": dataset,
        "version": v.version,
        "created": result.created,
        "entities": v.entity_count,
        "published": v.published,
        "stats": parsed.stats,
        "warnings": parsed.warnings,
    }
    # A new version re-screens the monitored customers against what it added or changed, as an update does.
    summary["monitoring"] = _monitor_after_update(store, [dataset] if result.created else [])
    _freshness(store, {dataset})
    if as_json:
        print_json(summary)
        return
    if result.created:
        out.print(f"loaded {dataset} v{v.version}: {v.entity_count} entities (published {v.published or 'unknown'})")
    else:
        out.print(f"{dataset}: files unchanged, still v{v.version} ({v.entity_count} entities)")
    _print_monitoring(summary["monitoring"])
    for w in parsed.warnings[:20]:
        err.print(f"[yellow]warning:[/] {w}", highlight=False)
    if len(parsed.warnings) > 20:
        err.print(f"[yellow]... and {len(parsed.warnings) - 20} more warnings[/]")


@lists_app.command("update")
@friendly_errors
def update(
    datasets: Annotated[list[str] | None, typer.Argument(help="Datasets to fetch (default: every configured one).")] = None,
    force: Annotated[bool, typer.Option(help="Accept a list much smaller than the last one.")] = False,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Download the current lists from their official URLs and land new versions."""
    from tamiz.errors import TamizError
    from tamiz.sources.update import update_datasets

    store = _store(db)
    outcomes = update_datasets(store, datasets or None, force=force)
    for o in outcomes:
        if o.status == "updated":
            _audit_load(store, o.dataset, o.version, [o.message], o.entity_count)
    monitoring = _monitor_after_update(store, [o.dataset for o in outcomes if o.status == "updated"])
    if as_json:
        print_json({"outcomes": [o.to_dict() for o in outcomes], "monitoring": monitoring})
    else:
        for o in outcomes:
            colour = {"updated": "green", "unchanged": "dim", "not_modified": "dim"}.get(o.status, "red")
            out.print(f"[{colour}]{o.dataset}: {o.status}[/] {o.message}", highlight=False)
        _print_monitoring(monitoring)
    try:
        _freshness(store, {o.dataset for o in outcomes})
    except TamizError as exc:  # the outcomes above already say the store is unreadable
        err.print(f"[yellow]warning:[/] cannot read the current list versions: {exc}", highlight=False)
    if any(o.status == "failed" for o in outcomes):
        raise typer.Exit(1)


@lists_app.command("watch")
@friendly_errors
def watch(
    datasets: Annotated[list[str] | None, typer.Argument(help="Datasets to keep current.")] = None,
    every: Annotated[str, typer.Option(help="Interval: 30m, 1h, 6h, 1d.")] = "1h",
    iterations: Annotated[int | None, typer.Option(help="Stop after N rounds (default: forever).")] = None,
    db: DbOption = None,
) -> None:
    """Keep lists current: update now, then every interval."""
    from tamiz.errors import TamizError
    from tamiz.sources.update import watch as watch_loop

    seconds = parse_interval(every)

    def report(outcome) -> None:
        out.print(f"{outcome.dataset}: {outcome.status} {outcome.message}", highlight=False)
        try:  # a watcher outlives database outages: the outcome above already says so
            with _store(db) as store:
                _freshness(store, {outcome.dataset})
        except TamizError:
            pass
        if outcome.status == "updated":
            for m in _monitor_after_update(_store(db), [outcome.dataset]):
                out.print(f"monitoring {m['dataset']}: {m['alerts_opened']} new alerts", highlight=False)

    watch_loop(lambda: _store(db), datasets or None, seconds, iterations=iterations, on_outcome=report)


@lists_app.command("prune")
@friendly_errors
def prune(
    keep: Annotated[int, typer.Option("--keep", min=1, help="Versions to keep per dataset, newest first (the current one always stays).")],
    datasets: Annotated[list[str] | None, typer.Argument(help="Datasets to prune (default: all).")] = None,
    grace: Annotated[str, typer.Option(help="Also keep versions replaced less than this long ago (0, 30m, 1h, 1d).")] = "1d",
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Show what would be removed; change nothing.")] = False,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Remove old list versions, keeping any that an audit record or an alert names."""
    from datetime import timedelta

    from tamiz.audit import AuditLog
    from tamiz.screen.screener import default_actor

    store = _store(db)
    result = store.prune(keep, datasets or None, grace=timedelta(seconds=parse_interval(grace)), dry_run=dry_run)
    report = result.to_dict()
    if result.removed and not dry_run:
        AuditLog(store.engine).record("admin", default_actor(), {"action": "lists_pruned", "keep": keep, **report})
    if as_json:
        print_json(report)
        return
    verb = "would remove" if dry_run else "removed"
    for v in result.removed:
        out.print(f"{verb} {v.dataset} v{v.version} (published {v.published or 'unknown'}, {v.entity_count} entities)",
                  highlight=False)
    reasons = {"audit": "named by audit records", "alert": "named by alerts", "recent": f"replaced less than {grace} ago"}
    for k in report["kept"]:
        out.print(f"kept {k['dataset']} v{k['version']}: {', '.join(reasons[w] for w in k['why'])}", highlight=False)
    records = "" if dry_run else f"; {result.records_removed} entity records no longer used"
    out.print(f"{len(result.removed)} versions {verb}{records}", highlight=False)


def _audit_load(store, dataset: str, version: int | None, files: list[str], entities: int | None) -> None:
    """Who landed which list version, from which files: part of the audit trail."""
    from tamiz.audit import AuditLog
    from tamiz.screen.screener import default_actor

    AuditLog(store.engine).record(
        "list_load", default_actor(), {"dataset": dataset, "version": version, "files": files, "entities": entities}
    )


def _monitor_after_update(store, datasets: list[str]) -> list[dict]:
    """A landed update re-screens the monitored customers against its delta."""
    if not datasets:
        return []
    from tamiz.cases.monitor_runs import run_monitoring

    return run_monitoring(store, datasets)


def _print_monitoring(monitoring: list[dict]) -> None:
    for m in monitoring:
        out.print(f"monitoring {m['dataset']} v{m['version']}: {m['customers']} customers re-screened "
                  f"against {m['delta_entities']} changed parties, {m['alerts_opened']} new alerts", highlight=False)


def parse_interval(text: str) -> float:
    units = {"s": 1, "m": 60, "h": 3600, "d": 86400}
    text = text.strip().lower()
    try:
        if text[-1] in units:
            return float(text[:-1]) * units[text[-1]]
        return float(text)
    except (ValueError, IndexError):
        raise typer.BadParameter(f"not an interval: {text!r} (use e.g. 30m, 1h, 1d)") from None


@lists_app.command("status")
@friendly_errors
def status(db: DbOption = None, as_json: JsonOption = False) -> None:
    """Each dataset's current version, date, age and entity count."""
    from tamiz.screen.freshness import dataset_status
    from tamiz.sources.update import fetch_status

    store = _store(db)
    statuses = [dataset_status(v) for v in store.datasets()]
    fetches = fetch_status()
    if as_json:
        print_json([{**s.to_dict(), "fetch": fetches.get(s.name)} for s in statuses])
        return
    table = Table(title="Loaded lists")
    for col in ("dataset", "version", "published", "age (days)", "entities", "last update attempt"):
        table.add_column(col)
    for s in statuses:
        f = fetches.get(s.name) or {}
        attempt = f.get("last_attempt") or "-"
        if f.get("last_error"):
            attempt = f"{attempt} FAILED: {f['last_error']}"
        age = f"[bold red]{s.age_days} STALE[/]" if s.stale else str(s.age_days)
        table.add_row(s.name, str(s.version), s.published or "unknown", age, str(s.entity_count), attempt)
    out.print(table)
    if not statuses:
        out.print("no lists loaded: `tamiz screen` loads the packaged OFAC SDN snapshot; `tamiz lists update` fetches current lists")
    for s in statuses:
        if s.warning:
            err.print(f"[bold yellow]WARNING:[/] {s.warning}", highlight=False)


@lists_app.command("diff")
@friendly_errors
def diff(
    dataset: Annotated[str, typer.Argument(help="Dataset name.")],
    from_version: Annotated[int | None, typer.Argument(help="Older version (default: the one before TO).")] = None,
    to_version: Annotated[int | None, typer.Argument(help="Newer version (default: current).")] = None,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """What changed between two versions: added, removed and changed parties."""
    from tamiz.screen.freshness import dataset_status
    from tamiz.store.diff_report import delta_to_dict, render_diff

    store = _store(db)
    delta = store.delta(dataset, from_version, to_version)
    compared = [dataset_status(v) for v in store.versions(dataset) if v.version in (delta.from_version, delta.to_version)]
    if as_json:
        print_json({**delta_to_dict(delta), "versions": [s.to_dict() for s in compared]})
    else:
        for s in compared:
            out.print(f"v{s.version}: published {s.published or 'unknown'}, loaded {s.loaded_at[:16].replace('T', ' ')} UTC, "
                      f"{s.entity_count} entities", highlight=False, markup=False)
        out.print(render_diff(delta), highlight=False, markup=False)
    _freshness(store, {dataset})


@lists_app.command("show")
@friendly_errors
def show(
    entity_id: Annotated[str, typer.Argument(help="Entity id, e.g. us_ofac_sdn:17674.")],
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Everything a list says about one party."""
    from tamiz.cli.render import entity_text
    from tamiz.errors import TamizError

    store = _store(db)
    entity = store.entity(entity_id)
    if entity is None:
        raise TamizError(f"no entity {entity_id!r} in the current list versions")
    _freshness(store, {entity.dataset})
    if as_json:
        print_json(entity.to_dict())
    else:
        out.print(entity_text(entity), highlight=False, markup=False)
