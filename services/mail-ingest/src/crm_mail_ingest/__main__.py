"""``python -m crm_mail_ingest run|serve|consume|relay|migrate|watch``."""

from crm_kit.cli import main
from crm_mail_ingest.bootstrap import bootstrap

if __name__ == "__main__":  # the import folder's worker processes import this module too
    raise SystemExit(main(bootstrap))
