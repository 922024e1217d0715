"""Which role may use which part of the UI: one table, mirroring the services' ``requires_role`` guards.

Templates ask ``may("campaign.write")`` before showing a menu, an action or a form; a page handler for a
forbidden area answers 403 before calling any service (``require``, or ``require_page`` for a page of ``PAGES``,
whose menu entry the same line hides). Each entry names the API write it stands for, so a change of a service
guard is a change of one line here (``tests/unit/test_permissions.py`` checks the paths).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from crm_gateway.ui.api import ApiError
from crm_kit.identity import ROLES


@dataclass(frozen=True)
class Permission:
    """The roles that may use a UI action, and the API route whose guard it mirrors (``METHOD /path``)."""

    roles: frozenset[str]
    api: str


_MANAGERS = frozenset({"admin", "manager"})
_ADMIN = frozenset({"admin"})
_EVERYONE = frozenset(ROLES)

PERMISSIONS: Mapping[str, Permission] = {
    "settings": Permission(_MANAGERS, "PUT /api/reminder-settings"),
    "staff": Permission(_MANAGERS, "POST /api/staff"),
    "campaign.write": Permission(_MANAGERS, "POST /api/campaigns"),
    "opportunity.write": Permission(_EVERYONE, "POST /api/opportunities"),
    "task.write": Permission(_EVERYONE, "POST /api/tasks"),
    "stage_weights.write": Permission(_MANAGERS, "PUT /api/stage-weights"),
    "lost_reasons.write": Permission(_MANAGERS, "POST /api/lost-reasons"),
    "task_settings.write": Permission(_MANAGERS, "PUT /api/reminder-settings"),
    "services.write": Permission(_MANAGERS, "POST /api/services"),
    "articles.write": Permission(_MANAGERS, "POST /api/articles"),
    "commercial_settings.write": Permission(_MANAGERS, "PUT /api/commercial-settings"),
    "mail_servers.write": Permission(_ADMIN, "POST /api/mail-servers"),
    "mail_import_settings.write": Permission(_ADMIN, "PUT /api/mail-import-settings"),
    "users.write": Permission(_ADMIN, "POST /api/users"),
}
"""UI action -> who may use it. An action not listed is open to every logged-in user."""

PAGES: Mapping[str, str] = {"/staff": "staff"}
"""Pages (by link, with everything under it) only the roles of an action may open: their menu entry is hidden
from the other roles and the page refuses them (403), from this one line."""

NAV_ACTIONS: Mapping[str, str] = {**PAGES, "/settings": "settings"}
"""Menu entries shown only to the roles of an action (by link). /settings is only hidden from the menu: everyone
opens it from their login name (their account, their password) and sees the settings their role may use."""


def allowed(role: str, action: str) -> bool:
    """Whether ``role`` may use ``action`` (an action not in the table is open to everyone)."""
    permission = PERMISSIONS.get(action)
    return permission is None or role in permission.roles


def require(role: str, action: str) -> None:
    """Refuse ``role`` an ``action`` it may not use, before a page calls any service.

    Raises:
        ApiError: 403, the role is not one of the action's.
    """
    permission = PERMISSIONS.get(action)
    if permission is not None and role not in permission.roles:
        # the text of every service's role guard: the error page (403) says it in the user's language
        raise ApiError(403, f"this action needs the role {' or '.join(sorted(permission.roles))}")


def require_page(role: str, href: str) -> None:
    """Refuse ``role`` a page of ``PAGES`` whose menu entry it does not see (the same table decides both).

    Raises:
        ApiError: 403, the role is not one of the page's action's.
    """
    require(role, PAGES[href])


def nav_allowed(role: str, href: str) -> bool:
    """Whether the menu entry ``href`` is shown to ``role``."""
    action = NAV_ACTIONS.get(href)
    return action is None or allowed(role, action)
