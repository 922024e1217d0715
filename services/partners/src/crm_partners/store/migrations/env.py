from crm_kit.migrations import run_env
from crm_partners.store.tables import metadata

run_env(metadata)
