"""A real local SMTP server (aiosmtpd) that stores every message it receives in a Maildir."""

from __future__ import annotations

import argparse
import mailbox
import signal
import threading
from pathlib import Path

from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Mailbox


class SmtpSink:
    """An SMTP server in a thread; ``messages()`` reads back what it stored."""

    def __init__(self, maildir: Path, host: str = "127.0.0.1", port: int = 2525) -> None:
        self.maildir = maildir
        self.host = host
        self.port = port
        # Maildir(create=True) makes tmp/new/cur only when the folder itself is new: make them here.
        for sub in ("tmp", "new", "cur"):
            (maildir / sub).mkdir(parents=True, exist_ok=True)
        self._controller = Controller(Mailbox(maildir), hostname=host, port=port)

    def start(self) -> None:
        self._controller.start()

    def stop(self) -> None:
        self._controller.stop()

    def messages(self) -> list[mailbox.MaildirMessage]:
        """Every message received so far."""
        box = mailbox.Maildir(str(self.maildir), create=True)
        return [box[key] for key in box.keys()]  # noqa: SIM118 - Maildir is not a dict


def main() -> None:
    """``python -m crm_kit.smtp_sink --port 2525 --maildir var/sent-mail``."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=2525)
    parser.add_argument("--maildir", type=Path, default=Path("var/sent-mail"))
    args = parser.parse_args()
    sink = SmtpSink(args.maildir, args.host, args.port)
    sink.start()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    print(f"SMTP sink on {args.host}:{args.port}, storing in {args.maildir}", flush=True)  # noqa: T201
    stop.wait()
    sink.stop()


if __name__ == "__main__":
    main()
