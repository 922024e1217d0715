"""The UI framework: area discovery, navigation, F2 palette, texts and formats, page dependencies, errors.

Page handlers get ``user: NamedDependency[User]`` and ``api: NamedDependency[ApiClient]`` injected (a logged-out
visit goes to /login); an ``ApiError`` they do not catch is shown in the layout by ``error.html``.
"""

from __future__ import annotations

import importlib
import logging
import pkgutil
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import get_month_names
from jinja2 import pass_context
from jinja2.runtime import Context
from litestar import MediaType, Request, Response
from litestar.di import NamedDependency
from litestar.exceptions import HTTPException
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.response import Redirect, Template
from litestar.response.base import ASGIResponse
from litestar.types import ControllerRouterHandler, Receive, Scope, Send
from markupsafe import Markup, escape

from crm_gateway.auth.csrf import CSRF_FIELD, UNSAFE_METHODS, CsrfRejected, form_token
from crm_gateway.auth.middleware import LANG_COOKIE, SESSION_COOKIE, current_session, read_session
from crm_gateway.auth.sessions import Sessions
from crm_gateway.domain.users import LANGUAGES, User
from crm_gateway.ui import i18n, notes, permissions, problems
from crm_gateway.ui.api import ApiClient, ApiClients, ApiError
from crm_gateway.ui.i18n import N_
from crm_kit import formatting

log = logging.getLogger(__name__)

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
STATIC = Path(__file__).resolve().parent.parent / "static"
AREAS_PACKAGE = "crm_gateway.ui.areas"


@dataclass(frozen=True)
class NavItem:
    """One entry of the navigation: Romanian label, link, the group it sits in, and the menu's short name.

    The menu shows ``short`` (when set) so that every entry fits one line at 1280 px; ``label``, the area's
    full name, is its tooltip and the page's heading.
    """

    label: str
    href: str
    group: str = ""
    short: str = ""


@dataclass(frozen=True)
class PaletteAction:
    """One entry of the F2 palette: opens ``url`` (plus the page context as query parameters) in an overlay."""

    label: str
    url: str
    hint: str = ""


NAVIGATION: tuple[NavItem, ...] = (
    NavItem(N_("Acasă"), "/"),
    NavItem(N_("Parteneri / Lead-uri"), "/partners", short=N_("Parteneri")),
    NavItem(N_("Campanii marketing"), "/campaigns", short=N_("Campanii")),
    NavItem(N_("Oportunități"), "/opportunities", N_("Vânzări")),
    NavItem(N_("Pâlnie"), "/pipeline", N_("Vânzări")),
    NavItem(N_("Task-uri"), "/tasks"),
    NavItem(N_("eMail"), "/emails"),
    NavItem(N_("Import eMail"), "/mail-imports"),
    NavItem(N_("Analiză dosare"), "/dossiers", short=N_("Dosare")),
    NavItem(N_("Documente"), "/documents", N_("Comercial")),
    NavItem(N_("Articole"), "/articles", N_("Comercial")),
    NavItem(N_("Personal"), "/staff"),
    NavItem(N_("Configurări"), "/settings"),
)

PALETTE: tuple[PaletteAction, ...] = (
    PaletteAction(N_("Adaugă task"), "/tasks/new", "T1"),
    PaletteAction(N_("Trimite email"), "/emails/new", "E1"),
    PaletteAction(N_("Stiva de mesaje"), "/messages", "A1"),
    PaletteAction(N_("Mesagerie"), "/messages/new", "A1"),
    PaletteAction(N_("Deschide partener"), "/partners", "H1"),
)


@dataclass
class Areas:
    """What the area modules contribute: routes, palette actions, and modules that failed."""

    routes: list[ControllerRouterHandler] = field(default_factory=list)
    actions: list[PaletteAction] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)


def discover_areas(package: str = AREAS_PACKAGE) -> Areas:
    """Import every module of ``crm_gateway/ui/areas/`` that exports ``routes``.

    Optional export: ``ACTIONS`` (extra ``PaletteAction``s). Texts live in the catalogues (``crm_gateway/locale``).
    A module that fails to import is logged and skipped, so one broken area never takes the UI down.
    """
    areas = Areas(actions=list(PALETTE))
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
        areas.actions.extend(getattr(module, "ACTIONS", []) or [])
    return areas


