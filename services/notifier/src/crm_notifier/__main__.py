"""``python -m crm_notifier run|serve|consume|relay|deliver|migrate``."""

from crm_kit.cli import main
from crm_notifier.bootstrap import bootstrap

raise SystemExit(main(bootstrap))
