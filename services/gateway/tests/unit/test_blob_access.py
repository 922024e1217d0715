"""Who may download a blob: the gateway asks the services, and a service that does not answer is not a "no"."""

from __future__ import annotations

from datetime import timedelta

import pytest

from crm_gateway.domain.users import User
from crm_gateway.routing import Forwarder, ServiceUnavailable

CLOSED = "http://127.0.0.1:9"  # the discard port: nothing listens
SHA = "a" * 64
SECRET = "a-test-identity-secret-of-32-bytes!"


async def test_an_admin_reads_any_blob_without_asking_the_services() -> None:
    forwarder = Forwarder({"tasks": "tasks"}, {"tasks": CLOSED}, SECRET, 1.0, timedelta(minutes=1))
    try:
        assert await forwarder.may_read_blob(User("u1", "root", "admin", None), SHA)
    finally:
        await forwarder.close()


async def test_an_agent_gets_503_not_404_when_a_service_that_might_reference_the_blob_is_down() -> None:
    routes = {"tasks": "tasks", "emails": "notifier"}
    forwarder = Forwarder(routes, {"tasks": CLOSED, "notifier": CLOSED}, SECRET, 1.0, timedelta(minutes=1))
    try:
        with pytest.raises(ServiceUnavailable):
            await forwarder.may_read_blob(User("u2", "ana", "agent", "s1"), SHA)
    finally:
        await forwarder.close()
