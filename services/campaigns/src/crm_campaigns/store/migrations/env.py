"""Alembic environment of the campaigns store."""

from crm_campaigns.store.tables import metadata
from crm_kit.migrations import run_env

run_env(metadata)
