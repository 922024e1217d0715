"""Routing of ``/api/<segment>/...`` to the service that owns the segment, as the calling user."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx

from crm_gateway.domain.users import User
from crm_kit.identity import HEADER, Identity, issue

log = logging.getLogger(__name__)

# Headers that describe one hop (or carry the user's own credentials) and are never passed on.
_DROP_REQUEST = {
    "host",
    "connection",
    "keep-alive",
    "proxy-authorization",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "authorization",
    "cookie",
    "content-length",
    HEADER,
}
_KEEP_RESPONSE = {
    "content-type",
    "content-disposition",
    "location",
    "cache-control",
    "etag",
    "last-modified",
    "idempotent-replayed",  # a retry's answer says it is the first one's (Idempotency-Key passes through as is)
}


class UnknownRoute(Exception):
    """No service owns this path."""


class ServiceUnavailable(Exception):
    """The owning service did not answer."""

    def __init__(self, segment: str, base_url: str, reason: str) -> None:
        super().__init__(f"the service for /api/{segment} ({base_url}) is not reachable: {reason}; try again shortly")
        self.segment = segment
        self.base_url = base_url


@dataclass(frozen=True)
class Forwarded:
    """A service's answer, ready to be returned to the caller."""

    status_code: int
    content: bytes
    headers: dict[str, str]


def segment_of(path: str) -> str:
    """The first path segment after ``/api/`` (``/api/partners/1`` -> ``partners``)."""
    parts = path.split("?", 1)[0].strip("/").split("/")
    if len(parts) < 2 or parts[0] != "api":
        raise UnknownRoute(path)
    return parts[1]


def identity_of(user: User) -> Identity:
    return Identity(user_id=user.id, username=user.username, role=user.role, staff_id=user.staff_id)


@dataclass(frozen=True)
class Target:
    """Where a path goes: its segment, the owning service's name and that service's base URL."""

    segment: str
    service: str
    base: str


class Forwarder:
    """Sends a request to the owning service with the caller's identity token for that service added.

    Args:
        routes: first path segment -> service name.
        service_urls: service name -> base URL.
        identity_secret: the secret shared with the services.
        timeout: how long to wait for a service.
        identity_ttl: lifetime of the identity token sent with each request.
    """

    def __init__(
        self,
        routes: Mapping[str, str],
        service_urls: Mapping[str, str],
        identity_secret: str,
        timeout: float,
        identity_ttl: timedelta,
    ) -> None:
        self.routes = dict(routes)
        self.service_urls = {name: url.rstrip("/") for name, url in service_urls.items()}
        self.identity_secret = identity_secret
        self.identity_ttl = identity_ttl
        self.client = httpx.AsyncClient(timeout=httpx.Timeout(timeout, connect=3.0), follow_redirects=False)

    def target(self, path: str) -> Target:
        """The segment of a path, the service that owns it and its base URL.

        Raises:
            UnknownRoute: no service owns the segment.
        """
        segment = segment_of(path)
        service = self.routes.get(segment)
        base = self.service_urls.get(service) if service is not None else None
        if service is None or base is None:
            raise UnknownRoute(path)
        return Target(segment, service, base)

    def identity_headers(self, user: User, service: str) -> dict[str, str]:
        """The identity header for a call as ``user`` to ``service`` (the token's audience)."""
        return {HEADER: issue(identity_of(user), self.identity_secret, service, self.identity_ttl)}

    async def forward(
        self,
        user: User,
        method: str,
        path: str,
        *,
        query: str | bytes = b"",
        headers: Mapping[str, str] | None = None,
        content: bytes | None = None,
    ) -> Forwarded:
        """Send one request to the owning service and return its answer.

        Raises:
            UnknownRoute: no service owns the path.
            ServiceUnavailable: the service is down or too slow.
        """
        target = self.target(path)
        segment, base = target.segment, target.base
        out_headers = {k: v for k, v in (headers or {}).items() if k.lower() not in _DROP_REQUEST}
        out_headers.update(self.identity_headers(user, target.service))
        qs = query.decode() if isinstance(query, bytes) else query
        url = f"{base}{path}" + (f"?{qs}" if qs else "")
        try:
            response = await self.client.request(method, url, headers=out_headers, content=content)
        except httpx.TimeoutException:
            raise ServiceUnavailable(segment, base, "it did not answer in time") from None
        except httpx.ConnectError:
            raise ServiceUnavailable(segment, base, "it refused the connection (not running?)") from None
        except httpx.TransportError as exc:
            raise ServiceUnavailable(segment, base, f"the connection failed ({type(exc).__name__})") from None
        kept = {k: v for k, v in response.headers.items() if k.lower() in _KEEP_RESPONSE}
        return Forwarded(response.status_code, response.content, kept)

    async def get_json(self, url: str) -> Any:
        """GET an open URL of a service (its OpenAPI schema) and parse the JSON."""
        response = await self.client.get(url, timeout=3.0)
        response.raise_for_status()
        return response.json()

    async def close(self) -> None:
        await self.client.aclose()
