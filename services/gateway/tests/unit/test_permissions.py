"""Role-aware UI: one table says who may use which menu, action and form; templates ask only that table."""

import re

from crm_gateway.ui import permissions
from crm_gateway.ui.web import NAVIGATION, TEMPLATES

MAY = re.compile(r"""may\(\s*["']([a-z_.]+)["']\s*\)""")


def test_an_agent_sees_neither_settings_nor_staff_in_the_menu_and_a_manager_sees_both() -> None:
    agent = [item.href for item in NAVIGATION if permissions.nav_allowed("agent", item.href)]
    manager = [item.href for item in NAVIGATION if permissions.nav_allowed("manager", item.href)]
    assert "/settings" not in agent and "/staff" not in agent
    assert "/settings" in manager and "/staff" in manager
    assert "/partners" in agent and "/tasks" in agent


def test_an_agent_may_not_use_the_writes_the_services_keep_for_managers() -> None:
    for action in ("campaign.write", "stage_weights.write", "task_settings.write", "services.write", "staff"):
        assert not permissions.allowed("agent", action)
        assert permissions.allowed("manager", action)
        assert permissions.allowed("admin", action)
    assert not permissions.allowed("manager", "mail_servers.write")
    assert permissions.allowed("agent", "anything.not.listed")


def test_every_action_a_template_asks_about_is_in_the_table() -> None:
    asked = {name for path in TEMPLATES.rglob("*.html") for name in MAY.findall(path.read_text(encoding="utf-8"))}
    assert asked, "the templates ask may(...) somewhere"
    assert sorted(asked - set(permissions.PERMISSIONS)) == []


def test_each_permission_names_the_api_write_whose_guard_it_mirrors() -> None:
    for action, permission in permissions.PERMISSIONS.items():
        method, path = permission.api.split(" ", 1)
        assert method in {"POST", "PUT", "PATCH", "DELETE"}, action
        assert path.startswith("/api/"), action
