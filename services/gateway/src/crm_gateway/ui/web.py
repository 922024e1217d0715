"""The UI framework: area discovery, navigation, F2 palette, ``_`` and ``local``, page dependencies, errors.

Page handlers get ``user: NamedDependency[User]`` and ``api: NamedDependency[ApiClient]`` injected (a logged-out
visit goes to /login); an ``ApiError`` they do not catch is shown in the layout by ``error.html``.
"""

from __future__ import annotations

import importlib
import logging
import pkgutil
import uuid
from collections.abc import AsyncGenerator, Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import pass_context
from jinja2.runtime import Context
from litestar import MediaType, Request, Response
from litestar.di import NamedDependency
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.response import Redirect
from litestar.types import ControllerRouterHandler
from markupsafe import Markup, escape

from crm_gateway.auth.csrf import CSRF_FIELD, UNSAFE_METHODS, CsrfRejected, form_token
from crm_gateway.auth.middleware import LANG_COOKIE, SESSION_COOKIE, current_session
from crm_gateway.auth.sessions import Sessions
from crm_gateway.auth.tokens import TokenIssuer
from crm_gateway.domain.users import LANGUAGES, User
from crm_gateway.ui.api import ApiClient, ApiError

log = logging.getLogger(__name__)

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
STATIC = Path(__file__).resolve().parent.parent / "static"
AREAS_PACKAGE = "crm_gateway.ui.areas"


@dataclass(frozen=True)
class NavItem:
    """One entry of the navigation: Romanian label, link, and the group it sits in."""

    label: str
    href: str
    group: str = ""


@dataclass(frozen=True)
class PaletteAction:
    """One entry of the F2 palette: opens ``url`` (plus the page context as query parameters) in an overlay."""

    label: str
    url: str
    hint: str = ""


NAVIGATION: tuple[NavItem, ...] = (
    NavItem("Acasă", "/"),
    NavItem("Parteneri / Lead-uri", "/partners"),
    NavItem("Campanii marketing", "/campaigns"),
    NavItem("Oportunități", "/opportunities", "Vânzări"),
    NavItem("Pipeline", "/pipeline", "Vânzări"),
    NavItem("Task-uri", "/tasks"),
    NavItem("eMail", "/emails"),
    NavItem("Import eMail", "/mail-imports"),
    NavItem("Analiză dosare", "/dossiers"),
    NavItem("Documente", "/documents", "Comercial"),
    NavItem("Articole", "/articles", "Comercial"),
    NavItem("Personal", "/staff"),
    NavItem("Configurări", "/settings"),
)

PALETTE: tuple[PaletteAction, ...] = (
    PaletteAction("Adaugă task", "/tasks/new", "T1"),
    PaletteAction("Trimite email", "/emails/new", "E1"),
    PaletteAction("Stiva de mesaje", "/messages", "A1"),
    PaletteAction("Mesagerie", "/messages/new", "A1"),
    PaletteAction("Deschide partener", "/partners", "H1"),
)

CORE_TRANSLATIONS: dict[str, str] = {
    # the search-as-you-type pickers (templates/_picker.html)
    "Niciun rezultat": "No results",
    "Căutarea nu a reușit": "The search failed",
    "{n} rezultate; săgețile le parcurg, Enter alege": "{n} results; arrow keys move, Enter chooses",
    "Alegeți din listă": "Choose from the list",
    "Scrieți o parte din nume…": "Type part of the name…",
    "Scoate": "Remove",
    "Cod sau denumire…": "Code or name…",
    "Eu (scrieți un nume pentru a delega)": "Me (type a name to delegate)",
    "Acasă": "Home",
    "Parteneri / Lead-uri": "Partners / Leads",
    "Campanii marketing": "Marketing campaigns",
    "Oportunități": "Opportunities",
    "Pipeline": "Pipeline",
    "Vânzări": "Sales",
    "Task-uri": "Tasks",
    "eMail": "Email",
    "Import eMail": "Email import",
    "Analiză dosare": "Dossiers",
    "Documente": "Documents",
    "Articole": "Articles",
    "Comercial": "Commercial",
    "Personal": "Staff",
    "Configurări": "Settings",
    "Adaugă task": "Add task",
    "Trimite email": "Send email",
    "Stiva de mesaje": "Message stack",
    "Mesagerie": "Messaging",
    "Deschide partener": "Open partner",
    "Autentificare": "Log in",
    "Utilizator": "Username",
    "Parolă": "Password",
    "Intră": "Log in",
    "Ieșire": "Log out",
    "Utilizator sau parolă greșită": "Wrong username or password",
    "Mesaje necitite": "Unread messages",
    "Acțiuni (F2)": "Actions (F2)",
    "Caută o acțiune…": "Search an action…",
    "Deschide în pagină": "Open as a page",
    "Închide": "Close",
    "Eroare": "Error",
    "Înapoi": "Back",
    "Mesaj nou": "New message",
    "Task nou pentru tine": "New task for you",
    "Serviciul nu răspunde acum; încercați din nou în câteva momente.": (
        "The service is not answering right now; try again in a moment."
    ),
    "Nu aveți dreptul să faceți asta.": "You are not allowed to do this.",
    "Nu a fost găsit.": "Not found.",
    "Formularul a expirat sau nu vine din această aplicație; reîncărcați pagina și încercați din nou.": (
        "The form has expired or does not come from this application; reload the page and try again."
    ),
    "Prea multe încercări eșuate; încercați din nou peste {seconds} secunde.": (
        "Too many failed attempts; try again in {seconds} seconds."
    ),
}


