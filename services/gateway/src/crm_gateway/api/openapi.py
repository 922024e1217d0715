"""``/api/schema``: the OpenAPI of the gateway merged with every reachable service's."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any

from litestar import MediaType, Request, get
from litestar.di import NamedDependency

from crm_gateway.auth.middleware import OPEN_API_PATHS
from crm_gateway.routing import Forwarder

BEARER = "bearerAuth"
_METHODS = frozenset({"get", "put", "post", "delete", "patch", "options", "head", "trace"})


def merge(base: dict[str, Any], others: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The gateway's schema with the paths, components and tags of each service's schema added."""
    merged = dict(base)
    paths = dict(merged.get("paths", {}))
    components = {k: dict(v) for k, v in merged.get("components", {}).items()}
    tags = {t["name"]: t for t in merged.get("tags", [])}
    for doc in others.values():
        for path, item in doc.get("paths", {}).items():
            paths.setdefault(path, item)
        for kind, entries in doc.get("components", {}).items():
            bucket = components.setdefault(kind, {})
            for name, entry in entries.items():
                bucket.setdefault(name, entry)
        for tag in doc.get("tags", []):
            tags.setdefault(tag["name"], tag)
    merged["paths"] = dict(sorted(paths.items()))
    merged["components"] = components
    if tags:
        merged["tags"] = list(tags.values())
    return merged


def secured(doc: dict[str, Any], open_paths: frozenset[str] = OPEN_API_PATHS) -> dict[str, Any]:
    """The document with the bearer scheme declared and required on every operation but the open paths (``[]``).

    Args:
        doc: an OpenAPI document (not changed).
        open_paths: the paths the gateway serves without a credential.
    """
    components = {**doc.get("components", {})}
    components["securitySchemes"] = {
        **components.get("securitySchemes", {}),
        BEARER: {
            "type": "http",
            "scheme": "bearer",
            "description": "The access token from POST /api/auth/token.",
        },
    }
    paths: dict[str, Any] = {}
    for path, item in doc.get("paths", {}).items():
        # An open path says so with an empty requirement: "no security" rather than "not documented".
        needs: list[dict[str, list[str]]] = [] if path.rstrip("/") in open_paths else [{BEARER: []}]
        paths[path] = {
            key: ({**op, "security": needs} if key in _METHODS and isinstance(op, dict) else op)
            for key, op in item.items()
        }
    return {**doc, "components": components, "paths": paths}


PROBLEM = "Problem"
"""The component every error answer uses: the body of ``crm_kit.http``'s handlers and the gateway's refusals."""

PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "What went wrong, in words a person can act on; ``extra`` carries details (fields, ids, reasons).",
    "required": ["status_code", "detail"],
    "properties": {
        "status_code": {"type": "integer", "description": "The HTTP status, repeated."},
        "detail": {"type": "string", "description": "The message (the web UI shows it)."},
        "extra": {"type": ["object", "array", "null"], "description": "Details: invalid fields, conflicting ids."},
    },
}

ERRORS: dict[int, tuple[str, str]] = {
    400: ("BadRequest", "The request is malformed: a body or parameter that does not parse or validate."),
    401: ("Unauthorized", "No valid access token (missing, expired, or revoked)."),
    403: ("Forbidden", "The token's role or scope does not allow this (e.g. an agent on another agent's record)."),
    404: ("NotFound", "No such record (in the path, the body or a filter), or none the caller may see."),
    409: ("Conflict", "The write conflicts with the current state (a duplicate, a record that moved on)."),
    413: ("TooLarge", "The body or the uploaded file is larger than the limit."),
    422: ("Unprocessable", "Well-formed, but a rule refuses it (a closed stage, an unknown filter value)."),
    429: ("TooManyRequests", "Too many failed attempts from this client; wait and retry (see Retry-After)."),
    503: ("Unavailable", "The service behind this route does not answer right now; retry later."),
}
"""Every error status the API answers, with the component name of its response."""

_WRITES = frozenset({"post", "put", "patch", "delete"})
_RATE_LIMITED = frozenset({"/api/auth/token", "/api/users/me/password"})
"""The routes that check a password: throttled per client and username (``crm_gateway.domain.logins``)."""

EXAMPLES: dict[tuple[str, str], dict[str, Any]] = {
    ("post", "/api/partners"): {
        "kind": "client",
        "name": "Alfa Construct SRL",
        "fiscal_code": "RO12345678",
        "county": "Cluj",
        "locality": "Cluj-Napoca",
        "employees": 42,
    },
    ("post", "/api/tasks"): {
        "title": "Call back about the maintenance offer",
        "description": "The client asked for a price for 12 months.",
        "partner_id": "0190f3a2-7c1e-7d2a-9b1e-3f5c2a1b0c9d",
        "deadline": "2026-12-20T15:00:00Z",
        "billable": False,
    },
    ("post", "/api/opportunities"): {
        "partner_id": "0190f3a2-7c1e-7d2a-9b1e-3f5c2a1b0c9d",
        "title": "Yearly maintenance, 3 sites",
        "potential": "48000.00",
        "expected_signing_on": "2027-02-01",
    },
}
"""Request examples of the main create routes (an integrator's first calls)."""


def typed_decimals(value: Any) -> Any:
    """The document with every ``Decimal`` (pydantic's decimal defaults) in the JSON type its schema declares.

    A decimal field is ``type: string`` unless it has bounds (then ``type: number``); its default must
    match, or the schema is invalid (``type: number`` with ``default: '0'``).
    """
    if isinstance(value, list):
        return [typed_decimals(v) for v in value]
    if not isinstance(value, dict):
        return str(value) if isinstance(value, Decimal) else value
    declared = value.get("type")
    kinds = declared if isinstance(declared, list) else [declared]
    numeric = "number" in kinds or "integer" in kinds  # (a property named "type" is a dict, never equal)
    return {k: (_as_number(v) if numeric and isinstance(v, Decimal) else typed_decimals(v)) for k, v in value.items()}


