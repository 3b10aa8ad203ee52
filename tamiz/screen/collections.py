"""Named groups of datasets (`sanctions`, `us`, `default`) usable wherever a dataset is."""

from __future__ import annotations

from collections.abc import Sequence

from tamiz.errors import UnknownDataset


def resolve_names(names: Sequence[str], loaded: Sequence[str]) -> list[str]:
    """Expand collection names into dataset names, keeping order, no repeats.

    `default` (and `all`) mean every loaded dataset; other collections come
    from the registry's `collections` field, restricted to what is loaded.
    """
    from tamiz.sources.registry import load_registry

    registry = load_registry()
    groups: dict[str, list[str]] = {}
    for spec in registry.values():
        for group in spec.collections:
            groups.setdefault(group, []).append(spec.name)
    out: list[str] = []
    for name in names:
        if name in ("default", "all"):
            expanded = list(loaded)
        elif name in groups:
            expanded = [n for n in groups[name] if n in loaded]
        elif name in registry or name in loaded:
            expanded = [name]
        else:
            known = sorted(set(registry) | set(groups) | {"default"})
            raise UnknownDataset(f"unknown dataset or collection {name!r}; known: {', '.join(known)}")
        out.extend(n for n in expanded if n not in out)
    return out
