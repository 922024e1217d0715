"""Fixtures of the container-stack journeys: the running stack's gateway, logged in as admin."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest


@pytest.fixture(scope="session")
def compose_url() -> str:
    """The gateway of `make compose-up` (CRM_COMPOSE_URL); the tests are skipped without one."""
    url = os.environ.get("CRM_COMPOSE_URL", "")
    if not url:
        pytest.skip("no container stack: run `make compose-test`")
    return url


@pytest.fixture(scope="session")
def sent_mail() -> Path:
    """The SMTP sink's Maildir, bind-mounted from var/compose/sent-mail."""
    return Path(os.environ.get("CRM_COMPOSE_SENT_MAIL", "var/compose/sent-mail"))


@pytest.fixture
async def admin(compose_url: str) -> AsyncIterator[httpx.AsyncClient]:
    """A client of the gateway with the admin's bearer token (password from CRM_ADMIN_PASSWORD)."""
    async with httpx.AsyncClient(base_url=compose_url, timeout=30) as client:
        response = await client.post(
            "/api/auth/token", json={"username": "admin", "password": os.environ["CRM_ADMIN_PASSWORD"]}
        )
        assert response.status_code == 200, response.text
        client.headers["Authorization"] = f"Bearer {response.json()['access_token']}"
        yield client
