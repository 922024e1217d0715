"""An ASGI guard that answers 400 to a JSON body nested deeper than a bound, before anything decodes it.

Why a middleware and not an exception handler for ``RecursionError``: msgspec (and pydantic, and any code that
walks the decoded value) fail at different depths, some far deeper than a real document ever goes, and a
``RecursionError`` raised anywhere else would be mislabelled as the client's fault. Checking the raw bytes first
gives one clear bound for every service and the gateway, and the decoders never see such a body.

The check costs two ``bytes.count`` calls for a body with few brackets (nearly all bodies); only a body with more
than ``max_depth`` opening brackets is scanned byte by byte.
"""

from __future__ import annotations

import json
from itertools import accumulate

from litestar.enums import ScopeType
from litestar.types import ASGIApp, HTTPRequestEvent, Receive, ReceiveMessage, Scope, Send

MAX_DEPTH = 64
"""Deeper than any document of this API (they nest three or four levels)."""

MAX_JSON_BYTES = 10 * 1024 * 1024
"""A JSON body larger than this is refused with 413 without being buffered further (Litestar's own default)."""

_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
_STEPS = bytes.maketrans(b"[{]}", b"\x01\x01\xff\xff")  # +1 and -1 as signed bytes


def json_depth(body: bytes) -> int:
    """The deepest nesting of arrays and objects in a JSON text (brackets inside strings do not count)."""
    if body.count(b"[") + body.count(b"{") == 0:
        return 0
    # Drop escaped backslashes, then escaped quotes (left to right, as JSON reads them): every quote left
    # opens or closes a string, so the even pieces between quotes are what lies outside strings.
    unescaped = body.replace(b"\\\\", b"").replace(b'\\"', b"")
    outside = b"".join(unescaped.split(b'"')[::2])
    steps = outside.translate(None, _NOT_BRACKETS).translate(_STEPS)
    return max(0, max(accumulate(memoryview(steps).cast("b")), default=0))


def too_deep(body: bytes, max_depth: int = MAX_DEPTH) -> bool:
    """Whether a JSON text nests deeper than ``max_depth``."""
    if body.count(b"[") + body.count(b"{") <= max_depth:
        return False
    return json_depth(body) > max_depth


# Bodies that are never decoded as JSON. Every other body is checked, a missing or wrong content type too:
# Litestar decodes a JSON ``data`` parameter whatever the request's content type says.
_NOT_JSON = (b"multipart/form-data", b"application/x-www-form-urlencoded", b"application/octet-stream")


def _may_be_json(scope: Scope) -> bool:
    if scope["type"] != ScopeType.HTTP or scope["method"] in ("GET", "HEAD", "OPTIONS"):
        return False
    for name, value in scope.get("headers", ()):
        if name == b"content-type":
            return value.split(b";", 1)[0].strip().lower() not in _NOT_JSON
    return True


class JsonDepthMiddleware:
    """Refuses (400) a request body nested deeper than ``max_depth``; uploads and bodiless requests pass untouched."""

    def __init__(self, app: ASGIApp, max_depth: int = MAX_DEPTH, max_bytes: int = MAX_JSON_BYTES) -> None:
        self.app = app
        self.max_depth = max_depth
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not _may_be_json(scope):
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":  # the client went away: let the app see it
                await self.app(scope, _replay([], message, receive), send)
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                await _refuse(send, 413, f"a JSON body may be at most {self.max_bytes} bytes")
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        if too_deep(body, self.max_depth):
            await _refuse(send, 400, f"the JSON body nests deeper than {self.max_depth} levels")
            return
        await self.app(scope, _replay([body], None, receive), send)


def _replay(bodies: list[bytes], pending: ReceiveMessage | None, receive: Receive) -> Receive:
    """A ``receive`` that first hands out the buffered body (or message), then defers to the real one."""
    queue: list[ReceiveMessage] = [HTTPRequestEvent(type="http.request", body=b, more_body=False) for b in bodies]
    if pending is not None:
        queue.append(pending)

    async def replay() -> ReceiveMessage:
        if queue:
            return queue.pop(0)
        return await receive()

    return replay


async def _refuse(send: Send, status: int, detail: str) -> None:
    payload = json.dumps({"status_code": status, "detail": detail, "extra": {}}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": payload, "more_body": False})


__all__ = ["MAX_DEPTH", "JsonDepthMiddleware", "json_depth", "too_deep"]
