"""``ApiClient``: how a page handler calls the JSON API as the logged-in user: the services directly, in-process."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any, TypeVar, overload

import httpx

from crm_gateway.domain.users import User
from crm_gateway.routing import BadTarget, Forwarder, ServiceUnavailable, UnknownRoute, check_target, segment_of
from crm_gateway.ui.i18n import N_
from crm_gateway.ui.own_api import OWN_SEGMENTS, OwnApi
from crm_kit.idempotency import IN_PROGRESS, RESPONSE_LOST, REUSED

T1 = TypeVar("T1")
T2 = TypeVar("T2")
T3 = TypeVar("T3")
T4 = TypeVar("T4")
T5 = TypeVar("T5")
T6 = TypeVar("T6")

IDEMPOTENCY_HEADER = "Idempotency-Key"
_WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class ApiError(Exception):
    """A 4xx/5xx answer from the API; the layout shows ``detail`` to the user."""

    def __init__(self, status: int, detail: str, extra: Any = None) -> None:
        super().__init__(f"{status}: {detail}")
        self.status = status
        self.detail = detail
        self.extra = extra


_IN_PROGRESS_WAITS = 50
_IN_PROGRESS_PAUSE = 0.2
_IDEMPOTENCY_TEXTS = {
    IN_PROGRESS: N_("Formularul este încă în lucru; reîncărcați pagina peste câteva momente."),
    RESPONSE_LOST: N_("Formularul a fost deja trimis și salvat; căutați înregistrarea în listă."),
    REUSED: N_("Formularul a fost deja trimis cu alte date; reîncărcați pagina și completați-l din nou."),
}


def _idempotency_state(response: httpx.Response) -> str | None:
    """The ``extra.state`` of an Idempotency-Key refusal (409/422), else ``None``."""
    if response.status_code not in (409, 422):
        return None
    try:
        body = response.json()
    except ValueError:
        return None
    extra = body.get("extra") if isinstance(body, dict) else None
    state = extra.get("state") if isinstance(extra, dict) and "idempotency_key" in extra else None
    return state if isinstance(state, str) else None


def _error(response: httpx.Response) -> ApiError:
    detail: str = response.reason_phrase or "error"
    extra: Any = None
    try:
        body = response.json()
        if isinstance(body, dict):
            detail = str(body.get("detail") or detail)
            extra = body.get("extra")
            detail = _IDEMPOTENCY_TEXTS.get(_idempotency_state(response) or "", detail)
    except ValueError:
        if response.text:
            detail = response.text[:300]
    return ApiError(response.status_code, detail, extra)


class ApiClients:
    """Makes each page's ``ApiClient``; built once in the composition root, so connections are pooled.

    Args:
        forwarder: the gateway's routing table and its pooled HTTP client to the services.
        own: the gateway's own routes (users, blobs), answered in-process by the use cases.
    """

    def __init__(self, forwarder: Forwarder, own: OwnApi) -> None:
        self.forwarder = forwarder
        self.own = own

    def client(self, user: User, *, idempotency_key: str | None = None, address: str = "") -> ApiClient:
        """A client acting as ``user`` for one page request.

        Args:
            user: the session's user (the services get their identity token).
            idempotency_key: the submitted form's key (see ``ApiClient``).
            address: the browser's address (the password throttle counts under it).
        """
        return ApiClient(self, user, idempotency_key, address)


class ApiClient:
    """Calls ``/api/...`` as ``user``: a service's route goes straight to that service, a gateway route to its use case.

    A service is called over the gateway's pooled HTTP client with an identity token addressed to it, minted
    once per page request (not per call); the gateway's own routes (``/api/users``, ``/api/blobs``) are
    answered in-process. No bearer token is minted or checked on the way.

    Every method returns the parsed JSON (``None`` for an empty body) and raises ``ApiError`` on a 4xx/5xx.

    ``idempotency_key`` is the key of the form being submitted (one per rendering of the form): the n-th
    write this client sends carries ``<key>.<n>`` as its ``Idempotency-Key``, so a resubmitted form makes
    the same calls under the same keys and creates nothing twice.
    """

    def __init__(self, clients: ApiClients, user: User, idempotency_key: str | None = None, address: str = "") -> None:
        self.user = user
        self.idempotency_key = idempotency_key
        self.address = address
        self._clients = clients
        self._writes = 0
        self._identities: dict[str, dict[str, str]] = {}

    async def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """The raw response (for PDFs and files); raises ``ApiError`` on a 4xx/5xx."""
        if not path.startswith("/api/"):
            raise ValueError(f"ApiClient calls /api/... paths, not {path!r}")
        method = method.upper()
        if self.idempotency_key and method in _WRITES:
            self._writes += 1
            headers = dict(kwargs.pop("headers", None) or {})
            headers.setdefault(IDEMPOTENCY_HEADER, f"{self.idempotency_key}.{self._writes}")
            kwargs["headers"] = headers
        response = await self._send(method, path, kwargs)
        if self.idempotency_key and _idempotency_state(response) == IN_PROGRESS:
            # A double click: the first submit is still running; wait for it and answer with its response.
            for _ in range(_IN_PROGRESS_WAITS):
                await asyncio.sleep(_IN_PROGRESS_PAUSE)
                response = await self._send(method, path, kwargs)
                if _idempotency_state(response) != IN_PROGRESS:
                    break
        if response.status_code >= 400:
            raise _error(response)
        return response

    async def _send(self, method: str, path: str, kwargs: dict[str, Any]) -> httpx.Response:
        forwarder = self._clients.forwarder
        try:
            if segment_of(path) in OWN_SEGMENTS:
                call = {k: v for k, v in kwargs.items() if k != "headers"}
                return await self._clients.own.call(self.user, self.address, method, path, **call)
            check_target(path, "")
            target = forwarder.target(path)
            headers = {**self._identity(target.service), **(kwargs.get("headers") or {})}
            return await forwarder.send(target, method, path, **{**kwargs, "headers": headers})
        except BadTarget as exc:
            raise ApiError(400, str(exc)) from None
        except UnknownRoute:
            raise ApiError(404, f"no service serves {path}") from None
        except ServiceUnavailable as exc:
            raise ApiError(503, str(exc)) from None

    def _identity(self, service: str) -> dict[str, str]:
        # One identity token per service per page request: the same user, the same audience, for every call.
        if service not in self._identities:
            self._identities[service] = self._clients.forwarder.identity_headers(self.user, service)
        return self._identities[service]

    async def _json(self, method: str, path: str, **kwargs: Any) -> Any:
        response = await self.request(method, path, **kwargs)
        if not response.content:
            return None
        try:
            return response.json()
        except ValueError:
            return response.text

    async def get(self, path: str, params: dict[str, Any] | None = None) -> Any:
        """``GET path?params``; ``None`` values in params are left out."""
        return await self._json("GET", path, params=_clean(params))

    async def post(
        self,
        path: str,
        json: Any = None,
        *,
        params: dict[str, Any] | None = None,
        files: Any = None,
        data: dict[str, Any] | None = None,
    ) -> Any:
        """``POST`` a JSON body (or ``files``/``data`` as multipart)."""
        return await self._json("POST", path, json=json, params=_clean(params), files=files, data=data)

    async def put(self, path: str, json: Any = None) -> Any:
        return await self._json("PUT", path, json=json)

    async def patch(self, path: str, json: Any = None) -> Any:
        return await self._json("PATCH", path, json=json)

    async def delete(self, path: str) -> Any:
        return await self._json("DELETE", path)

    async def aclose(self) -> None:
        """Nothing to close: the connections are the gateway's pool, open for its lifetime."""


