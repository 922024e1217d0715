"""``python -m crm_mail_ingest run|serve|consume|relay|migrate|watch``."""

from crm_kit.cli import main
from crm_mail_ingest.bootstrap import bootstrap

raise SystemExit(main(bootstrap))
