"""Command line: ``python -m crm_commercial run|serve|consume|relay|migrate|revision``."""

from crm_commercial.bootstrap import bootstrap
from crm_kit.cli import main

raise SystemExit(main(bootstrap))
