"""Routing of ``/api/<segment>/...`` to the service that owns the segment, as the calling user."""

from __future__ import annotations

import asyncio
import json
import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import unquote

import httpx

from crm_gateway.domain.users import User
from crm_kit.http import BLOB_REFS_PATH, SERVER_KEEP_ALIVE_SECONDS
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


class BadTarget(Exception):
    """A path or query the gateway will not pass on: the caller gets 400 with the reason."""


# On the wire a URL is printable ASCII; everything else arrives percent-encoded from a well-behaved client.
_WIRE = re.compile(r"[\x21-\x7e]*")
# An encoded / or \ would let one path segment read as two at the service (or not, depending on who decodes).
_ENCODED_SEPARATOR = re.compile(r"%(2f|5c)", re.IGNORECASE)
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def check_target(path: str, query: str) -> None:
    """Refuse a path or query that is not a plain URL, before it reaches httpx or a service.

    Args:
        path: the path as sent on the wire (percent-encoded).
        query: the query string as sent on the wire.

    Raises:
        BadTarget: non-ASCII or unprintable bytes, an encoded slash or backslash, a control character once
            decoded, or a ``.``/``..`` segment.
    """
    if not _WIRE.fullmatch(path) or not _WIRE.fullmatch(query):
        raise BadTarget("the URL must be printable ASCII; percent-encode anything else")
    if "\\" in path or _ENCODED_SEPARATOR.search(path):
        raise BadTarget("a path segment may not contain a slash or a backslash, encoded or not")
    decoded = unquote(path)
    if _CONTROL.search(decoded) or _CONTROL.search(unquote(query)):
        raise BadTarget("the URL contains a control character")
    if any(part in (".", "..") for part in decoded.split("/")):
        raise BadTarget("a path may not contain . or .. segments")


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
        # Idle pooled connections are dropped well before the services close them (SERVER_KEEP_ALIVE_SECONDS):
        # a request never goes out on a connection the service is closing at that moment.
        self.client = httpx.AsyncClient(
            timeout=httpx.Timeout(timeout, connect=3.0),
            limits=httpx.Limits(
                max_connections=100, max_keepalive_connections=20, keepalive_expiry=SERVER_KEEP_ALIVE_SECONDS / 3
            ),
            follow_redirects=False,
        )

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

    async def link_staff_login(self, caller: User, staff_id: str, username: str) -> bool:
        """Copy a new user's login onto the staff member it is linked to (partners' ``user_login``).

        The gateway's users table is the source of truth for the link (authorization reads it); the staff record
        carries the login so the other services (notifier preferences, tasks) and the staff directory see it. A
        failure (partners down, the login on someone else) is logged, never undoes the user: True when copied.
        """
        body = json.dumps({"user_login": username}).encode()
        headers = {"content-type": "application/json", "idempotency-key": f"user-login.{staff_id}.{username}"}
        try:
            answer = await self.forward(caller, "PATCH", f"/api/staff/{staff_id}", headers=headers, content=body)
        except (UnknownRoute, ServiceUnavailable, BadTarget) as exc:
            log.warning("the login %r was not copied to staff member %s: %s", username, staff_id, exc)
            return False
        if answer.status_code >= 300:
            log.warning("the login %r was not copied to staff member %s: %s", username, staff_id, answer.status_code)
            return False
        return True

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

        Args:
            user: the caller, passed on as an identity token.
            method: the HTTP method.
            path: the path as sent on the wire (percent-encoded, as the service will decode it).
            query: the query string as sent on the wire.
            headers: the caller's headers (hop-by-hop and credential headers are dropped).
            content: the request body.

        Raises:
            BadTarget: a path or query that is not a plain URL.
            UnknownRoute: no service owns the path.
            ServiceUnavailable: the service is down or too slow.
        """
        qs = query.decode("latin-1") if isinstance(query, bytes) else query
        check_target(path, qs)
        target = self.target(path)
        out_headers = {k: v for k, v in (headers or {}).items() if k.lower() not in _DROP_REQUEST}
        out_headers.update(self.identity_headers(user, target.service))
        response = await self.send(
            target, method, path + (f"?{qs}" if qs else ""), headers=out_headers, content=content
        )
        kept = {k: v for k, v in response.headers.items() if k.lower() in _KEEP_RESPONSE}
        return Forwarded(response.status_code, response.content, kept)

    async def send(self, target: Target, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """Send one request to a target's service over the pooled client; its answer whatever the status.

        Args:
            target: where the path goes (``target``).
            method: the HTTP method.
            path: the path (and query) to append to the service's base URL.
            **kwargs: what ``httpx.AsyncClient.request`` takes (headers, content, json, params, files, data).

        Raises:
            BadTarget: a URL httpx refuses.
            ServiceUnavailable: the service is down or too slow.
        """
        segment, base = target.segment, target.base
        try:
            return await self.client.request(method, f"{base}{path}", **kwargs)
        except httpx.InvalidURL as exc:  # check_target should have caught it; still the caller's URL, not a 500
            raise BadTarget(f"the URL is not valid: {exc}") from None
        except httpx.TimeoutException:
            raise ServiceUnavailable(segment, base, "it did not answer in time") from None
        except httpx.ConnectError:
            raise ServiceUnavailable(segment, base, "it refused the connection (not running?)") from None
        except httpx.TransportError as exc:
            raise ServiceUnavailable(segment, base, f"the connection failed ({type(exc).__name__})") from None

    async def may_read_blob(self, user: User, sha256: str) -> bool:
        """Whether the user may read a record that references the blob, asked of every service at once.

        Admins read every record, so every blob. For anyone else each service answers
        ``GET /blob-refs/{sha256}`` (200: a record of mine you may read references it); the first
        yes wins. A service that does not answer counts as a no, unless no service said yes and
        one did not answer: then the answer is unknown, not "forbidden".

        Raises:
            ServiceUnavailable: no service said yes and at least one did not answer.
        """
        if user.role == "admin":
            return True
        services = sorted(self.service_urls.items())

        async def ask(service: str, base: str) -> bool | None:
            headers = self.identity_headers(user, service)  # each service accepts only tokens addressed to it
            try:
                response = await self.client.get(f"{base}{BLOB_REFS_PATH}/{sha256}", headers=headers)
            except httpx.TransportError:
                return None
            return response.status_code == 200

        answers = await asyncio.gather(*(ask(service, base) for service, base in services))
        if any(answers):
            return True
        silent = [base for (_, base), answer in zip(services, answers, strict=True) if answer is None]
        if silent:
            raise ServiceUnavailable("blobs", silent[0], "it could not say who may read this file")
        return False

    async def get_json(self, url: str) -> Any:
        """GET an open URL of a service (its OpenAPI schema) and parse the JSON."""
        response = await self.client.get(url, timeout=3.0)
        response.raise_for_status()
        return response.json()

    async def close(self) -> None:
        await self.client.aclose()