def _as_number(value: Decimal) -> int | float:
    return int(value) if value == value.to_integral_value() else float(value)


def _error_statuses(method: str, path: str, op: dict[str, Any], guarded: bool, forwarded: bool) -> list[int]:
    """The error statuses an operation can answer, from what the gateway and the kit's handlers do."""
    statuses = {400}
    query = [p for p in op.get("parameters", []) if isinstance(p, dict) and p.get("in") == "query"]
    if guarded:
        statuses |= {401, 403}
    # A record named in the path, in a write's body or in an ``..._id`` filter may not exist (or not for you).
    if "{" in path or method in _WRITES or any(str(p.get("name", "")).endswith("_id") for p in query):
        statuses.add(404)
    if method in _WRITES:
        statuses |= {409, 422}
    if query:
        statuses.add(422)  # a filter value the use case refuses (an unknown status, a reversed range)
    if "requestBody" in op:
        statuses.add(413)  # a JSON body over the edge limit, or a file over the blob limit
    if path in _RATE_LIMITED:
        statuses |= {401, 429}  # a wrong password, then too many of them
    if forwarded:
        statuses.add(503)
    return sorted(statuses)


def with_errors(
    doc: dict[str, Any], open_paths: frozenset[str] = OPEN_API_PATHS, own_paths: frozenset[str] = frozenset()
) -> dict[str, Any]:
    """The document with every operation's error answers (a shared problem-details response each) and examples.

    Args:
        doc: an OpenAPI document (not changed).
        open_paths: the paths served without a credential (no 401/403).
        own_paths: the gateway's own paths; every other path is forwarded to a service, so it can answer 503.
    """
    components = {k: dict(v) for k, v in doc.get("components", {}).items()}
    components.setdefault("schemas", {})[PROBLEM] = PROBLEM_SCHEMA
    responses = components.setdefault("responses", {})
    for status, (name, description) in ERRORS.items():
        responses[name] = {
            "description": description,
            "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{PROBLEM}"}}},
        }
        if status == 429:
            responses[name]["headers"] = {
                "Retry-After": {"description": "Seconds to wait.", "schema": {"type": "integer"}}
            }
    paths: dict[str, Any] = {}
    for path, item in doc.get("paths", {}).items():
        guarded = path.rstrip("/") not in open_paths
        forwarded = path not in own_paths
        new_item = dict(item)
        for method, op in item.items():
            if method not in _METHODS or not isinstance(op, dict):
                continue
            answers = dict(op.get("responses", {}))
            for status in _error_statuses(method, path, op, guarded, forwarded):
                answers[str(status)] = {"$ref": f"#/components/responses/{ERRORS[status][0]}"}
            new_op = {**op, "responses": dict(sorted(answers.items()))}
            example = EXAMPLES.get((method, path))
            if example is not None and "application/json" in op.get("requestBody", {}).get("content", {}):
                body = op["requestBody"]
                media = {**body["content"]["application/json"], "example": example}
                new_op["requestBody"] = {**body, "content": {**body["content"], "application/json": media}}
            new_item[method] = new_op
        paths[path] = new_item
    return {**doc, "components": components, "paths": paths}


def document(gateway: dict[str, Any], services: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The whole API's OpenAPI: the gateway's and the services' merged, secured, with errors and typed defaults.

    Args:
        gateway: the gateway app's own schema.
        services: each service's schema, by any key (its URL or name).
    """
    own = frozenset(gateway.get("paths", {}))
    merged = secured(merge(gateway, services))
    merged = with_errors(merged, own_paths=own)
    merged["info"] = {
        **merged.get("info", {}),
        "title": "CRM API",
        "description": "Every route of the CRM behind the gateway. Errors answer a problem body "
        "(`status_code`, `detail`, `extra`). See docs/integrating.md.",
    }
    result: dict[str, Any] = typed_decimals(merged)
    return result


@get(["/api/schema", "/api/schema/openapi.json"], tags=["schema"], summary="The OpenAPI of the whole API (no token)")
async def api_schema(request: Request[Any, Any, Any], forwarder: NamedDependency[Forwarder]) -> dict[str, Any]:
    """The gateway's own OpenAPI plus every reachable service's ``/schema/openapi.json``.

    Served without a token: another team reads it before it has an account, and it holds no data.
    """
    bases = sorted({forwarder.service_urls[n] for n in forwarder.routes.values() if n in forwarder.service_urls})

    async def fetch(base: str) -> tuple[str, dict[str, Any] | None]:
        try:
            doc = await forwarder.get_json(f"{base}/schema/openapi.json")
        except Exception:
            return base, None
        return base, doc if isinstance(doc, dict) else None

    results = await asyncio.gather(*(fetch(b) for b in bases))
    reachable = {b: d for b, d in results if d is not None}
    merged = document(request.app.openapi_schema.to_schema(), reachable)
    merged["x-crm-services"] = {b: ("reachable" if b in reachable else "unreachable") for b in bases}
    return merged


API_DOCS_PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>CRM API</title>
<link rel="stylesheet" href="/static/vendor/swagger-ui/swagger-ui.css">
<script src="/static/vendor/swagger-ui/swagger-ui-bundle.js"></script>
<script src="/static/api-docs.js"></script>
</head>
<body><div id="api-docs"></div></body>
</html>
"""


@get("/api/schema/docs", include_in_schema=False, media_type=MediaType.HTML, sync_to_thread=False)
def api_docs() -> str:
    """The interactive page of the whole API (Swagger UI, served from /static: no CDN, no inline script)."""
    return API_DOCS_PAGE