@dataclass
class Areas:
    """What the area modules contribute: routes, translations, palette actions, and modules that failed."""

    routes: list[ControllerRouterHandler] = field(default_factory=list)
    translations: dict[str, str] = field(default_factory=dict)
    actions: list[PaletteAction] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)


def discover_areas(package: str = AREAS_PACKAGE) -> Areas:
    """Import every module of ``crm_gateway/ui/areas/`` that exports ``routes``.

    Optional exports: ``TRANSLATIONS`` (Romanian -> English) and ``ACTIONS`` (extra ``PaletteAction``s).
    A module that fails to import is logged and skipped, so one broken area never takes the UI down.
    """
    areas = Areas(translations=dict(CORE_TRANSLATIONS), actions=list(PALETTE))
    pkg = importlib.import_module(package)
    for info in sorted(pkgutil.iter_modules(pkg.__path__), key=lambda m: m.name):
        if info.name.startswith("_"):
            continue
        name = f"{package}.{info.name}"
        try:
            module = importlib.import_module(name)
        except Exception as exc:
            log.exception("UI area %s failed to load", name)
            areas.failed[info.name] = f"{type(exc).__name__}: {exc}"
            continue
        routes = getattr(module, "routes", None)
        if routes is None:
            continue
        areas.routes.extend(routes)
        areas.translations.update(getattr(module, "TRANSLATIONS", {}) or {})
        areas.actions.extend(getattr(module, "ACTIONS", []) or [])
    return areas


def language_of(request: Request[Any, Any, Any], default: str = "ro") -> str:
    """The UI language of a request: the ``crm_lang`` cookie, else the default."""
    lang = request.cookies.get(LANG_COOKIE) or default
    return lang if lang in LANGUAGES else default


def to_local(value: Any, tz: ZoneInfo, fmt: str | None = None) -> str:
    """A datetime (or ISO text) as local time ``dd.mm.yyyy HH:MM``; a date as ``dd.mm.yyyy``; None as ''."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        text = value.strip()
        try:
            is_date = len(text) == len("2025-01-31")
            value = date.fromisoformat(text) if is_date else datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            return text
    if isinstance(value, datetime):
        aware = value if value.tzinfo else value.replace(tzinfo=UTC)
        return aware.astimezone(tz).strftime(fmt or "%d.%m.%Y %H:%M")
    if isinstance(value, date):
        return value.strftime(fmt or "%d.%m.%Y")
    return str(value)


def money(value: Any) -> str:
    """A decimal amount the Romanian way: ``1.250,00``."""
    if value is None or value == "":
        return ""
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        return str(value)
    text = f"{amount:,.2f}"
    return text.replace(",", " ").replace(".", ",").replace(" ", ".")


def configure_templates(
    engine: JinjaTemplateEngine,
    areas: Areas,
    timezone: str,
    default_language: str,
) -> None:
    """Add the framework's globals and filters to the Jinja environment."""
    tz = ZoneInfo(timezone)
    env = engine.engine

    @pass_context
    def translate(ctx: Context, text: str, **values: Any) -> str:
        request = ctx.get("request")
        lang = language_of(request, default_language) if request is not None else default_language
        out = areas.translations.get(text, text) if lang == "en" else text
        return out.format(**values) if values else out

    @pass_context
    def current_user(ctx: Context) -> User | None:
        request = ctx.get("request")
        return session_user(request) if request is not None else None

    @pass_context
    def csrf_token(ctx: Context) -> str:
        request = ctx.get("request")
        session = current_session(request) if request is not None else None
        return session.csrf_token if session is not None else ""

    @pass_context
    def csrf_field(ctx: Context) -> Markup:
        # Every post form of a template carries this hidden field (a test checks the templates).
        return Markup('<input type="hidden" name="{}" value="{}">').format(CSRF_FIELD, escape(csrf_token(ctx)))

    def idempotency_field() -> Markup:
        # A create form carries a key per rendering: a double click or a resubmit creates nothing twice.
        return Markup('<input type="hidden" name="{}" value="{}">').format(IDEMPOTENCY_FIELD, uuid.uuid4())

    @pass_context
    def current_language(ctx: Context) -> str:
        request = ctx.get("request")
        return language_of(request, default_language) if request is not None else default_language

    env.globals["_"] = translate
    env.globals["current_user"] = current_user
    env.globals["csrf_token"] = csrf_token
    env.globals["csrf_field"] = csrf_field
    env.globals["idempotency_field"] = idempotency_field
    env.globals["current_language"] = current_language
    env.globals["navigation"] = NAVIGATION
    env.globals["palette_actions"] = areas.actions
    env.globals["failed_areas"] = areas.failed
    env.filters["local"] = lambda value, fmt=None: to_local(value, tz, fmt)
    env.filters["money"] = money


