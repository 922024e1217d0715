"""The command line every service shares: ``python -m crm_<service> run|serve|consume|relay|migrate|...``."""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
from collections.abc import Callable, Sequence

import pydantic

from crm_kit import logs
from crm_kit.service import Service, tune_gc


def main(bootstrap: Callable[[], Service], argv: Sequence[str] | None = None) -> int:
    """Parse the command and run it; Ctrl-C or SIGTERM stops the loops cleanly.

    Settings that cannot be used (a published or short secret, a malformed value) stop the process
    before it does anything: the reasons on stderr, exit status 2.
    """
    try:
        service = bootstrap()
    except pydantic.ValidationError as exc:
        reasons = "; ".join(str(error["msg"]).removeprefix("Value error, ") for error in exc.errors())
        sys.stderr.write(f"refusing to start, the settings are not usable: {reasons}\n")
        return 2
    parser = argparse.ArgumentParser(prog=f"python -m crm_{service.name.replace('-', '_')}")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("run", help="migrate, then serve HTTP, consume, relay and run every worker in one process")
    sub.add_parser("serve", help="serve the HTTP API only")
    sub.add_parser("consume", help="consume subscribed events only")
    sub.add_parser("relay", help="publish the outbox only")
    sub.add_parser("migrate", help="bring the database to the newest schema")
    rev = sub.add_parser("revision", help="autogenerate a migration from the tables")
    rev.add_argument("-m", "--message", required=True)
    for name in service.workers:
        sub.add_parser(name, help=f"run the {name} worker only")
    args = parser.parse_args(argv)
    logs.configure(service.name, service.settings.log_level)
    tune_gc(service.settings.gc_threshold)

    if args.command == "migrate":
        asyncio.run(service.migrate())
        return 0
    if args.command == "revision":
        from crm_kit.migrations import revision

        if service.migrations is None:
            parser.error("this service has no migrations folder")
        revision(service.migrations, service.db.url, args.message)
        return 0
    which = {"serve", "consume", "relay", "workers"} if args.command == "run" else {args.command}
    return asyncio.run(_run(service, which, migrate=args.command == "run"))


async def _run(service: Service, which: set[str], *, migrate: bool) -> int:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    if migrate:
        await service.migrate()
    await service.run(which, stop)
    return 0
