from crm_kit.migrations import run_env
from crm_mail_ingest.store.tables import metadata

run_env(metadata)