# --- page handler dependencies ----------------------------------------------------------------------------------


class LoginRequired(Exception):
    """A page was asked for without a valid session: the browser goes to /login."""


def session_user(request: Request[Any, Any, Any]) -> User | None:
    """The user of a live session (looked up by ``SessionMiddleware``), or ``None``."""
    session = current_session(request)
    return session.user if session is not None else None


def provide_user() -> Callable[[Request[Any, Any, Any]], User]:
    """The ``user`` dependency of page handlers (redirects to /login when logged out)."""

    def user(request: Request[Any, Any, Any]) -> User:
        found = session_user(request)
        if found is None:
            raise LoginRequired
        return found

    return user


def csrf_guard(sessions: Sessions) -> Callable[[Request[Any, Any, Any]], Any]:
    """The app's ``before_request`` hook: a UI write acting through the session must carry its CSRF token.

    /api requests are checked by ``ApiAuthMiddleware``. /login acts as nobody yet (it opens a new session, ending
    the one it comes with), so the Origin check is its defence.
    """

    async def guard(request: Request[Any, Any, Any]) -> None:
        path = request.url.path
        if request.method not in UNSAFE_METHODS or path.startswith("/api/") or path == "/login":
            return
        cookie = request.cookies.get(SESSION_COOKIE)
        if not cookie or current_session(request) is None:
            return  # no live session: the handler sends the visitor to /login, nothing is done as anyone
        if not sessions.csrf_ok(cookie, await form_token(request)):
            raise CsrfRejected("missing or wrong CSRF token")

    return guard


def provide_api(tokens: TokenIssuer) -> Callable[[Request[Any, Any, Any], User], AsyncGenerator[ApiClient, None]]:
    """The ``api`` dependency of page handlers: an ``ApiClient`` acting as the session's user."""

    async def api(request: Request[Any, Any, Any], user: NamedDependency[User]) -> AsyncGenerator[ApiClient, None]:
        client = ApiClient(request.app, user, tokens, await form_idempotency_key(request))
        try:
            yield client
        finally:
            await client.aclose()

    return api


IDEMPOTENCY_FIELD = "idempotency_key"
"""The hidden field of a create form: a fresh UUID per rendering, sent on as the API's Idempotency-Key."""


async def form_idempotency_key(request: Request[Any, Any, Any]) -> str | None:
    """The idempotency key a submitted UI form carries (the parsed form is cached), or ``None``."""
    if request.method not in UNSAFE_METHODS or request.url.path.startswith("/api/"):
        return None
    content_type = request.headers.get("content-type", "")
    if not content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        return None
    value = (await request.form()).get(IDEMPOTENCY_FIELD)
    if not isinstance(value, str) or not value or len(value) > 100 or not value.isascii() or not value.isprintable():
        return None  # a tampered field: the write goes without a key rather than failing
    return value


def safe_next(target: str | None) -> str:
    """A local path to go back to (never another site)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


def login_redirect(request: Request[Any, Any, Any], _: LoginRequired) -> Response[Any]:
    """Logged-out page visit: to /login, then back."""
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    response: Response[Any] = Redirect(f"/login?next={_quote(target)}")
    return response


def _quote(text: str) -> str:
    from urllib.parse import quote

    return quote(text, safe="")


def render_page(
    request: Request[Any, Any, Any], template: str, context: Mapping[str, Any], status: int
) -> Response[str]:
    """Render a template outside a handler (error pages)."""
    engine = request.app.template_engine
    if engine is None:
        raise RuntimeError("no template engine")
    html = engine.get_template(template).render(request=request, **context)
    return Response(html, status_code=status, media_type=MediaType.HTML)


def csrf_rejected_page(request: Request[Any, Any, Any], exc: CsrfRejected) -> Response[Any]:
    """A refused cross-site or token-less write: 403, the error page for the UI, JSON for /api."""
    if request.url.path.startswith("/api/"):
        body = {"status_code": 403, "detail": str(exc), "extra": {}}
        return Response(body, status_code=403, media_type=MediaType.JSON)
    text = "Formularul a expirat sau nu vine din această aplicație; reîncărcați pagina și încercați din nou."
    return render_page(request, "error.html", {"status": 403, "detail": text, "translate_detail": True}, 403)


def api_error_page(request: Request[Any, Any, Any], exc: ApiError) -> Response[Any]:
    """An ``ApiError`` a page did not handle: the layout shows the message (401: log in again)."""
    if exc.status == 401:
        return login_redirect(request, LoginRequired())
    return render_page(
        request, "error.html", {"status": exc.status, "detail": exc.detail, "extra": exc.extra}, exc.status
    )
