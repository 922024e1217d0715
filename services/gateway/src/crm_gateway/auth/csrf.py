"""Cross-site request forgery defences: the Origin/Referer check and the per-session token.

Every state-changing request (POST, PUT, PATCH, DELETE) from a browser of another origin is refused, including
another port of the same host (SameSite=Lax does not cover those). A request that acts through the session cookie
must also carry the session's CSRF token: the hidden ``csrf_token`` field of a UI form, or the ``X-CSRF-Token``
header of a ``fetch`` to /api (which must then send JSON or multipart, never a body a form could forge).
Bearer-token API calls carry no cookie and are not affected.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from litestar import Request
from litestar.connection import ASGIConnection

UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
API_CONTENT_TYPES = ("application/json", "multipart/form-data")


class CsrfRejected(Exception):
    """A state-changing request that may come from another site: answered 403, nothing is done."""


def _origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower() if parts.scheme and parts.netloc else ""


def check_origin(connection: ASGIConnection[Any, Any, Any, Any], public_url: str) -> None:
    """Refuse a request whose ``Origin`` (else ``Referer``) is not this gateway.

    Own means: the origin of ``public_url``, or the same host and port the request was sent to (the ``Host``
    header, which a browser always sets to the target). A request with neither header (curl, scripts) passes
    here; the token check still applies to it when it uses the cookie.

    Raises:
        CsrfRejected: a foreign or opaque (``null``) origin.
    """
    origin = connection.headers.get("origin")
    if origin is None:
        referer = connection.headers.get("referer")
        if not referer:
            return
        origin = _origin_of(referer)
    origin = origin.strip().lower()
    own_public = _origin_of(public_url) if public_url else ""
    host = connection.headers.get("host", "").lower()
    netloc = urlsplit(origin).netloc if origin.startswith(("http://", "https://")) else ""
    if origin and (origin == own_public or (host and netloc == host)):
        return
    raise CsrfRejected(f"cross-site request refused (origin {origin or 'unknown'!r})")


def check_api_write(connection: ASGIConnection[Any, Any, Any, Any], token_ok: bool) -> None:
    """A cookie-authenticated /api write: JSON or multipart only, with the session's token in ``X-CSRF-Token``.

    Raises:
        CsrfRejected: another content type (one a cross-site form could send) or a missing/wrong token.
    """
    content_type = connection.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type not in API_CONTENT_TYPES:
        raise CsrfRejected("a write with the session cookie must send JSON (or multipart) and X-CSRF-Token")
    if not token_ok:
        raise CsrfRejected("missing or wrong X-CSRF-Token header; reload the page")


async def form_token(request: Request[Any, Any, Any]) -> str | None:
    """The CSRF token a UI request carries: the header, else the form field (the parsed form is cached)."""
    header = request.headers.get(CSRF_HEADER)
    if header:
        return header
    value = (await request.form()).get(CSRF_FIELD)
    return value if isinstance(value, str) else None
