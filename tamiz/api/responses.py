"""JSON answers encoded with orjson: several times faster than the standard library on hit lists,
and able to embed the pre-encoded entity parts the view caches (`orjson.Fragment`)."""

from __future__ import annotations

from typing import Any

import orjson
from starlette.responses import JSONResponse


class FastJSONResponse(JSONResponse):
    def render(self, content: Any) -> bytes:
        return orjson.dumps(content, option=orjson.OPT_NON_STR_KEYS)
