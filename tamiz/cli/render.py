"""Rich renderings of results for people at a terminal."""

from __future__ import annotations

from rich.console import Group
from rich.text import Text

from tamiz.screen.screener import ScreenResult


def score_bar(score: float, width: int = 10) -> str:
    filled = round(score * width)
    return "█" * filled + "░" * (width - filled)


def results_table(result: ScreenResult) -> Group:
    """One block per hit: score bar, verdict, id and name, then the reason in words."""
    lines: list[Text] = [
        Text(f"Screening {result.query['name']!r}: match at score >= {result.threshold:.2f}", style="bold")
    ]
    for r in result.results:
        style = "bold red" if r.match else "dim"
        head = Text(f"{r.score:.2f} {score_bar(r.score)} ", style=style)
        head.append("MATCH    " if r.match else "no match ", style=style)
        head.append(f"{r.id}  {r.schema}  ")
        head.append(r.caption, style="bold")
        lines.append(head)
        lines.append(Text(f"     {r.explanation}", style="italic"))
    if not result.results:
        lines.append(Text("no candidates found"))
    return Group(*lines)


def entity_text(entity) -> str:
    """A plain, complete rendering of one listed party."""
    lines = [f"{entity.caption}  [{entity.schema}]  {entity.id}"]

    def section(title: str, items: list[str]) -> None:
        if items:
            lines.append(f"{title}:")
            lines.extend(f"  {i}" for i in items)

    section("names", [f"{n.full} ({n.kind})" for n in entity.names])
    section("dates of birth", [f"{d.text} [{d.precision}{', circa' if d.circa else ''}]" for d in entity.birth_dates])
    section("places of birth", entity.birth_places)
    section("nationalities", entity.nationalities)
    section("citizenships", entity.citizenships)
    section("gender", [entity.gender] if entity.gender else [])
    section(
        "identifiers",
        [f"{i.label or i.type}: {i.value}" + (f" ({i.country})" if i.country else "") + (f" {i.note}" if i.note else "") for i in entity.identifiers],
    )
    section("addresses", [a.text() for a in entity.addresses])
    section("programmes", entity.programs)
    section("linked to", [f"{r.target_name} -> {r.target_id or 'unresolved'}" for r in entity.relations])
    section("other", [f"{k}: {', '.join(v)}" for k, v in sorted(entity.properties.items())])
    section("remarks", [entity.remarks] if entity.remarks else [])
    section("unrecognised remark fragments", entity.unparsed)
    return "\n".join(lines)
