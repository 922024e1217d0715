"""Secrets are generated once per checkout and refused when published or short; identity tokens name one service."""

from __future__ import annotations

import stat
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import jwt
import pytest
import sqlalchemy as sa
from litestar import get
from pydantic import ValidationError

from crm_kit.http import create_app
from crm_kit.identity import HEADER, Identity, InvalidIdentity, issue, verify
from crm_kit.secrets import local_secret
from crm_kit.service import Service
from crm_kit.settings import ServiceSettings
from crm_kit.store import kit_tables

PUBLISHED = ["dev-only-identity-secret-change-me", "dev-only-gateway-token-secret-change-me"]
ANA = Identity("u1", "ana", "agent")


@pytest.fixture
def var(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A ``var/`` of this test's own, with no secret configured in the environment."""
    monkeypatch.setenv("CRM_VAR", str(tmp_path / "var"))
    monkeypatch.delenv("CRM_IDENTITY_SECRET", raising=False)
    return tmp_path / "var"


def test_an_unconfigured_secret_is_generated_once_private_and_read_by_every_settings_instance(var: Path) -> None:
    first, second = ServiceSettings(), ServiceSettings(service_name="other")
    assert first.identity_secret == second.identity_secret
    assert len(first.identity_secret.encode()) >= 32
    stored = var / "secrets" / "identity-secret"
    assert stored.read_text().strip() == first.identity_secret
    assert stat.S_IMODE(stored.stat().st_mode) == 0o600
    assert stat.S_IMODE(stored.parent.stat().st_mode) == 0o700
    assert [p.name for p in stored.parent.iterdir()] == ["identity-secret"]  # no temporary file left behind


def test_a_configured_secret_is_used_as_given_and_nothing_is_generated(var: Path) -> None:
    assert ServiceSettings(identity_secret="s" * 40).identity_secret == "s" * 40
    assert not (var / "secrets" / "identity-secret").exists()


def test_processes_starting_at_once_agree_on_one_generated_secret(tmp_path: Path) -> None:
    script = (
        "import sys; from pathlib import Path; from crm_kit.secrets import local_secret; "
        "print(local_secret(Path(sys.argv[1]), 'shared'))"
    )
    processes = [
        subprocess.Popen([sys.executable, "-c", script, str(tmp_path / "secrets")], stdout=subprocess.PIPE, text=True)
        for _ in range(6)
    ]
    values = {process.communicate(timeout=60)[0].strip() for process in processes}
    assert len(values) == 1
    assert values == {local_secret(tmp_path / "secrets", "shared")}


@pytest.mark.parametrize(
    ("value", "reason"),
    [*((dev, "published development value") for dev in PUBLISHED), ("x" * 31, "shorter than 32 bytes")],
)
def test_a_published_or_short_identity_secret_is_refused(
    value: str, reason: str, var: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(ValidationError, match=f"CRM_IDENTITY_SECRET .*{reason}"):
        ServiceSettings(identity_secret=value)
    monkeypatch.setenv("CRM_IDENTITY_SECRET", value)
    with pytest.raises(ValidationError, match=reason):
        ServiceSettings()


def test_a_token_names_its_service_and_lives_a_minute() -> None:
    secret = "s" * 40
    token = issue(ANA, secret, "tasks")
    claims = jwt.decode(token, options={"verify_signature": False})
    assert (claims["aud"], claims["exp"] - claims["iat"]) == ("tasks", 60)
    assert verify(token, secret, "tasks") == ANA
    with pytest.raises(InvalidIdentity, match="another service"):
        verify(token, secret, "partners")


def test_a_token_without_audience_or_issue_time_is_refused() -> None:
    secret = "s" * 40
    exp = int((datetime.now(UTC) + timedelta(minutes=1)).timestamp())
    base = {"sub": "u1", "role": "agent", "exp": exp}
    no_audience = jwt.encode({**base, "iat": exp - 60}, secret, algorithm="HS256")
    no_issue_time = jwt.encode({**base, "aud": "tasks"}, secret, algorithm="HS256")
    for token in (no_audience, no_issue_time):
        with pytest.raises(InvalidIdentity):
            verify(token, secret, "tasks")


@get("/api/whoami", sync_to_thread=False)
def whoami(identity: Identity) -> dict[str, str]:
    return {"username": identity.username}


def _service(name: str, secret: str, tmp_path: Path) -> Service:
    metadata = sa.MetaData()
    kit_tables(metadata)
    settings = ServiceSettings(
        service_name=name, identity_secret=secret, database_url=f"sqlite+aiosqlite:///{tmp_path / (name + '.db')}"
    )
    return Service(name=name, settings=settings, metadata=metadata)


async def test_a_service_accepts_only_unexpired_tokens_for_itself(tmp_path: Path) -> None:
    secret = "s" * 40
    partners = _service("partners", secret, tmp_path)
    transport = httpx.ASGITransport(app=create_app(partners, [whoami]))
    expired = issue(ANA, secret, "partners", now=datetime.now(UTC) - timedelta(minutes=2))
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://partners") as client:
            own = await client.get("/api/whoami", headers={HEADER: issue(ANA, secret, "partners")})
            assert (own.status_code, own.json()) == (200, {"username": "ana"})
            for_tasks = await client.get("/api/whoami", headers={HEADER: issue(ANA, secret, "tasks")})
            assert for_tasks.status_code == 401
            assert "another service" in for_tasks.json()["detail"]
            old = await client.get("/api/whoami", headers={HEADER: expired})
            assert old.status_code == 401
            assert "expired" in old.json()["detail"]
            for published in PUBLISHED:
                forged = await client.get("/api/whoami", headers={HEADER: issue(ANA, published, "partners")})
                assert forged.status_code == 401
    finally:
        await partners.db.dispose()
