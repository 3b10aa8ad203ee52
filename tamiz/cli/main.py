"""The `tamiz` command: Typer commands over the same functions as the Python API."""

from __future__ import annotations

from typing import Annotated

import typer

from tamiz.cli.common import DbOption, JsonOption, friendly_errors, out, print_json, warn_freshness
from tamiz.cli.batch_text import batch, message, text
from tamiz.cli.lists import lists_app
from tamiz.cli.serve import serve
from tamiz.cli.workflow import alerts_app, audit_app, keys_app, monitor_app

app = typer.Typer(no_args_is_help=True, add_completion=False, help="tamiz: sanctions screening.")
app.add_typer(lists_app, name="lists", help="Load, update, inspect and diff sanctions lists.")
app.add_typer(audit_app, name="audit", help="Verify and export the tamper-evident audit log.")
app.add_typer(alerts_app, name="alerts", help="Review and decide alerts.")
app.add_typer(monitor_app, name="monitor", help="Ongoing monitoring of registered customers.")
app.add_typer(keys_app, name="keys", help="API keys and roles.")
app.command()(batch)
app.command()(message)
app.command()(text)
app.command()(serve)


@app.command()
@friendly_errors
def screen(
    name: Annotated[str, typer.Argument(help="The name to screen.")],
    schema: Annotated[str | None, typer.Option(help="Person, Organization, Company, Vessel, Airplane.")] = None,
    dob: Annotated[str | None, typer.Option(help="Date of birth: YYYY, YYYY-MM or YYYY-MM-DD.")] = None,
    country: Annotated[list[str] | None, typer.Option(help="Country or nationality (ISO code or name).")] = None,
    id_number: Annotated[list[str] | None, typer.Option("--id", help="Identifier: passport, CURP, RFC, IMO...")] = None,
    dataset: Annotated[list[str] | None, typer.Option(help="Dataset or collection (default: all loaded).")] = None,
    limit: Annotated[int, typer.Option(help="How many results at most.")] = 10,
    threshold: Annotated[float | None, typer.Option(help="Match threshold (default: calibrated).")] = None,
    reference: Annotated[str | None, typer.Option(help="Customer reference: matches open alerts for it.")] = None,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Screen one name against the loaded lists."""
    from tamiz.screen.countries import query_countries
    from tamiz.screen.screener import Screener

    screener = Screener.open(db, datasets=dataset)
    result = screener.screen(
        name,
        schema=schema,
        dob=dob,
        country=query_countries(country or []),
        id_number=id_number,
        limit=limit,
        threshold=threshold,
        reference=reference,
    )
    screener.close()
    warn_freshness(result.datasets)
    if as_json:
        print_json(result.to_dict())
        return
    from tamiz.cli.render import results_table

    out.print(results_table(result))


def main() -> None:
    app()
