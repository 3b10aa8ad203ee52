"""A short path for the plain single-call `/match` request, beside FastAPI's generic one.

FastAPI's handler parses JSON with the standard library, validates the result
in Python mode and walks its dependency graph for a dozen query parameters on
every request: on a one-query `/match` that costs about as much as the
matching. The common request has no query string and a JSON body; for it this
route parses and validates the body in one step in pydantic-core (Rust), runs
the same role check and calls the same endpoint function with its defaults.

Anything else (a query string, another content type, a body that does not
validate, an over-long path, dependency overrides in tests) goes through
FastAPI's own handler unchanged, so error answers, the OpenAPI document and
every check stay exactly as they are.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Coroutine
from typing import Annotated, Any

from fastapi import Request
from fastapi.routing import APIRoute
from pydantic import TypeAdapter, ValidationError
from starlette.responses import Response

from tamiz.api import access

Handler = Callable[[Request], Coroutine[Any, Any, Response]]


def _is_json(content_type: str | None) -> bool:
    return content_type is not None and content_type.partition(";")[0].strip().lower() == "application/json"


def _effective(route: APIRoute) -> Any:
    """The route as included in the app: FastAPI >= 0.16x builds it in a context variable, with the
    dependencies and prefixes `include_router` adds; older versions copy the route itself."""
    try:
        from fastapi.routing import _effective_route_context_var  # type: ignore[attr-defined]
    except ImportError:
        return route
    context = _effective_route_context_var.get()
    return context if context is not None and getattr(context, "original_route", None) is route else route


class FastBodyRoute(APIRoute):
    """An APIRoute that calls `endpoint(request, <path parameter>, <body>)` on the short path.

    For routes declared `async def f(request, <one path parameter>, <one JSON body model>, <query
    parameters with defaults>)` whose dependencies are all tamiz's role checks (`access.Need...`):
    the short path re-runs those checks, the others do not exist there.
    """

    short_path_answers = 0  # requests answered by the short path (per process), for tests and profiling

    def get_route_handler(self) -> Handler:
        default = super().get_route_handler()
        route = _effective(self)
        endpoint: Callable[..., Awaitable[Response]] = route.endpoint
        guards = [d.dependency for d in route.dependencies]
        dependant = route.dependant
        if (route.body_field is None or route._embed_body_fields or len(dependant.path_params) != 1
                or dependant.header_params or dependant.cookie_params
                or any(f.field_info.is_required() for f in dependant.query_params)
                or len(dependant.dependencies) != len(guards)
                or not all(g in access.ROLE_DEPENDENCIES for g in guards)):
            raise TypeError(f"FastBodyRoute cannot serve {self.path}: it needs one JSON body, one path parameter, "
                            "optional query parameters and only role checks")
        body_adapter: TypeAdapter[Any] = TypeAdapter(route.body_field.field_info.annotation)
        (path_field,) = dependant.path_params
        path_name = path_field.name
        path_adapter: TypeAdapter[Any] = TypeAdapter(Annotated[path_field.field_info.annotation, path_field.field_info])

        async def handler(request: Request) -> Response:
            scope = request.scope
            if (scope.get("query_string") or not _is_json(request.headers.get("content-type"))
                    or getattr(scope.get("app"), "dependency_overrides", None)):
                return await default(request)
            raw = await request.body()  # kept on the request: the fallback reads it again for free
            try:
                value = path_adapter.validate_python(scope["path_params"][path_name])
                body = body_adapter.validate_json(raw)
            except (ValidationError, KeyError):
                return await default(request)  # FastAPI words the error, as before
            for guard in guards:
                await guard(request)
            self.short_path_answers += 1
            return await endpoint(request, value, body)

        return handler
