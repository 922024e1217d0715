"""``/login``, ``/logout`` and ``/lang/{code}``: the session cookie and the UI language."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, post
from litestar.datastructures import Cookie
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, URLEncodedBody
from litestar.response import Redirect, Template

from crm_gateway.accounts import Accounts, BadCredentials
from crm_gateway.auth.middleware import LANG_COOKIE, SESSION_COOKIE
from crm_gateway.auth.tokens import SESSION, TokenIssuer
from crm_gateway.domain.users import LANGUAGES
from crm_gateway.settings import GatewaySettings
from crm_gateway.ui.web import safe_next, session_user

_YEAR = 365 * 24 * 3600


@get("/login", include_in_schema=False)
async def login_form(next: FromQuery[str | None] = None) -> Template:  # noqa: A002 - the query parameter's name
    """The login form."""
    return Template("login.html", context={"next": safe_next(next), "error": None})


@post("/login", include_in_schema=False, status_code=303)
async def login(
    data: URLEncodedBody[dict[str, str]],
    accounts: NamedDependency[Accounts],
    tokens: NamedDependency[TokenIssuer],
    settings: NamedDependency[GatewaySettings],
) -> Response[Any]:
    """Check the credentials, set the session cookie, go back to the page asked for."""
    target = safe_next(data.get("next"))
    try:
        user = await accounts.authenticate(data.get("username", ""), data.get("password", ""))
    except BadCredentials:
        return Template(
            "login.html",
            context={"next": target, "error": "Utilizator sau parolă greșită", "username": data.get("username", "")},
            status_code=401,
        )
    ttl = int(tokens.ttl.total_seconds())
    cookies = [
        Cookie(
            key=SESSION_COOKIE,
            value=tokens.issue(user, SESSION),
            max_age=ttl,
            httponly=True,
            samesite="lax",
            secure=settings.cookie_secure,
            path="/",
        ),
        Cookie(key=LANG_COOKIE, value=user.language, max_age=_YEAR, samesite="lax", path="/"),
    ]
    return Redirect(target, cookies=cookies, status_code=303)


@get("/logout", include_in_schema=False)
async def logout() -> Response[Any]:
    """Forget the session."""
    return Redirect("/login", cookies=[Cookie(key=SESSION_COOKIE, value="", max_age=0, path="/")])


@post("/logout", include_in_schema=False, status_code=303)
async def logout_post() -> Response[Any]:
    """Forget the session (form button)."""
    return Redirect("/login", cookies=[Cookie(key=SESSION_COOKIE, value="", max_age=0, path="/")], status_code=303)


@get("/lang/{code:str}", include_in_schema=False)
async def switch_language(
    code: FromPath[str],
    request: Request[Any, Any, Any],
    accounts: NamedDependency[Accounts],
    tokens: NamedDependency[TokenIssuer],
    next: FromQuery[str | None] = None,  # noqa: A002 - the query parameter's name
) -> Response[Any]:
    """Switch the UI language (ro/en); saved in a cookie and in the user's profile."""
    lang = code if code in LANGUAGES else "ro"
    user = session_user(request, tokens)
    if user is not None:
        await accounts.set_language(user.id, lang)
    return Redirect(
        safe_next(next), cookies=[Cookie(key=LANG_COOKIE, value=lang, max_age=_YEAR, samesite="lax", path="/")]
    )


routes = [login_form, login, logout, logout_post, switch_language]
