"""The API reference, rendered on the server from the app's own OpenAPI document.

Swagger UI would be fetched from a CDN (a blank page on an air-gapped
screening host), and the bundles on PyPI predate OpenAPI 3.1. This page needs
nothing but the app: every operation with its method, parameters, body and
answers, and every schema with its fields, linked by anchor.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from markupsafe import Markup, escape

router = APIRouter(include_in_schema=False)
METHODS = ("get", "post", "put", "patch", "delete")


@dataclass(slots=True)
class Param:
    name: str
    where: str
    required: bool
    type: str
    description: str


@dataclass(slots=True)
class Operation:
    method: str
    path: str
    anchor: str
    summary: str
    description: str
    tags: list[str]
    params: list[Param]
    body: list[tuple[str, str]]  # (content type, schema text)
    responses: list[tuple[str, str, str]]  # (status, description, schema text)


@dataclass(slots=True)
class SchemaDoc:
    name: str
    description: str
    fields: list[Param] = field(default_factory=list)
    example: str | None = None


def type_text(schema: dict[str, Any] | None) -> str:
    """A short, readable type: `str`, `list[MatchRequest]`, `int (1..500)`, `"a" | "b"`."""
    if not schema:
        return "any"
    if "$ref" in schema:
        return "#" + schema["$ref"].rsplit("/", 1)[-1]
    if "anyOf" in schema or "oneOf" in schema:
        parts = [type_text(s) for s in schema.get("anyOf") or schema.get("oneOf")]
        return " | ".join(dict.fromkeys(parts))
    if "enum" in schema:
        return " | ".join(json.dumps(v) for v in schema["enum"])
    if "const" in schema:
        return json.dumps(schema["const"])
    kind = schema.get("type", "object")
    if kind == "array":
        return f"list[{type_text(schema.get('items'))}]"
    if kind == "object" and isinstance(schema.get("additionalProperties"), dict):
        return f"dict[str, {type_text(schema['additionalProperties'])}]"
    lo, hi = schema.get("minimum"), schema.get("maximum")
    bounds = f" ({'' if lo is None else lo}..{'' if hi is None else hi})" if lo is not None or hi is not None else ""
    if kind == "string" and schema.get("format"):
        return f"string ({schema['format']})"
    return {"integer": "int", "number": "float", "boolean": "bool", "string": "str"}.get(kind, kind) + bounds


def _operations(spec: dict[str, Any]) -> list[Operation]:
    out = []
    for path, item in spec.get("paths", {}).items():
        for method in METHODS:
            op = item.get(method)
            if op is None:
                continue
            params = [Param(p["name"], p.get("in", ""), bool(p.get("required")), type_text(p.get("schema")),
                            p.get("description") or p.get("schema", {}).get("description", ""))
                      for p in op.get("parameters", [])]
            body = [(ctype, type_text(c.get("schema"))) for ctype, c in
                    op.get("requestBody", {}).get("content", {}).items()]
            responses = []
            for status, r in op.get("responses", {}).items():
                schema = next(iter(r.get("content", {}).values()), {}).get("schema")
                responses.append((status, r.get("description", ""), type_text(schema) if schema else ""))
            anchor = f"{method}-{path}".replace("/", "-").replace("{", "").replace("}", "")
            out.append(Operation(method.upper(), path, anchor, op.get("summary", ""), op.get("description", ""),
                                 op.get("tags", []), params, body, responses))
    return out


def _schemas(spec: dict[str, Any]) -> list[SchemaDoc]:
    out = []
    for name, schema in sorted(spec.get("components", {}).get("schemas", {}).items()):
        required = set(schema.get("required", []))
        doc = SchemaDoc(name, schema.get("description", ""))
        for prop, sub in schema.get("properties", {}).items():
            doc.fields.append(Param(prop, "", prop in required, type_text(sub), sub.get("description", "")))
        if "example" in schema:
            doc.example = json.dumps(schema["example"], indent=2, ensure_ascii=False)
        out.append(doc)
    return out


@router.get("/docs", response_class=HTMLResponse)
def docs(request: Request) -> HTMLResponse:
    from tamiz.web.pages import templates

    spec = request.app.openapi()
    info = spec.get("info", {})
    return templates.TemplateResponse(request, "api_docs.html", {
        "statuses": [], "info": info, "operations": _operations(spec), "schemas": _schemas(spec),
        "openapi_version": spec.get("openapi", "")})


def type_links(text: str) -> Markup:
    """Escape a type text and link each `#Schema` to its section."""
    out = []
    for part in re.split(r"(#[A-Za-z0-9_.\-]+)", text):
        if part.startswith("#") and len(part) > 1:
            name = escape(part[1:])
            out.append(Markup('<a href="#schema-{0}">{0}</a>').format(name))
        else:
            out.append(escape(part))
    return Markup("").join(out)