def language_of(request: Request[Any, Any, Any], default: str = "ro") -> str:
    """The UI language of a request: the ``crm_lang`` cookie, else the default."""
    lang = request.cookies.get(LANG_COOKIE) or default
    return lang if lang in LANGUAGES else default


def configure_templates(
    engine: JinjaTemplateEngine,
    areas: Areas,
    timezone: str,
    default_language: str,
) -> None:
    """Add the framework's globals and filters to the Jinja environment.

    Texts go through ``jinja2.ext.i18n`` (``_``, ``gettext``, ``ngettext``, ``pgettext``) backed by the Babel
    catalogues of ``crm_gateway/locale``, in the language of the request; figures and dates through
    ``crm_kit.formatting`` in that language and the configured zone.
    """
    tz = ZoneInfo(timezone)
    env = engine.engine
    i18n.load_all()

    def lang_of(ctx: Context) -> str:
        request = ctx.get("request")
        return language_of(request, default_language) if request is not None else default_language

    @pass_context
    def gettext(ctx: Context, text: str, **values: Any) -> str:
        return i18n.gettext(lang_of(ctx), text, **values)

    @pass_context
    def ngettext(ctx: Context, singular: str, plural: str, n: int, **values: Any) -> str:
        return i18n.ngettext(lang_of(ctx), singular, plural, n, **values)

    @pass_context
    def pgettext(ctx: Context, context: str, text: str, **values: Any) -> str:
        return i18n.pgettext(lang_of(ctx), context, text, **values)

    @pass_context
    def npgettext(ctx: Context, context: str, singular: str, plural: str, n: int, **values: Any) -> str:
        return i18n.npgettext(lang_of(ctx), context, singular, plural, n, **values)

    @pass_context
    def label(ctx: Context, code: Any, kind: str, default: str | None = None) -> str:
        return i18n.label(lang_of(ctx), code, kind, default)

    @pass_context
    def document_status(ctx: Context, status: Any, kind: Any) -> str:
        return i18n.document_status(lang_of(ctx), status, kind)

    @pass_context
    def money(ctx: Context, value: Any, currency: str | None = None) -> str:
        return formatting.money(value, currency, lang_of(ctx))

    @pass_context
    def currency_name(ctx: Context, currency: str) -> str:
        return formatting.currency_name(currency, lang_of(ctx))

    @pass_context
    def month(ctx: Context, value: Any) -> str:
        return formatting.month(value, lang_of(ctx))

    @pass_context
    def month_short(ctx: Context, value: Any) -> str:
        # A chart's month label (``2026-01``): "ian." / "Jan"; the chart writes the year once, under its first month.
        names = get_month_names("abbreviated", context="stand-alone", locale=lang_of(ctx))
        try:
            return str(names[int(str(value)[5:7])])
        except (ValueError, KeyError):
            return str(value)

    @pass_context
    def month_names(ctx: Context) -> list[tuple[int, str]]:
        # A month list's options: (1, "ianuarie") ... (12, "decembrie") in the reader's language.
        names = get_month_names("wide", locale=lang_of(ctx))
        return [(n, str(names[n])) for n in range(1, 13)]

    @pass_context
    def number(ctx: Context, value: Any, decimals: int | None = None) -> str:
        return formatting.number(value, lang_of(ctx), decimals)

    @pass_context
    def percent(ctx: Context, value: Any, decimals: int = 1) -> str:
        return formatting.percent(value, lang_of(ctx), decimals)

    @pass_context
    def local(ctx: Context, value: Any) -> str:
        return formatting.datetime(value, tz, lang_of(ctx))

    @pass_context
    def local_date(ctx: Context, value: Any) -> str:
        return formatting.date(value, lang_of(ctx), tz)

    @pass_context
    def note(ctx: Context, text: str | None) -> str:
        return notes.translate(lang_of(ctx), text, tz)

    @pass_context
    def history(ctx: Context, entry: Mapping[str, Any]) -> str:
        return notes.history(lang_of(ctx), entry, tz)

    @pass_context
    def issuer(ctx: Context, task: Mapping[str, Any]) -> str:
        return notes.issuer(lang_of(ctx), task)

    @pass_context
    def row_problem(ctx: Context, item: Mapping[str, Any]) -> Markup:
        return problems.row_problem(lang_of(ctx), item)

    @pass_context
    def import_message(ctx: Context, text: str | None) -> str:
        return notes.import_message(lang_of(ctx), text)

    @pass_context
    def email_note(ctx: Context, status: str | None, text: str | None) -> str:
        return notes.email_note(lang_of(ctx), status, text)

    def local_input(value: Any) -> str:
        return formatting.local_input(value, tz)

    @pass_context
    def error_text(ctx: Context, error: Any) -> str:
        return problems.message(lang_of(ctx), error)

    @pass_context
    def field_errors(ctx: Context, error: Any, beside: Mapping[str, str] | None = None) -> list[problems.FieldError]:
        return problems.field_errors(lang_of(ctx), error, beside)

    @pass_context
    def page_error(ctx: Context, error: Any, beside: Mapping[str, str] | None = None) -> Markup:
        # The message once at the top; each field's error in a list crm.js moves beside its field. ``beside``
        # places a refusal without a field of its own by its code ({"email.no_recipient": "recipients"}).
        if error is None:
            return Markup("")
        language = lang_of(ctx)
        text = problems.message(language, error, beside=beside)
        html = Markup('<p class="error" role="alert" id="page-error">{}</p>').format(text)
        fields = problems.field_errors(language, error, beside)
        if fields:
            items = Markup("").join(Markup('<li data-field="{}">{}</li>').format(f.field, f.message) for f in fields)
            html += Markup('<ul class="error field-errors" id="field-errors">{}</ul>').format(items)
        return html

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
        return lang_of(ctx)

    @pass_context
    def may(ctx: Context, action: str) -> bool:
        user = current_user(ctx)
        return user is not None and permissions.allowed(user.role, action)

    @pass_context
    def may_open(ctx: Context, href: str) -> bool:
        user = current_user(ctx)
        return user is not None and permissions.nav_allowed(user.role, href)

    env.add_extension("jinja2.ext.i18n")
    # Old-style callables: a translated text is escaped like any other value (never trusted as markup).
    env.install_gettext_callables(  # type: ignore[attr-defined]
        gettext, ngettext, newstyle=False, pgettext=pgettext, npgettext=npgettext
    )
    env.globals["current_user"] = current_user
    env.globals["csrf_token"] = csrf_token
    env.globals["csrf_field"] = csrf_field
    env.globals["idempotency_field"] = idempotency_field
    env.globals["current_language"] = current_language
    env.globals["month_names"] = month_names
    env.globals["error_text"] = error_text
    env.globals["field_errors"] = field_errors
    env.globals["page_error"] = page_error
    env.globals["may"] = may
    env.globals["email_note"] = email_note
    env.globals["duplicate_of"] = notes.duplicate_of
    env.globals["may_open"] = may_open
    env.globals["navigation"] = NAVIGATION
    env.globals["palette_actions"] = areas.actions
    env.globals["failed_areas"] = areas.failed
    env.filters["label"] = label
    env.filters["document_status"] = document_status
    env.filters["local"] = local
    env.filters["local_date"] = local_date
    env.filters["local_input"] = local_input
    env.filters["note"] = note
    env.filters["history"] = history
    env.filters["issuer"] = issuer
    env.filters["row_problem"] = row_problem
    env.filters["import_message"] = import_message
    env.filters["message_body"] = notes.message_body
    env.filters["money"] = money
    env.filters["month"] = month
    env.filters["month_short"] = month_short
    env.filters["currency_name"] = currency_name
    env.filters["number"] = number
    env.filters["percent"] = percent


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


