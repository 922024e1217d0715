"""A service configured with a published development secret (or a short one) refuses to start."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest


@pytest.mark.parametrize(
    ("module", "variable", "value", "reason"),
    [
        ("crm_partners", "CRM_IDENTITY_SECRET", "dev-only-identity-secret-change-me", "published development value"),
        ("crm_tasks", "CRM_IDENTITY_SECRET", "dev-only-gateway-token-secret-change-me", "published development value"),
        ("crm_gateway", "CRM_GATEWAY_TOKEN_SECRET", "dev-only-gateway-token-secret-change-me", "published"),
        ("crm_gateway", "CRM_IDENTITY_SECRET", "too-short", "shorter than 32 bytes"),
        ("crm_notifier", "CRM_NOTIFIER_CREDENTIALS_KEY", "dev-only-identity-secret-change-me", "published"),
    ],
)
def test_a_service_started_with_a_dev_or_short_secret_exits_with_a_clear_message(
    module: str, variable: str, value: str, reason: str, tmp_path: Path
) -> None:
    env = {**os.environ, "CRM_VAR": str(tmp_path / "var"), variable: value}
    # The broker address is unreachable on purpose: the process must stop before it connects anywhere.
    env["CRM_KAFKA_BOOTSTRAP"] = "127.0.0.1:9"
    done = subprocess.run(
        [sys.executable, "-m", module, "run"], env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 2, done.stderr[-2000:]
    assert "refusing to start" in done.stderr
    assert variable in done.stderr and reason in done.stderr
    assert "Traceback" not in done.stderr
    assert not list((tmp_path / "var").glob("*.db"))  # it migrated no database either
