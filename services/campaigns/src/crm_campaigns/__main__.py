"""Command line: ``python -m crm_campaigns run|serve|consume|relay|migrate``."""

from crm_campaigns.bootstrap import bootstrap
from crm_kit.cli import main

raise SystemExit(main(bootstrap))
