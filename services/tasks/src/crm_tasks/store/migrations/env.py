"""Alembic environment of the tasks store."""

from crm_kit.migrations import run_env
from crm_tasks.store.tables import metadata

run_env(metadata)
