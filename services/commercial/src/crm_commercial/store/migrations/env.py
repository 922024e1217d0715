from crm_commercial.store.tables import metadata
from crm_kit.migrations import run_env

run_env(metadata)
