"""``python -m crm_partners run|serve|consume|relay|migrate|rebuild-history``."""

from __future__ import annotations

import sys

from crm_kit.cli import main
from crm_partners.bootstrap import bootstrap, compose
from crm_partners.events.replay import rebuild_main

if __name__ == "__main__":
    if sys.argv[1:2] == ["rebuild-history"]:
        raise SystemExit(rebuild_main(compose, sys.argv[2:]))
    raise SystemExit(main(bootstrap))
