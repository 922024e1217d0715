"""Command line: ``python -m crm_tasks run|serve|consume|relay|migrate|schedule``."""

from crm_kit.cli import main
from crm_tasks.bootstrap import bootstrap

raise SystemExit(main(bootstrap))
