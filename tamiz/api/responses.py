"""JSON answers encoded with orjson: several times faster than the standard library on hit lists."""

from __future__ import annotations

from typing import Any

from starlette.responses import JSONResponse

try:
    import orjson
except ImportError:  # pragma: no cover - orjson is a dependency; keep working without it
    orjson = None


class FastJSONResponse(JSONResponse):
    def render(self, content: Any) -> bytes:
        if orjson is None:
            return super().render(content)
        return orjson.dumps(content, option=orjson.OPT_NON_STR_KEYS)