def _clean(params: dict[str, Any] | None) -> dict[str, Any] | None:
    if params is None:
        return None
    return {k: v for k, v in params.items() if v is not None and v != ""}


@overload
async def together(a: Awaitable[T1], b: Awaitable[T2], /) -> tuple[T1, T2]: ...
@overload
async def together(a: Awaitable[T1], b: Awaitable[T2], c: Awaitable[T3], /) -> tuple[T1, T2, T3]: ...
@overload
async def together(
    a: Awaitable[T1], b: Awaitable[T2], c: Awaitable[T3], d: Awaitable[T4], /
) -> tuple[T1, T2, T3, T4]: ...
@overload
async def together(
    a: Awaitable[T1], b: Awaitable[T2], c: Awaitable[T3], d: Awaitable[T4], e: Awaitable[T5], /
) -> tuple[T1, T2, T3, T4, T5]: ...
@overload
async def together(
    a: Awaitable[T1], b: Awaitable[T2], c: Awaitable[T3], d: Awaitable[T4], e: Awaitable[T5], f: Awaitable[T6], /
) -> tuple[T1, T2, T3, T4, T5, T6]: ...
async def together(*calls: Awaitable[Any]) -> tuple[Any, ...]:
    """A page's independent reads, run at the same time; their results in argument order.

    A page then takes as long as its slowest read, not as the sum of them. Every read is waited for, and
    the first failure in argument order is raised, so a page fails with the same error as when the reads
    ran one after the other. Only for reads: writes keep their order (their Idempotency-Keys count them).

    Args:
        *calls: The reads (coroutines of ``ApiClient`` calls or of helpers that make them).

    Returns:
        Each read's result, in the order given.
    """
    results = await asyncio.gather(*calls, return_exceptions=True)
    for result in results:
        if isinstance(result, BaseException):
            raise result
    return tuple(results)
