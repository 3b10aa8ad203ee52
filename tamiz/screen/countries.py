"""Country input as people type it ("Mexico", "MX", "mex") → ISO alpha-2."""

from __future__ import annotations

from collections.abc import Iterable

from followthemoney.types import registry


def query_countries(values: Iterable[str]) -> list[str]:
    out: list[str] = []
    for value in values:
        code = registry.country.clean(value) or registry.country.clean(value.strip().lower())
        code = code or (value.strip().lower() if len(value.strip()) == 2 else None)
        if code and code not in out:
            out.append(code)
    return out
