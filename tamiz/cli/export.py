"""`tamiz lists export DATASET`: a stored list version as FollowTheMoney JSON lines.

Other FtM tools (yente, nomenklatura, OpenSanctions tooling) read the output;
`tamiz lists load NAME FILE --format ftm` reads it back to identical entities.
Register with `lists_app.command("export")(export)`.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from tamiz.cli.common import DbOption, err, friendly_errors, warn_freshness


@friendly_errors
def export(
    dataset: Annotated[str, typer.Argument(help="Dataset name, e.g. us_ofac_sdn.")],
    out_file: Annotated[Path | None, typer.Option("--out", help="Write here (default: standard output).")] = None,
    version: Annotated[int | None, typer.Option(help="List version (default: the current one).")] = None,
    links: Annotated[bool, typer.Option(help="Also write a Sanction entity per listed party.")] = True,
    db: DbOption = None,
) -> None:
    """Export a list version as FollowTheMoney JSON lines."""
    from tamiz.errors import StoreError, UnknownDataset
    from tamiz.sources.ftm import export as ftm_export
    from tamiz.store import Store

    store = Store.open(db)
    info = store.current(dataset) if version is None else next(
        (v for v in store.versions(dataset) if v.version == version), None)
    if info is None:
        loaded = ", ".join(v.dataset for v in store.datasets()) or "none"
        what = f"{dataset} v{version}" if version is not None else dataset
        raise UnknownDataset(f"dataset not loaded: {what} (loaded: {loaded})")
    entities = store.entities(dataset, info.version)
    if out_file is None:
        count = ftm_export(entities, sys.stdout, links=links)
    else:
        tmp = out_file.with_name(out_file.name + ".part")
        try:
            with open(tmp, "w", encoding="utf-8", newline="\n") as fh:
                count = ftm_export(entities, fh, links=links)
            tmp.replace(out_file)
        except OSError as exc:
            tmp.unlink(missing_ok=True)
            raise StoreError(f"{out_file}: cannot write export: {exc.strerror or exc}") from exc
    err.print(f"exported {dataset} v{info.version}: {len(entities)} entities, {count} FtM lines", highlight=False)
    from tamiz.screen.freshness import dataset_status

    warn_freshness([dataset_status(info)])
