"""Idempotency keys on HTTP writes: a retried request with the same ``Idempotency-Key`` has one effect (ADR 0008).

The key row is written by the first unit of work of the handler (``store.begin_hook``), so it is committed
with the effect or not at all; the response is added to the row once the handler has returned, before it is
sent. A retry with the same key and the same request gets the stored response back
(``Idempotent-Replayed: true``); another request under the same key is a 422; a key whose first request has
not answered yet (still running, or its process died between commit and response) is a 409.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import time
from collections.abc import Awaitable, Callable, Mapping
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from litestar.enums import ParamType
from litestar.openapi.spec import OpenAPI, Operation, Parameter, Schema
from litestar.openapi.spec.enums import OpenAPIType
from litestar.types import ASGIApp
from sqlalchemy.ext.asyncio import AsyncConnection

from crm_kit.errors import Conflict
from crm_kit.identity import Identity
from crm_kit.store import Database, begin_hook, dialect_insert

HEADER = "idempotency-key"
REPLAYED = "idempotent-replayed"
# ``extra.state`` of the 409/422 answers, for clients that act on them (the web UI waits for IN_PROGRESS).
IN_PROGRESS = "in_progress"
RESPONSE_LOST = "response_lost"
REUSED = "reused"
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
MAX_KEY_LENGTH = 255
KEEP = timedelta(hours=24)
"""How long a key is remembered (per user), as Stripe does."""
IN_PROGRESS_FOR = timedelta(minutes=2)
"""A key without a response younger than this is taken as still being processed; older, as a lost response."""
MAX_STORED_BODY = 1 << 20
"""Responses larger than this are not kept (write routes answer with small JSON bodies)."""
DEFAULT_MAX_BODY = 11 * 1024 * 1024
"""A keyed request's body is read whole before the app sees it: more than this is refused (413)."""
_PURGE_EVERY_SECONDS = 3600.0


class MalformedKey(Exception):
    """A malformed Idempotency-Key header."""


def check_key(value: str) -> str:
    """The key if it is 1..255 printable ASCII characters (no control characters).

    Raises:
        MalformedKey: empty, too long, or with a control or non-ASCII character (the request gets a 400).
    """
    if not value:
        raise MalformedKey("Idempotency-Key is empty")
    if len(value) > MAX_KEY_LENGTH:
        raise MalformedKey(f"Idempotency-Key is longer than {MAX_KEY_LENGTH} characters")
    if any(not (0x20 <= ord(ch) <= 0x7E) for ch in value):
        raise MalformedKey("Idempotency-Key may hold only printable ASCII characters (no control characters)")
    return value


def request_hash(method: str, path: str, query: bytes, body: bytes) -> str:
    """What "the same request" means: method, path, query string and body, hashed."""
    digest = hashlib.sha256()
    for part in (method.encode(), path.encode(), query, body):
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.hexdigest()


@dataclass
class Pending:
    """One keyed request being handled: what its first unit of work writes."""

    db: Database
    table: sa.Table
    user_id: str
    key: str
    request_hash: str
    method: str
    path: str
    claimed: bool = False
    purge: Callable[[], bool] = field(default=lambda: False)


# Plain ASGI shapes: the middleware handles http messages only, as dictionaries.
Scope = Mapping[str, Any]
Message = dict[str, Any]
Receive = Callable[[], Awaitable[Any]]
Send = Callable[[Any], Awaitable[None]]

_current: ContextVar[Pending | None] = ContextVar("crm_idempotency_pending", default=None)
"""The keyed request the running task handles (the unit-of-work hook reads it)."""


async def _claim(db: Database, conn: AsyncConnection, pending: Pending) -> Callable[[], None] | None:
    """Write the key row in the request's first unit of work; a twin that committed first makes this a 409."""
    if pending.claimed or pending.db is not db:
        return None
    now = datetime.now(UTC)
    table = pending.table
    if pending.purge():
        await conn.execute(table.delete().where(table.c.created_at < now - KEEP))
    else:  # an expired row of this very key must not block its reuse
        await conn.execute(
            table.delete().where(
                table.c.user_id == pending.user_id, table.c.key == pending.key, table.c.created_at < now - KEEP
            )
        )
    insert = (
        dialect_insert(conn)(table)
        .values(
            user_id=pending.user_id,
            key=pending.key,
            request_hash=pending.request_hash,
            method=pending.method,
            path=pending.path[:2000],
            created_at=now,
        )
        .on_conflict_do_nothing(index_elements=["user_id", "key"])
        .returning(table.c.key)
    )
    # ON CONFLICT waits for a concurrent twin's transaction: the loser does nothing and answers 409.
    if (await conn.execute(insert)).first() is None:
        raise Conflict(
            "a request with this Idempotency-Key is already being processed or was just carried out; "
            "retry it in a moment to get its response",
            idempotency_key=pending.key,
            state=IN_PROGRESS,
        )

    def committed() -> None:
        pending.claimed = True

    return committed


