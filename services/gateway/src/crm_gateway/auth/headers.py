"""Security headers on every answer of the gateway: pages, error pages, static files, the API.

The UI's pages show each other in an iframe (the F2 palette, printouts), so framing is limited to the
gateway's own origin (``frame-ancestors 'self'``, ``X-Frame-Options: SAMEORIGIN``) rather than forbidden.
Styles allow ``'unsafe-inline'`` for the ``style=`` widths of bars and charts; scripts come only from /static.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from litestar.datastructures import MutableScopeHeaders
from litestar.types import Message, Scope

CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'self'",
    )
)
# The OpenAPI viewers load their scripts from a CDN and inline; they get the other headers but no CSP.
_NO_CSP_PREFIXES = ("/schema",)

HEADERS = {
    "x-content-type-options": "nosniff",
    "x-frame-options": "SAMEORIGIN",
    "referrer-policy": "same-origin",
}


HSTS = "max-age=31536000"


def security_headers(https: bool) -> Callable[[Message, Scope], Awaitable[None]]:
    """The app's ``before_send`` hook: add the headers to the start of every HTTP answer (unless already set).

    Args:
        https: the gateway is reached over HTTPS (its public URL says so): add ``Strict-Transport-Security`` too.
    """
    fixed = {**HEADERS, "strict-transport-security": HSTS} if https else HEADERS

    async def add(message: Message, scope: Scope) -> None:
        if message["type"] != "http.response.start":
            return
        headers = MutableScopeHeaders.from_message(message)
        for name, value in fixed.items():
            if name not in headers:
                headers[name] = value
        path = str(scope.get("path", ""))
        if "content-security-policy" not in headers and not path.startswith(_NO_CSP_PREFIXES):
            headers["content-security-policy"] = CONTENT_SECURITY_POLICY

    return add
