"""Run every benchmark (``make bench``) or the ones named: ``python -m bench relay consume``."""

from __future__ import annotations

import asyncio
import importlib
import logging
import pkgutil
import sys
import traceback
from pathlib import Path

from bench.common import BOOTSTRAP, RUN
from crm_kit import kafka
from crm_kit.service import tune_gc
from crm_kit.settings import ServiceSettings


def main() -> None:
    # Benchmarks print their figures; per-request and broker-retry logs would drown them.
    logging.basicConfig(level=logging.WARNING)
    for noisy in ("aiokafka", "httpx", "uvicorn", "uvicorn.access", "uvicorn.error"):
        logging.getLogger(noisy).setLevel(logging.ERROR)
    # Baselines and our services run in one interpreter, with the process settings a service's
    # command line applies (crm_kit.cli): the comparison is between code paths, not GC settings.
    tune_gc(ServiceSettings().gc_threshold)
    wanted = set(sys.argv[1:])
    names = sorted(m.name for m in pkgutil.iter_modules([str(Path(__file__).parent)]) if m.name.startswith("bench_"))
    failed: list[str] = []
    for name in names:
        if wanted and name.removeprefix("bench_") not in wanted:
            continue
        print(f"== {name}", flush=True)
        try:
            module = importlib.import_module(f"bench.{name}")
            asyncio.run(module.main())
        except Exception:
            # One broken benchmark does not cost the figures of the others (a full run takes an hour).
            traceback.print_exc()
            failed.append(name)
        finally:
            # Every benchmark's topics are under a prefix starting with this run's ``RUN``: they go, and
            # those of a benchmark another process runs beside this one stay.
            asyncio.run(kafka.delete_topics(BOOTSTRAP, RUN))
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