async def _begin(db: Database, conn: AsyncConnection) -> Callable[[], None] | None:
    pending = _current.get()
    return None if pending is None else await _claim(db, conn, pending)


def _json(status: int, detail: str, **extra: object) -> tuple[int, bytes]:
    return status, json.dumps({"status_code": status, "detail": detail, "extra": extra}).encode()


class IdempotencyMiddleware:
    """ASGI middleware: the Idempotency-Key semantics on every write route of a service.

    Sits after the identity middleware (keys are kept per user). Requests without the header pass
    through untouched.
    """

    def __init__(
        self, app: ASGIApp, db: Database, pause_after_commit: float = 0.0, max_body: int = DEFAULT_MAX_BODY
    ) -> None:
        self.app: Callable[[Any, Any, Any], Awaitable[None]] = app
        self.db = db
        self.table = db.metadata.tables["idempotency_keys"]
        self.pause_after_commit = pause_after_commit
        self.max_body = max_body
        self._purged_at = 0.0

    def _purge_due(self) -> bool:
        now = time.monotonic()
        if now - self._purged_at < _PURGE_EVERY_SECONDS:
            return False
        self._purged_at = now
        return True

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in WRITE_METHODS:
            await self.app(scope, receive, send)
            return
        raw = _header(scope, HEADER.encode())
        user = scope.get("user")
        if raw is None or not isinstance(user, Identity):
            await self.app(scope, receive, send)
            return
        try:
            key = check_key(raw.decode("latin-1"))
        except MalformedKey as exc:
            await _answer(send, *_json(400, str(exc)))
            return
        try:
            body, more = await _read_body(receive, self.max_body)
        except _TooLarge:
            await _answer(send, *_json(413, f"the request body is over {self.max_body} bytes"))
            return
        digest = request_hash(scope["method"], scope["path"], scope.get("query_string", b""), _comparable(scope, body))
        if await self._replayed(send, user.user_id, key, digest):
            return
        pending = Pending(
            self.db, self.table, user.user_id, key, digest, scope["method"], scope["path"], purge=self._purge_due
        )
        captured = _Captured()
        token = _current.set(pending)
        hook_token = begin_hook.set(_begin)
        try:
            await self.app(scope, _replay_body(body, more, receive), captured.send)
        finally:
            begin_hook.reset(hook_token)
            _current.reset(token)
        if pending.claimed:
            if self.pause_after_commit:  # tests: a window between commit and response to kill the process in
                await asyncio.sleep(self.pause_after_commit)
            await self._record(pending, captured)
        elif captured.status is not None and captured.status < 400:
            # The handler changed nothing in this database (its effect, if any, is elsewhere): keep the answer.
            await self._record(pending, captured, insert=True)
        await captured.flush(send)

    async def _replayed(self, send: Send, user_id: str, key: str, digest: str) -> bool:
        """Answer from a stored key (replay, 422, 409); False if the key is new (or expired)."""
        table = self.table
        async with self.db.read() as conn:
            row = (await conn.execute(sa.select(table).where(table.c.user_id == user_id, table.c.key == key))).first()
        now = datetime.now(UTC)
        if row is None or _aware(row.created_at) < now - KEEP:
            return False
        if row.request_hash != digest:
            await _answer(
                send,
                *_json(
                    422,
                    "this Idempotency-Key was already used for another request (a different method, path or body); "
                    "use a new key for a new request",
                    idempotency_key=key,
                    state=REUSED,
                    first_request=f"{row.method} {row.path}",
                ),
            )
            return True
        if row.status_code is None or row.completed_at is None:
            if row.completed_at is None and _aware(row.created_at) > now - IN_PROGRESS_FOR:
                state, detail = (
                    IN_PROGRESS,
                    "a request with this Idempotency-Key is still being processed; retry in a moment",
                )
            else:
                state, detail = (
                    RESPONSE_LOST,
                    (
                        "the request with this Idempotency-Key was carried out, but its response was lost "
                        "(or too large to keep); look the record up (GET) instead of sending it again"
                    ),
                )
            await _answer(send, *_json(409, detail, idempotency_key=key, state=state))
            return True
        headers = [(REPLAYED.encode(), b"true")]
        await _answer(send, row.status_code, row.response_body or b"", row.content_type, headers)
        return True

    async def _record(self, pending: Pending, captured: _Captured, *, insert: bool = False) -> None:
        """Keep the response with its key (a second small write: the effect is committed already)."""
        if captured.status is None:
            return
        body = bytes(captured.body)
        values: dict[str, Any] = {"completed_at": datetime.now(UTC)}
        if len(body) <= MAX_STORED_BODY:
            values |= {"status_code": captured.status, "content_type": captured.content_type, "response_body": body}
        table = self.table
        async with self.db.transaction(hooks=False) as conn:
            if insert:
                statement = (
                    dialect_insert(conn)(table)
                    .values(
                        user_id=pending.user_id,
                        key=pending.key,
                        request_hash=pending.request_hash,
                        method=pending.method,
                        path=pending.path[:2000],
                        created_at=datetime.now(UTC),
                        **values,
                    )
                    .on_conflict_do_nothing(index_elements=["user_id", "key"])
                )
                await conn.execute(statement)
            else:
                await conn.execute(
                    table.update()
                    .where(table.c.user_id == pending.user_id, table.c.key == pending.key)
                    .values(**values)
                )


