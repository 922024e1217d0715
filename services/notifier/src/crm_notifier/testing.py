"""Test and benchmark support: SMTP sinks that can go down or refuse recipients, and reading what they got."""

from __future__ import annotations

import email
import email.policy
import mailbox
import socket
import subprocess
import sys
import threading
import time
import uuid
from datetime import datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import httpx
from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Mailbox
from aiosmtpd.smtp import AuthResult

from crm_kit.identity import HEADER, Identity, issue
from crm_kit.ports import free_port


def read_maildir(path: Path) -> list[EmailMessage]:
    """Every message a sink stored, with decoded headers."""
    box = mailbox.Maildir(str(path), create=True)
    keys = box.keys()
    return [email.message_from_bytes(box.get_bytes(k), policy=email.policy.default) for k in keys]  # type: ignore[misc]


def pending_emails(n: int, now: datetime, body: str = "Bună ziua") -> list[dict[str, Any]]:
    """``n`` email deliveries as the consumer leaves them for the worker (rows of ``deliveries``)."""
    return [
        {
            "id": str(uuid.uuid4()),
            "cause_event_id": str(uuid.uuid4()),
            "recipient": f"client{i}@alfa.ro",
            "channel": "email",
            "kind": "email",
            "status": "pending",
            "attempts": 0,
            "next_attempt_at": now,
            "subject": f"Oferta {i}",
            "body": body,
            "attachments": [],
            "created_at": now,
        }
        for i in range(n)
    ]


def identity_headers(
    secret: str, username: str = "ana", role: str = "admin", staff_id: str | None = None
) -> dict[str, str]:
    """The identity header the gateway would add for this user's call to the notifier.

    Valid for an hour, not the gateway's minute: a test keeps it for all its calls.
    """
    who = Identity(user_id=f"u-{username}", username=username, role=role, staff_id=staff_id)
    token = issue(who, secret, "notifier", ttl=timedelta(hours=1))
    return {HEADER: token}


def api_client(app: Any) -> httpx.AsyncClient:
    """An HTTP client that runs the app in the current event loop.

    Litestar's AsyncTestClient runs the app through a blocking portal in another thread; with the
    service's consumer and worker running in this loop on SQLite, that deadlocks on the write lock.
    """
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://notifier")


class SinkProcess:
    """``python -m crm_kit.smtp_sink`` in a subprocess, to stop (server down) and start again.

    ``delay_ms`` and ``max_connections`` make it answer like a real server (see ``crm_kit.smtp_sink``).
    """

    def __init__(
        self, maildir: Path, port: int | None = None, delay_ms: float = 0, max_connections: int | None = None
    ) -> None:
        self.maildir = maildir
        self.port = port or free_port()
        self.delay_ms = delay_ms
        self.max_connections = max_connections
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        command = [sys.executable, "-m", "crm_kit.smtp_sink", "--port", str(self.port), "--maildir", str(self.maildir)]
        command += ["--delay-ms", str(self.delay_ms)]
        if self.max_connections is not None:
            command += ["--max-connections", str(self.max_connections)]
        self.proc = subprocess.Popen(command, stdout=subprocess.DEVNULL)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", self.port)) == 0:
                    return
            time.sleep(0.05)
        raise RuntimeError("SMTP sink did not start")

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(10)
            self.proc = None

    def messages(self) -> list[EmailMessage]:
        return read_maildir(self.maildir)


class RefusingMailbox(Mailbox):  # type: ignore[misc]
    """A Maildir handler that refuses some recipients: 550 always, or 451 a number of times first."""

    def __init__(self, maildir: Path, refuse: set[str], busy: dict[str, int]) -> None:
        super().__init__(maildir)
        self.refuse = {a.lower() for a in refuse}
        self.busy = {a.lower(): n for a, n in busy.items()}
        self.lock = threading.Lock()

    async def handle_RCPT(  # noqa: N802 - aiosmtpd's hook name
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        if address.lower() in self.refuse:
            return "550 5.1.1 mailbox unavailable"
        with self.lock:
            if self.busy.get(address.lower(), 0) > 0:
                self.busy[address.lower()] -= 1
                return "451 4.3.0 try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"


class RefusingSink:
    """A real SMTP server in a thread that refuses the given recipients."""

    def __init__(
        self,
        maildir: Path,
        refuse: set[str] | None = None,
        busy: dict[str, int] | None = None,
        users: dict[str, str] | None = None,
    ) -> None:
        self.maildir = maildir
        for sub in ("tmp", "new", "cur"):
            (maildir / sub).mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        handler = RefusingMailbox(maildir, refuse or set(), busy or {})
        options: dict[str, Any] = {}
        if users is not None:

            def authenticate(server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any) -> AuthResult:
                login = auth_data.login.decode()
                return AuthResult(success=users.get(login) == auth_data.password.decode())

            options = {
                "authenticator": authenticate,
                "auth_require_tls": False,
                "auth_required": True,
                "auth_exclude_mechanism": ["LOGIN"],  # aiosmtplib waits forever after a refused LOGIN here
            }
        self.controller = Controller(handler, hostname="127.0.0.1", port=self.port, **options)

    def start(self) -> None:
        self.controller.start()

    def stop(self) -> None:
        self.controller.stop()

    def messages(self) -> list[EmailMessage]:
        return read_maildir(self.maildir)
