"""Security headers on every answer of the gateway: pages, error pages, static files, the API.

The UI's pages show each other in an iframe (the F2 palette, printouts), so framing is limited to the
gateway's own origin (``frame-ancestors 'self'``, ``X-Frame-Options: SAMEORIGIN``) rather than forbidden.
Styles allow ``'unsafe-inline'`` for the ``style=`` widths of bars and charts; scripts come only from /static.
"""

from __future__ import annotations

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


async def add_security_headers(message: Message, scope: Scope) -> None:
    """The app's ``before_send`` hook: add the headers to the start of every HTTP answer (unless already set)."""
    if message["type"] != "http.response.start":
        return
    headers = MutableScopeHeaders.from_message(message)
    for name, value in HEADERS.items():
        if name not in headers:
            headers[name] = value
    if "content-security-policy" not in headers and not str(scope.get("path", "")).startswith(_NO_CSP_PREFIXES):
        headers["content-security-policy"] = CONTENT_SECURITY_POLICY
