"""Alembic environment of the gateway."""

from crm_gateway.store.tables import metadata
from crm_kit.migrations import run_env

run_env(metadata)
