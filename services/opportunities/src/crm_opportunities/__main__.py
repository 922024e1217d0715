"""``python -m crm_opportunities run|serve|consume|relay|migrate``."""

from crm_kit.cli import main
from crm_opportunities.bootstrap import bootstrap

raise SystemExit(main(bootstrap))
