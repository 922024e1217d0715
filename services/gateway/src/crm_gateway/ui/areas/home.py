"""The home page (dashboard): the example of an area every other area copies.

An area module exports ``routes`` (Litestar handlers serving HTML under its own paths) and optionally
``ACTIONS`` (extra F2 palette entries). Its templates live in ``templates/<area>/`` and extend ``base.html``;
their texts go through ``_()`` and live in the catalogues ``crm_gateway/locale/{ro,en}`` (``ui/i18n.py``).
"""

from __future__ import annotations

from litestar import get
from litestar.di import NamedDependency
from litestar.response import Template

from crm_gateway.domain.users import User
from crm_gateway.ui.api import ApiClient, together
from crm_gateway.ui.forms import optional


@get("/", include_in_schema=False)
async def home(api: NamedDependency[ApiClient], user: NamedDependency[User]) -> Template:
    """Who is logged in, and the areas at a glance."""
    me, tasks = await together(
        api.get("/api/users/me"),
        # A service that is down must not take the dashboard with it: no tasks panel then.
        optional(api, "/api/tasks", {"view": "for-me", "status": "open", "order": "deadline", "limit": 5}),
    )
    return Template("home/index.html", context={"me": me, "tasks": tasks, "is_admin": user.role == "admin"})


routes = [home]
