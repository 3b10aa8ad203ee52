"""Every error is a JSON body `{status, detail}`: 4xx for what the client can fix.

A 500 only comes from a genuine bug; it is logged with its traceback and the
client gets a short message, never a stack trace.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from tamiz.api.ftm import QueryError
from tamiz.cases import FourEyesViolation
from tamiz.errors import TamizError, UnknownDataset

log = logging.getLogger(__name__)


class ApiError(Exception):
    def __init__(self, status: int, detail: str, headers: dict[str, str] | None = None):
        self.status = status
        self.detail = detail
        self.headers = headers
        super().__init__(detail)


def error_response(status: int, detail: str, headers: dict[str, str] | None = None, **extra: Any) -> JSONResponse:
    return JSONResponse({"status": status, "detail": detail, **extra}, status_code=status, headers=headers)


def _location(err: dict[str, Any]) -> str:
    return ".".join(str(p) for p in err.get("loc", ()) if p != "body") or "body"


def _with_status(status: int):
    async def handler(request: Request, exc: Exception) -> JSONResponse:
        return error_response(status, str(exc))

    return handler


def install(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def _api(request: Request, exc: ApiError) -> JSONResponse:
        return error_response(exc.status, exc.detail, exc.headers)

    # A user error's message is the body; the class decides the status.
    for error, status in ((QueryError, 400), (UnknownDataset, 404), (FourEyesViolation, 403), (TamizError, 400)):
        app.add_exception_handler(error, _with_status(status))

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = exc.errors()
        if any(e.get("type") == "json_invalid" for e in errors):
            return error_response(400, "request body is not valid JSON")
        first = errors[0] if errors else {}
        detail = f"{_location(first)}: {first.get('msg', 'invalid input')}"
        if len(errors) > 1:
            detail += f" (and {len(errors) - 1} more problems)"
        cleaned = [{"loc": [str(p) for p in e.get("loc", ())], "msg": e.get("msg"), "type": e.get("type")} for e in errors[:20]]
        return error_response(422, detail, errors=cleaned)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        detail = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
        if exc.status_code == 404 and detail == "Not Found":
            detail = f"no such endpoint: {request.method} {request.url.path}"
        return error_response(exc.status_code, detail, getattr(exc, "headers", None))

    @app.exception_handler(Exception)
    async def _bug(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return error_response(500, f"internal error ({type(exc).__name__}); it has been logged")
