"""The gateway's own ``/api`` routes (users, blobs) as the web UI calls them: in-process, straight to the use cases.

A page's ``ApiClient`` sends ``/api/users...`` and ``/api/blobs`` here instead of through the gateway's ASGI app,
so no bearer token is minted and verified for it. The answers are those of ``api/users.py`` and ``api/blobs.py``
(same status codes, bodies and error details), built as ``httpx.Response`` objects so that the client treats
them like a service's answer.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Mapping
from typing import Any
from uuid import UUID

import httpx

from crm_gateway.api.schemas import BlobOut, TokenResponse, UserOut, UserPage
from crm_gateway.domain.users import User
from crm_gateway.routing import Forwarder
from crm_gateway.service_layer import BadCredentials, ChangePassword, CreateUser, Throttled, UseCases
from crm_kit.blobs import BlobError, BlobStore
from crm_kit.errors import DomainError
from crm_kit.pagination import MAX_LIMIT, MAX_OFFSET

OWN_SEGMENTS = frozenset({"users", "auth", "blobs", "schema", "stream", "healthz"})
"""First path segments after ``/api/`` that the gateway serves itself (every other one belongs to a service)."""


class _Refused(Exception):
    """An answer of 4xx with this detail (the status and text the HTTP route would give).

    A ``code`` (with its ``params``) travels in ``extra`` as a service's would (``crm_kit.errors``), so the page
    names the refusal in the user's language.
    """

    def __init__(
        self,
        status: int,
        detail: str,
        headers: Mapping[str, str] | None = None,
        *,
        code: str | None = None,
        params: Mapping[str, object] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.headers = dict(headers or {})
        self.extra: dict[str, object] = {} if code is None else {"code": code, "params": dict(params or {})}


def _answer(status: int, body: Any, headers: Mapping[str, str] | None = None) -> httpx.Response:
    return httpx.Response(status, json=body, headers=headers)


def _admin(user: User) -> None:
    if user.role != "admin":
        raise _Refused(403, "this action needs the role admin")


def _bounded(params: Mapping[str, Any] | None, key: str, default: int, low: int, high: int) -> int:
    raw = (params or {}).get(key, default)
    try:
        value = int(raw)
    except (TypeError, ValueError):
        raise _Refused(400, f"{key} must be a whole number") from None
    if not low <= value <= high:
        raise _Refused(400, f"{key} must be between {low} and {high}")
    return value


def _fields(body: Any, required: tuple[str, ...], optional: tuple[str, ...] = ()) -> dict[str, Any]:
    """The JSON object's fields, each a string (or None for an optional one), as the route's schema asks."""
    if not isinstance(body, dict):
        raise _Refused(400, "the body must be a JSON object")
    for key in required:
        if not isinstance(body.get(key), str):
            raise _Refused(400, f"{key} is required and must be a string")
    for key in optional:
        if body.get(key) is not None and not isinstance(body.get(key), str):
            raise _Refused(400, f"{key} must be a string")
    return body


class OwnApi:
    """The gateway's own routes that pages call, answered by the use cases and the blob store.

    Args:
        uses: the gateway's use cases.
        blobs: the shared blob store (uploads from forms).
        forwarder: the routes to the services (a new user's login goes onto its staff record, as ``api/users.py``).
    """

    def __init__(self, uses: UseCases, blobs: BlobStore, forwarder: Forwarder) -> None:
        self.uses = uses
        self.blobs = blobs
        self.forwarder = forwarder

    async def call(self, user: User, address: str, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """Answer one ``/api`` call of a page as the route in ``api/`` would.

        Args:
            user: the session's user.
            address: the browser's address (the password throttle counts under it).
            method: the HTTP method.
            path: the path under ``/api``.
            **kwargs: the client's ``params``, ``json`` and ``files``.

        Returns:
            The answer; a refusal is a 4xx answer with ``{"detail": ...}``, never an exception.
        """
        try:
            return await self._route(user, address, method.upper(), path.rstrip("/"), kwargs)
        except _Refused as exc:
            body = {"status_code": exc.status, "detail": exc.detail}
            return _answer(exc.status, {**body, "extra": exc.extra} if exc.extra else body, exc.headers)
        except DomainError as exc:
            body = {"status_code": exc.status_code, "detail": exc.message, "extra": exc.extra}
            return _answer(exc.status_code, body)

    async def _route(self, user: User, address: str, method: str, path: str, kwargs: dict[str, Any]) -> httpx.Response:
        if (method, path) == ("GET", "/api/users/me"):
            stored = await self.uses.user(user.id)
            return _answer(200, dataclasses.asdict(UserOut.of(stored or user)))
        if (method, path) == ("GET", "/api/users"):
            _admin(user)
            limit = _bounded(kwargs.get("params"), "limit", 50, 1, MAX_LIMIT)
            offset = _bounded(kwargs.get("params"), "offset", 0, 0, MAX_OFFSET)
            users, total = await self.uses.users(limit, offset)
            return _answer(200, dataclasses.asdict(UserPage([UserOut.of(u) for u in users], total)))
        if (method, path) == ("POST", "/api/users"):
            _admin(user)
            created = await self.uses.create_user(_create(kwargs.get("json")))
            if created.staff_id:
                await self.forwarder.link_staff_login(user, created.staff_id, created.username)
            return _answer(201, dataclasses.asdict(UserOut.of(created)))
        if (method, path) == ("PUT", "/api/users/me/password"):
            return await self._change_password(user, address, kwargs.get("json"))
        if (method, path) == ("POST", "/api/blobs"):
            return await self._upload(kwargs.get("files"))
        raise _Refused(404, f"the web pages do not call {method} {path} of the gateway")

    async def _change_password(self, user: User, address: str, json: Any) -> httpx.Response:
        body = _fields(json, ("current_password", "new_password"))
        command = ChangePassword(user.id, body["current_password"], body["new_password"], address)
        try:
            changed = await self.uses.change_password(command)
        except BadCredentials:
            raise _Refused(403, "the current password is wrong", code="user.current_password_wrong") from None
        except Throttled as exc:
            raise _Refused(
                429,
                str(exc),
                {"retry-after": str(exc.retry_after)},
                code="user.throttled",
                params={"seconds": exc.retry_after},
            ) from None
        return _answer(200, dataclasses.asdict(TokenResponse(access_token=changed.access_token)))

    async def _upload(self, files: Any) -> httpx.Response:
        part = files.get("data") if isinstance(files, Mapping) else None
        content = part[1] if isinstance(part, tuple) and len(part) >= 2 else None
        if not isinstance(content, bytes):
            raise _Refused(400, "the file goes in the multipart part 'data'")
        if len(content) > self.blobs.max_bytes:
            raise _Refused(
                400,
                f"file too large: {len(content)} bytes, the limit is {self.blobs.max_bytes}",
                code="file.too_large",
                params={
                    "size_mb": f"{len(content) / 1_048_576:.2f}",
                    "limit_mb": f"{self.blobs.max_bytes / 1_048_576:.2f}",
                },
            )
        try:
            digest = await asyncio.to_thread(self.blobs.put, content)
        except BlobError as exc:
            raise _Refused(400, str(exc)) from None
        return _answer(201, dataclasses.asdict(BlobOut(digest, len(content))))


def _create(json: Any) -> CreateUser:
    body = _fields(json, ("username", "password", "role"), ("staff_id", "language"))
    staff_id = body.get("staff_id")
    if staff_id is not None:
        try:
            staff_id = str(UUID(staff_id))
        except ValueError:
            raise _Refused(400, "staff_id must be a UUID") from None
    return CreateUser(body["username"], body["password"], body["role"], staff_id, body.get("language"))
