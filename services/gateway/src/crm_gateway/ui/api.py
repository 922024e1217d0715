"""``ApiClient``: how a page handler calls the JSON API as the logged-in user, in-process."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

from crm_gateway.auth.tokens import ACCESS, TokenIssuer
from crm_gateway.domain.users import User
from crm_gateway.ui.i18n import N_
from crm_kit.idempotency import IN_PROGRESS, RESPONSE_LOST, REUSED

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


class ApiClient:
    """Calls ``/api/...`` through the gateway app itself (ASGI, no network hop) as ``user``.

    Every method returns the parsed JSON (``None`` for an empty body) and raises ``ApiError`` on a 4xx/5xx.

    ``idempotency_key`` is the key of the form being submitted (one per rendering of the form): the n-th
    write this client sends carries ``<key>.<n>`` as its ``Idempotency-Key``, so a resubmitted form makes
    the same calls under the same keys and creates nothing twice.
    """

    def __init__(self, app: Any, user: User, tokens: TokenIssuer, idempotency_key: str | None = None) -> None:
        self.user = user
        self.idempotency_key = idempotency_key
        self._writes = 0
        self._client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app),
            base_url="http://gateway.internal",
            headers={"authorization": f"Bearer {tokens.issue(user, ACCESS)}"},
            timeout=60.0,
        )

    async def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """The raw response (for PDFs and files); raises ``ApiError`` on a 4xx/5xx."""
        if not path.startswith("/api/"):
            raise ValueError(f"ApiClient calls /api/... paths, not {path!r}")
        if self.idempotency_key and method.upper() in _WRITES:
            self._writes += 1
            headers = dict(kwargs.pop("headers", None) or {})
            headers.setdefault(IDEMPOTENCY_HEADER, f"{self.idempotency_key}.{self._writes}")
            kwargs["headers"] = headers
        response = await self._client.request(method, path, **kwargs)
        if self.idempotency_key and _idempotency_state(response) == IN_PROGRESS:
            # A double click: the first submit is still running; wait for it and answer with its response.
            for _ in range(_IN_PROGRESS_WAITS):
                await asyncio.sleep(_IN_PROGRESS_PAUSE)
                response = await self._client.request(method, path, **kwargs)
                if _idempotency_state(response) != IN_PROGRESS:
                    break
        if response.status_code >= 400:
            raise _error(response)
        return response

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
        await self._client.aclose()


def _clean(params: dict[str, Any] | None) -> dict[str, Any] | None:
    if params is None:
        return None
    return {k: v for k, v in params.items() if v is not None and v != ""}
