"""Security headers on every answer of the gateway: pages, error pages, static files, the API.

Framing is forbidden (``frame-ancestors 'none'``, ``X-Frame-Options: DENY``), except for an answer the
browser fetches for an iframe (``Sec-Fetch-Dest: iframe``): the UI shows its own pages in one (the F2
palette, printouts), so such an answer may be framed by the gateway's own origin only. Another site's
frame is refused either way.
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
    )
)
_FRAMING = {
    False: {"csp": "frame-ancestors 'none'", "x-frame-options": "DENY"},
    True: {"csp": "frame-ancestors 'self'", "x-frame-options": "SAMEORIGIN"},
}
# The OpenAPI viewers load their scripts from a CDN and inline; they get the other headers but no CSP.
_NO_CSP_PREFIXES = ("/schema",)

HEADERS = {
    "x-content-type-options": "nosniff",
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
        framing = _FRAMING[_for_a_frame(scope)]
        for name, value in fixed.items():
            if name not in headers:
                headers[name] = value
        if "x-frame-options" not in headers:
            headers["x-frame-options"] = framing["x-frame-options"]
        path = str(scope.get("path", ""))
        if "content-security-policy" not in headers and not path.startswith(_NO_CSP_PREFIXES):
            headers["content-security-policy"] = f"{CONTENT_SECURITY_POLICY}; {framing['csp']}"

    return add


def _for_a_frame(scope: Scope) -> bool:
    """Whether the browser fetches this answer to show it in an iframe."""
    return any(name == b"sec-fetch-dest" and value in (b"iframe", b"frame") for name, value in scope.get("headers", []))