class _Captured:
    """A response held back until its key row has it (so an immediate retry finds it)."""

    def __init__(self) -> None:
        self.messages: list[Message] = []
        self.status: int | None = None
        self.content_type: str | None = None
        self.body = bytearray()

    async def send(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.status = int(message["status"])
            for name, value in message.get("headers", []):
                if bytes(name).lower() == b"content-type":
                    self.content_type = bytes(value).decode("latin-1")[:200]
        elif message["type"] == "http.response.body":
            self.body += message.get("body", b"")
        self.messages.append(message)

    async def flush(self, send: Send) -> None:
        for message in self.messages:
            await send(message)


def _header(scope: Scope, name: bytes) -> bytes | None:
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            return bytes(value)
    return None


def _comparable(scope: Scope, body: bytes) -> bytes:
    """The body as compared between a request and its retry: a multipart body without its boundary.

    A client that builds the same upload again picks a new random boundary; the parts are the same.
    """
    content_type = (_header(scope, b"content-type") or b"").decode("latin-1")
    if not content_type.lower().startswith("multipart/"):
        return body
    for param in content_type.split(";")[1:]:
        name, _, value = param.strip().partition("=")
        if name.lower() == "boundary" and value.strip('"'):
            return body.replace(value.strip('"').encode("latin-1"), b"")
    return body


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


class _TooLarge(Exception):
    """A keyed request's body over the limit (it is held in memory to be hashed)."""


async def _read_body(receive: Receive, limit: int) -> tuple[bytes, list[Message]]:
    """The whole request body (to hash it), plus any message received after it (a disconnect)."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return b"".join(chunks), [message]
        chunks.append(message.get("body", b""))
        size += len(chunks[-1])
        if size > limit:
            raise _TooLarge
        if not message.get("more_body", False):
            return b"".join(chunks), []


def _replay_body(body: bytes, after: list[Message], receive: Receive) -> Receive:
    """A ``receive`` that hands the app the body already read, then the real channel."""
    queue: list[Message] = [{"type": "http.request", "body": body, "more_body": False}, *after]

    async def replay() -> Any:
        if queue:
            return queue.pop(0)
        return await receive()

    return replay


async def _answer(
    send: Send,
    status: int,
    body: bytes,
    content_type: str | None = "application/json",
    extra_headers: list[tuple[bytes, bytes]] | None = None,
) -> None:
    headers = [(b"content-length", str(len(body)).encode())]
    if content_type:
        headers.append((b"content-type", content_type.encode("latin-1")))
    headers.extend(extra_headers or [])
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body, "more_body": False})


def document_header(openapi: OpenAPI) -> None:
    """Add the optional ``Idempotency-Key`` header parameter to every write operation of a schema."""
    parameter = Parameter(
        name="Idempotency-Key",
        param_in=ParamType.HEADER,
        required=False,
        description=(
            "A unique key per intended write (a UUID). A retry with the same key and request gets the first "
            "response again (header Idempotent-Replayed: true) instead of a second effect; the same key with "
            "another request is a 422, one still being processed a 409. Keys are kept 24 hours per user."
        ),
        schema=Schema(type=OpenAPIType.STRING, max_length=MAX_KEY_LENGTH),
    )
    for item in (openapi.paths or {}).values():
        operations: Mapping[str, Operation | None] = {
            "post": item.post,
            "put": item.put,
            "patch": item.patch,
            "delete": item.delete,
        }
        for operation in operations.values():
            if operation is None:
                continue
            existing = operation.parameters or []
            if not any(getattr(p, "name", "").lower() == HEADER for p in existing):
                operation.parameters = [*existing, parameter]
