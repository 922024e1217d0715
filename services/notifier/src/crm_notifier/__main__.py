"""``python -m crm_notifier run|serve|consume|relay|deliver|migrate|reseal``."""

import sys

from crm_kit.cli import main
from crm_notifier.bootstrap import bootstrap, compose
from crm_notifier.reseal import reseal_main

if sys.argv[1:2] == ["reseal"]:
    raise SystemExit(reseal_main(compose, sys.argv[2:], sys.stdin))
raise SystemExit(main(bootstrap))
