"""Alembic environment of the opportunities store."""

from crm_kit.migrations import run_env
from crm_opportunities.store.tables import metadata

run_env(metadata)
