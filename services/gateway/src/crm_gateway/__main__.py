"""``python -m crm_gateway run|serve|migrate|live``."""

from crm_gateway.bootstrap import bootstrap
from crm_kit.cli import main

raise SystemExit(main(bootstrap))