def provide_api(clients: ApiClients) -> Callable[[Request[Any, Any, Any], User], Awaitable[ApiClient]]:
    """The ``api`` dependency of page handlers: an ``ApiClient`` acting as the session's user."""

    async def api(request: Request[Any, Any, Any], user: NamedDependency[User]) -> ApiClient:
        address = request.client.host if request.client else "unknown"  # as the /api routes count it
        return clients.client(user, idempotency_key=await form_idempotency_key(request), address=address)

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


class _DrawnAfterTheSession(ASGIResponse):
    """Looks the session up, then renders and sends the page (see ``page_after_session``)."""

    def __init__(self, request: Request[Any, Any, Any], template: str, context: Mapping[str, Any], status: int) -> None:
        # The base class's fields are not needed: ``__call__`` sends the rendered page's own ASGI response.
        self._request, self._template, self._context, self._status = request, template, context, status

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        sessions = self._request.app.state.get("sessions")
        if isinstance(sessions, Sessions):
            await read_session(scope, sessions)
        page = render_page(self._request, self._template, self._context, self._status)
        await page.to_asgi_response(app=None, request=self._request)(scope, receive, send)


class PageAfterSession(Response[str]):
    """A page rendered once the session cookie is looked up, so that it has the menu of a logged-in user.

    Litestar answers an unknown address (404) or method (405) before its middleware runs, so ``SessionMiddleware``
    has not read the session, and an exception handler is synchronous: the lookup happens as the page is sent.
    """

    def __init__(self, template: str, context: Mapping[str, Any], status: int) -> None:
        super().__init__("", status_code=status, media_type=MediaType.HTML)
        self.template = template
        self.context = context
        self.status = status

    def to_asgi_response(self, app: Any, request: Request[Any, Any, Any], **_: Any) -> ASGIResponse:
        return _DrawnAfterTheSession(request, self.template, self.context, self.status)


