"""A real local SMTP server (aiosmtpd) that stores every message it receives in a Maildir.

It can behave like a real server on the internet: answer each message only after a delay
(``delay_ms``; real servers take tens to hundreds of milliseconds) and accept only so many
connections at once from one client address (``max_connections``; others get ``421``).
"""

from __future__ import annotations

import argparse
import asyncio
import mailbox
import signal
import threading
from collections import Counter
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Mailbox
from aiosmtpd.smtp import SMTP

TOO_MANY = b"421 4.7.0 Too many connections from your address, try again later\r\n"


class SlowMailbox(Mailbox):  # type: ignore[misc]
    """The Maildir handler, answering the final dot of each message only after ``delay`` seconds.

    The wait is an ``asyncio.sleep`` in the server's event loop: other connections go on meanwhile,
    as they do on a real server.
    """

    def __init__(self, maildir: Path, delay: float) -> None:
        super().__init__(maildir)
        self.delay = delay

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd's hook name
        if self.delay > 0:
            await asyncio.sleep(self.delay)
        return str(await super().handle_DATA(server, session, envelope))


class LimitedSMTP(SMTP):  # type: ignore[misc]
    """An SMTP session that refuses (``421``) a client address already holding ``limit`` connections."""

    def __init__(self, handler: Any, open_per_peer: Counter[str], limit: int, **kwargs: Any) -> None:
        super().__init__(handler, **kwargs)
        self.open_per_peer = open_per_peer
        self.limit = limit
        self.counted: str | None = None
        self.refused = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        if self.transport is None:  # a new connection, not the TLS switch of an existing one
            host = str(transport.get_extra_info("peername")[0])
            if self.open_per_peer[host] >= self.limit:
                self.refused = True
                transport.write(TOO_MANY)  # type: ignore[attr-defined]
                transport.close()
                return
            self.open_per_peer[host] += 1
            self.counted = host
        super().connection_made(transport)

    def connection_lost(self, error: Exception | None) -> None:
        if self.refused:
            return  # the session never started: nothing of it to tear down
        if self.counted is not None:
            self.open_per_peer[self.counted] -= 1
            self.counted = None
        super().connection_lost(error)

    def eof_received(self) -> bool | None:
        if self.refused:
            return False
        return super().eof_received()  # type: ignore[no-any-return]


class SinkController(Controller):  # type: ignore[misc]
    """aiosmtpd's threaded controller, making ``LimitedSMTP`` sessions when a limit is set."""

    def __init__(self, handler: Any, max_connections: int | None, **kwargs: Any) -> None:
        super().__init__(handler, **kwargs)
        self.max_connections = max_connections
        self.open_per_peer: Counter[str] = Counter()  # touched only in the server's event loop thread

    def factory(self) -> SMTP:
        if self.max_connections is None:
            return SMTP(self.handler, **self.SMTP_kwargs)
        return LimitedSMTP(self.handler, self.open_per_peer, self.max_connections, **self.SMTP_kwargs)


class SmtpSink:
    """An SMTP server in a thread; ``messages()`` reads back what it stored.

    Args:
        maildir: where messages are stored.
        host: address to listen on.
        port: port to listen on.
        delay_ms: how long the server takes to accept each message (after the final dot), in ms.
        max_connections: connections one client address may hold at once (None = no limit).
    """

    def __init__(
        self,
        maildir: Path,
        host: str = "127.0.0.1",
        port: int = 2525,
        delay_ms: float = 0,
        max_connections: int | None = None,
    ) -> None:
        if delay_ms < 0:
            raise ValueError("delay_ms cannot be negative")
        if max_connections is not None and max_connections < 1:
            raise ValueError("max_connections is at least 1 (or None for no limit)")
        self.maildir = maildir
        self.host = host
        self.port = port
        # Maildir(create=True) makes tmp/new/cur only when the folder itself is new: make them here.
        for sub in ("tmp", "new", "cur"):
            (maildir / sub).mkdir(parents=True, exist_ok=True)
        handler = SlowMailbox(maildir, delay_ms / 1000) if delay_ms else Mailbox(maildir)
        self._controller = SinkController(handler, max_connections, hostname=host, port=port)

    def start(self) -> None:
        self._controller.start()

    def stop(self) -> None:
        self._controller.stop()

    def messages(self) -> list[mailbox.MaildirMessage]:
        """Every message received so far."""
        box = mailbox.Maildir(str(self.maildir), create=True)
        return [box[key] for key in box.keys()]  # noqa: SIM118 - Maildir is not a dict


def main() -> None:
    """``python -m crm_kit.smtp_sink --port 2525 --maildir var/sent-mail [--delay-ms 50] [--max-connections 10]``."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=2525)
    parser.add_argument("--maildir", type=Path, default=Path("var/sent-mail"))
    parser.add_argument("--delay-ms", type=float, default=0, help="time to accept each message, ms (default 0)")
    parser.add_argument(
        "--max-connections", type=int, default=None, help="connections per client address (default: no limit)"
    )
    args = parser.parse_args()
    try:
        sink = SmtpSink(args.maildir, args.host, args.port, args.delay_ms, args.max_connections)
    except ValueError as exc:
        parser.error(str(exc))
    sink.start()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    print(f"SMTP sink on {args.host}:{args.port}, storing in {args.maildir}", flush=True)  # noqa: T201
    stop.wait()
    sink.stop()


if __name__ == "__main__":
    main()
