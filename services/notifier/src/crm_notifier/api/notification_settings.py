"""The calling user's notification settings: language and channels for task news."""

from __future__ import annotations

from typing import Any

from litestar import Controller, get, put
from litestar.di import NamedDependency
from litestar.params import JSONBody

from crm_kit.identity import Identity
from crm_notifier.api.context import ApiContext
from crm_notifier.api.schemas import SettingsIn
from crm_notifier.domain.models import Preferences
from crm_notifier.store import repository as repo


def settings_view(login: str, prefs: Preferences) -> dict[str, Any]:
    return {
        "user": login,
        "language": prefs.language,
        "task_message": prefs.task_message,
        "task_email": prefs.task_email,
    }


class NotificationSettingsController(Controller):
    path = "/api/notification-settings"
    tags = ["notification settings"]

    @get("/")
    async def mine(self, api: NamedDependency[ApiContext], identity: NamedDependency[Identity]) -> dict[str, Any]:
        async with api.db.read() as conn:
            prefs = await repo.preferences(conn, identity.username)
        return settings_view(identity.username, prefs or Preferences(language=api.settings.default_language))

    @put("/")
    async def change(
        self, api: NamedDependency[ApiContext], identity: NamedDependency[Identity], data: JSONBody[SettingsIn]
    ) -> dict[str, Any]:
        prefs = Preferences(data.language, data.task_message, data.task_email)
        async with api.db.transaction() as conn:
            await repo.save_preferences(conn, identity.username, prefs)
        return settings_view(identity.username, prefs)