def csrf_rejected_page(request: Request[Any, Any, Any], exc: CsrfRejected) -> Response[Any]:
    """A refused cross-site or token-less write: 403, the error page for the UI, JSON for /api."""
    if request.url.path.startswith("/api/"):
        body = {"status_code": 403, "detail": str(exc), "extra": {}}
        return Response(body, status_code=403, media_type=MediaType.JSON)
    text = N_("Formularul a expirat sau nu vine din această aplicație; reîncărcați pagina și încercați din nou.")
    return render_page(request, "error.html", {"status": 403, "error": ApiError(403, text)}, 403)


def api_error_page(request: Request[Any, Any, Any], exc: ApiError) -> Response[Any]:
    """An ``ApiError`` a page did not handle: the layout shows the message (401: log in again)."""
    if exc.status == 401:
        return login_redirect(request, LoginRequired())
    return render_page(request, "error.html", {"status": exc.status, "error": exc}, exc.status)


PAGE_NOT_FOUND = N_("Pagina nu există.")


def wants_page(request: Request[Any, Any, Any]) -> bool:
    """Whether a request comes from a browser showing pages (not /api, and it accepts HTML)."""
    return not request.url.path.startswith("/api/") and "text/html" in request.headers.get("accept", "")


def _serves_get(request: Request[Any, Any, Any], path: str) -> bool:
    """Whether one of the app's routes answers a GET of ``path`` (a path parameter matches any one segment)."""
    segments = [s for s in path.split("/") if s]
    for route in request.app.routes:
        components = [c for c in route.path_components if c != ""]
        if "GET" not in getattr(route, "methods", ()) or len(components) != len(segments):
            continue
        if all(not isinstance(c, str) or c == s for c, s in zip(components, segments, strict=True)):
            return True
    return False


def http_error_page(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    """An unknown address (404) or a form's address opened by GET (405): a page for people, JSON for /api.

    A browser left on a form's POST target (after a refused submit, then a reload or the language switch) goes
    back to the form's page (the address without its last segment) when there is one.
    """
    if not wants_page(request):
        body = {"status_code": exc.status_code, "detail": exc.detail, "extra": exc.extra or {}}
        return Response(body, status_code=exc.status_code, media_type=MediaType.JSON, headers=exc.headers)
    if exc.status_code == 405 and request.method == "GET":
        parent = request.url.path.rstrip("/").rsplit("/", 1)[0] or "/"
        if _serves_get(request, parent):
            return Redirect(parent, status_code=303)
    status = 404 if exc.status_code in (404, 405) else exc.status_code
    message = PAGE_NOT_FOUND if status == 404 else None
    context = {"status": status, "error": None, "message": message, "back": "/", "back_label": N_("Acasă")}
    return PageAfterSession("error.html", context, status)


def not_found_page(message: str, back: str, back_label: str) -> Template:
    """The page for a record that does not exist: one message naming what is missing and a link back."""
    context = {"status": 404, "error": None, "message": message, "back": back, "back_label": back_label}
    return Template("error.html", context=context, status_code=404)
