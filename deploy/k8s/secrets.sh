#!/usr/bin/env bash
# Prints a filled secrets.env for the production overlay (fresh random values, database URLs to match).
# Usage: deploy/k8s/secrets.sh > deploy/k8s/overlays/production/secrets.env
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
uv run --project "$root" python - <<'PY'
import base64
import secrets
import uuid

from cryptography.fernet import Fernet

password = secrets.token_hex(24)
print(f"CRM_IDENTITY_SECRET={secrets.token_urlsafe(48)}")
print(f"CRM_GATEWAY_TOKEN_SECRET={secrets.token_urlsafe(48)}")
print(f"CRM_NOTIFIER_CREDENTIALS_KEY={Fernet.generate_key().decode()}")
print(f"CRM_ADMIN_PASSWORD={secrets.token_urlsafe(12)}")
print("CRM_NOTIFIER_SMTP_USERNAME=")
print("CRM_NOTIFIER_SMTP_PASSWORD=")
print(f"POSTGRES_PASSWORD={password}")
print(f"KAFKA_CLUSTER_ID={base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip('=')}")
for service in ("partners", "commercial", "opportunities", "campaigns", "tasks", "notifier", "mail-ingest", "gateway"):
    db = "crm_" + service.replace("-", "_")
    print(f"{service.upper().replace('-', '_')}_DATABASE_URL=postgresql+asyncpg://crm:{password}@postgres:5432/{db}")
PY
