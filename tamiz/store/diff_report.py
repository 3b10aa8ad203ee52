"""What changed between two list versions, for a person (text) or a program (JSON).

Changed parties are shown field by field as "- old" / "+ new" lines; list
fields (names, DOBs, identifiers, programmes, addresses...) show only the
items that were removed or added, so a new alias is one "+" line, not a dump.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

from tamiz.model import Address, Entity, FuzzyDate, Identifier, Name, Relation
from tamiz.store.delta import Change, Delta


def _name(n: Name) -> str:
    return n.full if n.kind == "primary" else f"{n.full} ({n.kind})"


def _date(d: FuzzyDate) -> str:
    span = d.start if d.start == d.end else f"{d.start}..{d.end}"
    circa = "circa " if d.circa else ""
    return f"{circa}{span}" + (f" [{d.text}]" if d.text not in (d.start, span) else "")


def _identifier(i: Identifier) -> str:
    extra = ", ".join(x for x in (i.label, i.country, i.note) if x)
    return f"{i.type} {i.value}" + (f" ({extra})" if extra else "")


def _address(a: Address) -> str:
    return a.text() + (f" [{a.country}]" if a.country else "")


def _relation(r: Relation) -> str:
    return f"{r.type}: {r.target_name}" + (f" → {r.target_id}" if r.target_id else "")


_ITEM: dict[str, Callable[[Any], str]] = {
    "names": _name,
    "birth_dates": _date,
    "identifiers": _identifier,
    "addresses": _address,
    "relations": _relation,
}


def field_lines(entity: Entity, field: str) -> list[str]:
    """One display string per item of `field` (a scalar field gives at most one)."""
    value = getattr(entity, field)
    if value in (None, "", [], {}):
        return []
    if field == "properties":
        return [f"{k}: {v}" for k, vs in sorted(value.items()) for v in vs]
    if isinstance(value, list):
        fmt = _ITEM.get(field, str)
        return [fmt(v) for v in value]
    return [str(value)]


def field_change(change: Change, field: str) -> tuple[list[str], list[str]]:
    """(removed, added) display items of one field, as multisets, in each side's order.

    Both are empty when only the order (or an invisible detail) changed.
    """
    old, new = field_lines(change.old, field), field_lines(change.new, field)
    return _minus(old, new), _minus(new, old)


def _minus(items: list[str], other: list[str]) -> list[str]:
    left = Counter(other)
    out = []
    for x in items:
        if left[x]:
            left[x] -= 1
        else:
            out.append(x)
    return out


def _headline(e: Entity) -> str:
    programs = f" [{', '.join(e.programs)}]" if e.programs else ""
    return f"{e.id}  {e.caption}  ({e.schema}){programs}"


def render_diff(
    delta: Delta, dataset: str | None = None, from_v: int | None = None, to_v: int | None = None
) -> str:
    dataset = dataset or delta.dataset
    from_v = delta.from_version if from_v is None else from_v
    to_v = delta.to_version if to_v is None else to_v
    start = f"v{from_v}" if from_v is not None else "(nothing)"
    c = delta.counts
    lines = [
        f"{dataset}: {start} → v{to_v}",
        f"{c['added']} added, {c['removed']} removed, {c['changed']} changed",
    ]
    if delta.added:
        lines += ["", f"Added ({c['added']}):"] + [f"  + {_headline(e)}" for e in delta.added]
    if delta.removed:
        lines += ["", f"Removed ({c['removed']}):"] + [f"  - {_headline(e)}" for e in delta.removed]
    if delta.changed:
        lines += ["", f"Changed ({c['changed']}):"]
        for change in delta.changed:
            lines.append(f"  * {_headline(change.new)}")
            for field in change.fields:
                removed, added = field_change(change, field)
                lines.append(f"      {field}:")
                lines += [f"        - {x}" for x in removed] + [f"        + {x}" for x in added]
                if not removed and not added:
                    lines.append("        (same items, different order or detail)")
    return "\n".join(lines) + "\n"


def _summary(e: Entity) -> dict[str, Any]:
    return {"id": e.id, "caption": e.caption, "schema": e.schema, "programs": list(e.programs)}


def delta_to_dict(
    delta: Delta, dataset: str | None = None, from_v: int | None = None, to_v: int | None = None
) -> dict[str, Any]:
    """JSON-ready form of a delta: summaries of added/removed, per-field changes of changed."""
    changed = []
    for change in delta.changed:
        fields = {}
        for field in change.fields:
            removed, added = field_change(change, field)
            fields[field] = {"removed": removed, "added": added}
        changed.append({**_summary(change.new), "fields": fields})
    return {
        "dataset": dataset or delta.dataset,
        "from_version": delta.from_version if from_v is None else from_v,
        "to_version": delta.to_version if to_v is None else to_v,
        "counts": delta.counts,
        "added": [_summary(e) for e in delta.added],
        "removed": [_summary(e) for e in delta.removed],
        "changed": changed,
    }
