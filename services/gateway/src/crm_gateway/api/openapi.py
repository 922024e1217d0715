"""``/api/schema``: the OpenAPI of the gateway merged with every reachable service's."""

from __future__ import annotations

import asyncio
from typing import Any

from litestar import Request, get
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
    """The document with the bearer scheme declared and required on every operation but the open paths.

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
        if path.rstrip("/") in open_paths:
            paths[path] = item
            continue
        paths[path] = {
            key: ({**op, "security": [{BEARER: []}]} if key in _METHODS and isinstance(op, dict) else op)
            for key, op in item.items()
        }
    return {**doc, "components": components, "paths": paths}


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
    merged = merge(request.app.openapi_schema.to_schema(), reachable)
    merged = secured(merged)
    merged["info"] = {**merged.get("info", {}), "title": "CRM API"}
    merged["x-crm-services"] = {b: ("reachable" if b in reachable else "unreachable") for b in bases}
    return merged
