"""``/login``, ``/logout`` and ``/lang/{code}``: the server-side session, its cookie, and the UI language."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, post
from litestar.datastructures import Cookie
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, URLEncodedBody
from litestar.response import Redirect, Template

from crm_gateway.accounts import Accounts, BadCredentials
from crm_gateway.api.auth import client_address
from crm_gateway.auth.middleware import LANG_COOKIE, SESSION_COOKIE
from crm_gateway.auth.sessions import Sessions
from crm_gateway.auth.throttle import Throttled
from crm_gateway.domain.users import LANGUAGES, User
from crm_gateway.settings import GatewaySettings
from crm_gateway.ui import i18n
from crm_gateway.ui.web import language_of, safe_next, session_user

_YEAR = 365 * 24 * 3600


def session_cookies(cookie: str, user: User, sessions: Sessions, settings: GatewaySettings) -> list[Cookie]:
    """The session cookie (HttpOnly, SameSite=Lax, Secure behind HTTPS) and the language cookie."""
    secure = settings.secure_cookies
    return [
        Cookie(
            key=SESSION_COOKIE,
            value=cookie,
            max_age=int(sessions.ttl.total_seconds()),
            httponly=True,
            samesite="lax",
            secure=secure,
            path="/",
        ),
        Cookie(key=LANG_COOKIE, value=user.language, max_age=_YEAR, samesite="lax", secure=secure, path="/"),
    ]


@get("/login", include_in_schema=False)
async def login_form(next: FromQuery[str | None] = None) -> Template:  # noqa: A002 - the query parameter's name
    """The login form."""
    return Template("login.html", context={"next": safe_next(next), "error": None})


@post("/login", include_in_schema=False, status_code=303)
async def login(
    data: URLEncodedBody[dict[str, str]],
    request: Request[Any, Any, Any],
    accounts: NamedDependency[Accounts],
    sessions: NamedDependency[Sessions],
    settings: NamedDependency[GatewaySettings],
) -> Response[Any]:
    """Check the credentials (throttled), open a session, go back to the page asked for."""
    target = safe_next(data.get("next"))
    username = data.get("username", "")
    try:
        user = await accounts.log_in(username, data.get("password", ""), client_address(request))
    except BadCredentials:
        lang = language_of(request, settings.default_language)
        context: dict[str, Any] = {
            "next": target,
            "error": i18n.gettext(lang, "Utilizator sau parolă greșită"),
            "username": username,
        }
        return Template("login.html", context=context, status_code=401)
    except Throttled as exc:
        context = {
            "next": target,
            "error": i18n.ngettext(
                language_of(request, settings.default_language),
                "Prea multe încercări eșuate; încercați din nou peste %(num)d secundă.",
                "Prea multe încercări eșuate; încercați din nou peste %(num)d secunde.",
                exc.retry_after,
            ),
            "username": username,
        }
        return Template("login.html", context=context, status_code=429, headers={"retry-after": str(exc.retry_after)})
    old = request.cookies.get(SESSION_COOKIE)
    if old:
        await sessions.close(old)  # a new id at every login: a planted cookie never becomes a session
    cookie = await sessions.open(user)
    return Redirect(target, cookies=session_cookies(cookie, user, sessions, settings), status_code=303)


async def _end(request: Request[Any, Any, Any], sessions: Sessions) -> list[Cookie]:
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        await sessions.close(cookie)
    return [Cookie(key=SESSION_COOKIE, value="", max_age=0, path="/")]


@get("/logout", include_in_schema=False)
async def logout(request: Request[Any, Any, Any], sessions: NamedDependency[Sessions]) -> Response[Any]:
    """End the session (a link; harmless to forge: it only logs the visitor out)."""
    return Redirect("/login", cookies=await _end(request, sessions))


@post("/logout", include_in_schema=False, status_code=303)
async def logout_post(request: Request[Any, Any, Any], sessions: NamedDependency[Sessions]) -> Response[Any]:
    """End the session (form button): the server forgets it, so a copy of the cookie is worthless."""
    return Redirect("/login", cookies=await _end(request, sessions), status_code=303)


@get("/lang/{code:str}", include_in_schema=False)
async def switch_language(
    code: FromPath[str],
    request: Request[Any, Any, Any],
    accounts: NamedDependency[Accounts],
    settings: NamedDependency[GatewaySettings],
    next: FromQuery[str | None] = None,  # noqa: A002 - the query parameter's name
) -> Response[Any]:
    """Switch the UI language (ro/en); saved in a cookie and in the user's profile."""
    lang = code if code in LANGUAGES else "ro"
    user = session_user(request)
    if user is not None:
        await accounts.set_language(user.id, lang)
    secure = settings.secure_cookies
    cookie = Cookie(key=LANG_COOKIE, value=lang, max_age=_YEAR, samesite="lax", secure=secure, path="/")
    return Redirect(safe_next(next), cookies=[cookie])


routes = [login_form, login, logout, logout_post, switch_language]
