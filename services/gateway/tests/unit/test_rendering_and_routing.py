from datetime import UTC, datetime
from uuid import uuid4
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError

from crm_contracts.notifications import MessagePosted
from crm_contracts.tasks import TaskAssigned
from crm_gateway.app import first_admin_password
from crm_gateway.domain.users import User
from crm_gateway.live import LiveHub, route_event
from crm_gateway.routing import UnknownRoute, segment_of
from crm_gateway.settings import DEFAULT_ROUTES, GatewaySettings
from crm_gateway.ui import i18n
from crm_gateway.ui.web import discover_areas
from crm_kit import formatting
from crm_kit.ports import SERVICE_PORTS

BUCHAREST = ZoneInfo("Europe/Bucharest")


def test_times_are_shown_in_bucharest_time_summer_and_winter() -> None:
    assert formatting.datetime(datetime(2025, 7, 1, 9, 30, tzinfo=UTC), BUCHAREST) == "01.07.2025 12:30"
    assert formatting.datetime("2025-01-15T09:30:00Z", BUCHAREST) == "15.01.2025 11:30"
    assert formatting.datetime("2025-01-15", BUCHAREST) == "15.01.2025"
    assert formatting.datetime(None, BUCHAREST) == ""


def test_money_is_shown_the_romanian_way() -> None:
    assert formatting.money("1250.5", None) == "1.250,50"
    assert formatting.money("-3", None) == "-3,00"


def test_the_segment_after_api_picks_the_service() -> None:
    assert segment_of("/api/partners/12/history") == "partners"
    assert segment_of("/api/pipeline") == "pipeline"
    with pytest.raises(UnknownRoute):
        segment_of("/partners")


def test_routes_name_the_owning_service_and_the_environment_overrides_single_entries(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CRM_GATEWAY_SERVICE_URLS", '{"tasks": "http://tasks.internal:9000/"}')
    monkeypatch.setenv("CRM_GATEWAY_ROUTES", '{"reminders": "tasks"}')
    settings = GatewaySettings()
    assert settings.service_urls["tasks"] == "http://tasks.internal:9000"
    assert settings.service_urls["partners"] == "http://127.0.0.1:8101"
    assert settings.routes["reminders"] == settings.routes["tasks"] == "tasks"
    assert settings.routes["partners"] == DEFAULT_ROUTES["partners"] == "partners"
    assert settings.routes["mail-imports"] == "mail-ingest"
    assert set(DEFAULT_ROUTES.values()) == set(SERVICE_PORTS)


def test_a_route_to_a_url_instead_of_a_service_is_refused_with_the_way_to_fix_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CRM_GATEWAY_ROUTES", '{"tasks": "http://tasks.internal:9000/"}')
    with pytest.raises(ValidationError, match="CRM_GATEWAY_SERVICE_URLS"):
        GatewaySettings()


def test_a_posted_message_goes_to_its_recipient_and_a_task_to_its_responsible() -> None:
    message = MessagePosted(
        message_id=uuid4(), recipient="ana", title="Salut", body="text", cause_event_id="e1", link="/tasks/1"
    )
    assert route_event(message) is not None
    username, staff_id, live = route_event(message)  # type: ignore[misc]
    assert (username, staff_id, live.name, live.data["title"]) == ("ana", None, "message", "Salut")
    staff = uuid4()
    assigned = TaskAssigned(task_id=uuid4(), title="Sună clientul", responsible_staff_id=staff)
    username, staff_id, live = route_event(assigned)  # type: ignore[misc]
    assert (username, staff_id, live.name) == (None, str(staff), "task")


def test_the_home_area_is_discovered_with_its_routes_and_translations() -> None:
    areas = discover_areas()
    assert "/" in {path for handler in areas.routes for path in getattr(handler, "paths", set())}
    assert i18n.gettext("en", "Bun venit, %(name)s", name="ana") == "Welcome, ana"
    assert [a.label for a in areas.actions][:5] == [
        "Adaugă task",
        "Trimite email",
        "Stiva de mesaje",
        "Mesagerie",
        "Deschide partener",
    ]


async def test_the_hub_hands_each_event_only_to_the_streams_of_the_user_it_names() -> None:
    hub = LiveHub("127.0.0.1:1", "")
    staff = uuid4()
    ana = User("1", "ana", "agent", str(staff))
    bob = User("2", "bob", "agent", None)
    async with hub.listen(ana) as ana_queue, hub.listen(bob) as bob_queue:
        message = MessagePosted(message_id=uuid4(), recipient="ana", title="T", body="B", cause_event_id="c")
        assert hub.publish(message) == 1
        assert hub.publish(TaskAssigned(task_id=uuid4(), responsible_staff_id=staff)) == 1
        assert [ana_queue.get_nowait().name, ana_queue.get_nowait().name] == ["message", "task"]
        assert bob_queue.empty()
    assert hub.publish(message) == 0


def test_the_default_admin_password_is_allowed_only_on_loopback() -> None:
    assert first_admin_password(GatewaySettings(host="127.0.0.1")) == "admin"
    assert first_admin_password(GatewaySettings(host="127.0.0.1", admin_password="s3cret")) == "s3cret"
    with pytest.raises(RuntimeError, match="CRM_ADMIN_PASSWORD"):
        first_admin_password(GatewaySettings(host="0.0.0.0", token_secret="a-real-secret-of-32-bytes-or-more!!"))
    assert first_admin_password(GatewaySettings(host="0.0.0.0", admin_password="s3cret"))


@pytest.mark.parametrize("secret", ["dev-only-gateway-token-secret-change-me", "dev-only-identity-secret-change-me"])
@pytest.mark.parametrize("host", ["127.0.0.1", "0.0.0.0"])
def test_a_published_development_token_secret_is_refused_on_any_address(secret: str, host: str) -> None:
    with pytest.raises(ValidationError, match="CRM_GATEWAY_TOKEN_SECRET is a published development value"):
        GatewaySettings(host=host, admin_password="s3cret", token_secret=secret)
    with pytest.raises(ValidationError, match="shorter than 32 bytes"):
        GatewaySettings(host=host, admin_password="s3cret", token_secret="x" * 31)
