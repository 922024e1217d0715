"""The route table of a Litestar app as test cases: every (method, path) and the roles its guards allow.

The authorization matrix (``tests/test_authorization_matrix.py``) and the journeys through the gateway
walk it, so a new route is checked without a new test.
"""

from __future__ import annotations

import inspect
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

from litestar import Litestar
from litestar.routes import HTTPRoute

OPEN = re.compile(r"^/(healthz|readyz|schema)")
"""What a service's identity middleware leaves open (``crm_kit.identity.IdentityMiddleware``)."""

_PARAM = re.compile(r"\{(\w+):(\w+)\}")


def _sample(kind: str) -> str:
    """A value of a path parameter's type: a fresh uuid names nothing, so reads answer 404 after the checks."""
    if kind == "uuid":
        return str(uuid.uuid4())
    return "1" if kind == "int" else "x"


@dataclass(frozen=True)
class Endpoint:
    """One method of one route, and the roles its ``requires_role`` guards allow (None: no role guard)."""

    method: str
    path: str
    roles: frozenset[str] | None

    def url(self) -> str:
        """The path with a plausible value for each parameter (a random id names nothing)."""
        return _PARAM.sub(lambda m: _sample(m.group(2)), self.path)


def _roles(guards: list[object], where: str) -> frozenset[str] | None:
    """The roles every ``requires_role`` guard allows together.

    Raises:
        AssertionError: a guard of another kind, which the matrix cannot reason about.
    """
    allowed: frozenset[str] | None = None
    for guard in guards:
        if getattr(guard, "__qualname__", "") != "requires_role.<locals>.guard":
            raise AssertionError(f"{where}: a guard the matrix does not know ({guard!r}): teach crm_kit.testing.routes")
        roles = frozenset(inspect.getclosurevars(guard).nonlocals["roles"])  # type: ignore[arg-type]
        allowed = roles if allowed is None else allowed & roles
    return allowed


def endpoints(app: Litestar, *, skip: re.Pattern[str] = OPEN) -> Iterator[Endpoint]:
    """Every (method, route) of an app but the open ones, with the roles its guards allow."""
    for route in app.routes:
        if not isinstance(route, HTTPRoute) or skip.match(route.path):
            continue
        for handler in route.route_handlers:
            for method in sorted(handler.http_methods - {"HEAD", "OPTIONS"}):
                guards = [g for layer in handler.ownership_layers for g in (getattr(layer, "guards", None) or [])]
                yield Endpoint(method, route.path, _roles(guards, f"{method} {route.path}"))
