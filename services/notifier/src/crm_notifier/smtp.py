"""The SMTP adapter (aiosmtplib), ``SmtpMailer``: pooled connections per server, a two-step DATA, a connection test.

The final ``.`` of DATA is what makes a server take a message. :func:`transmit` sends everything
before it, lets the caller record the hand-over in the database, and only then sends the dot: a
crash before the record leaves a message the server never accepted (safe to send again), a crash
after it leaves a message the server took or is taking (never sent again).
"""

from __future__ import annotations

import asyncio
import mimetypes
import re
import socket
import ssl
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from email import policy
from email.message import EmailMessage
from email.utils import format_datetime
from typing import Any, Literal

import aiosmtplib

from crm_notifier.domain.headers import check_address, check_header
from crm_notifier.domain.models import Outcome, Row, ServerConfig
from crm_notifier.domain.outgoing import message_id_of

TlsMode = Literal["none", "starttls", "tls"]


class SmtpFailure(Exception):
    """A failure to reach or talk to a server, explained in words."""

    def __init__(self, message: str, code: int | None = None) -> None:
        super().__init__(message)
        self.code = code


# policy.SMTP: header values go through the header registry (parsed, refused when they hold a line break,
# folded with RFC 2047 words) and lines end in CRLF. compat32 took values as given, which let a subject with
# U+000B split the header block.
_WIRE = policy.SMTP


def build_message(
    *,
    sender: str,
    recipient: str,
    subject: str,
    body: str,
    message_id: str,
    sent_at: datetime,
    attachments: list[tuple[str, bytes]],
    extra_headers: dict[str, str] | None = None,
) -> bytes:
    """The wire form of one email (CRLF line ends, UTF-8 text quoted-printable, files base64).

    Every header value is checked first (no line break, no control character, one plain recipient
    address), then built as an ``EmailMessage`` under ``policy.SMTP``.

    Raises:
        crm_kit.errors.Invalid: a header value with a line break or a control character, or a bad address.
        ValueError: a header the ``email`` package cannot build (the caller fails that one email).
    """
    msg = EmailMessage(policy=_WIRE)
    msg["From"] = check_header("sender", sender)
    msg["To"] = check_address(recipient)
    msg["Subject"] = check_header("subject", subject)
    msg["Date"] = format_datetime(sent_at)
    msg["Message-ID"] = check_header("message id", message_id)
    for name, value in (extra_headers or {}).items():
        msg[name] = check_header(name, value)
    msg.set_content(body, charset="utf-8", cte="quoted-printable")  # readable Romanian, 7-bit safe
    for file_name, data in attachments:
        ctype = mimetypes.guess_type(file_name)[0] or "application/octet-stream"
        maintype, _, subtype = ctype.partition("/")
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=check_header("file name", file_name))
    return msg.as_bytes()


def _dot_stuffed(data: bytes) -> bytes:
    data = re.sub(rb"(?<!\r)\n", b"\r\n", data)
    data = re.sub(rb"(?m)^\.", b"..", data)
    return data if data.endswith(b"\r\n") else data + b"\r\n"


def describe(exc: BaseException, config: ServerConfig) -> SmtpFailure:
    """An exception while talking to a server, in words a person can act on."""
    where = f"{config.host}:{config.port}"
    if isinstance(exc, SmtpFailure):
        return exc
    if isinstance(exc, aiosmtplib.SMTPAuthenticationError):
        return SmtpFailure(f"the server refused the user name or password ({exc.code} {exc.message})", exc.code)
    if isinstance(exc, aiosmtplib.SMTPException) and "AUTH" in str(exc) and "not supported" in str(exc):
        return SmtpFailure("the server does not offer authentication (AUTH); remove the user name or use TLS")
    if isinstance(exc, aiosmtplib.SMTPConnectTimeoutError | asyncio.TimeoutError | aiosmtplib.SMTPTimeoutError):
        return SmtpFailure(f"no answer from {where} in time (firewall, wrong port, or TLS mode?)")
    if isinstance(exc, aiosmtplib.SMTPConnectError):
        cause = exc.__cause__ or exc.__context__
        if isinstance(cause, ConnectionRefusedError) or "refused" in str(exc).lower():
            return SmtpFailure(f"could not connect to {where}: connection refused (is the server running there?)")
        if isinstance(cause, socket.gaierror):
            return SmtpFailure(f"the host name {config.host!r} could not be resolved")
        return SmtpFailure(f"could not connect to {where}: {exc}")
    if isinstance(exc, ssl.SSLError):
        return SmtpFailure(f"the TLS handshake with {where} failed ({exc.reason}); check the TLS mode and port")
    if isinstance(exc, aiosmtplib.SMTPServerDisconnected):
        return SmtpFailure(f"{where} closed the connection ({exc})")
    if isinstance(exc, aiosmtplib.SMTPResponseException):
        return SmtpFailure(f"the server answered {exc.code} {exc.message}", exc.code)
    if isinstance(exc, ConnectionRefusedError):
        return SmtpFailure(f"could not connect to {where}: connection refused (is the server running there?)")
    if isinstance(exc, OSError):
        return SmtpFailure(f"network error talking to {where}: {exc.strerror or exc}")
    return SmtpFailure(f"{type(exc).__name__}: {exc}")


async def connect(config: ServerConfig, source_address: str = "") -> aiosmtplib.SMTP:
    """An open, greeted (and, when configured, encrypted and logged-in) connection.

    Args:
        config: the server and the credentials.
        source_address: the local address to connect from ("" lets the system choose).

    Raises:
        SmtpFailure: what went wrong, in words.
    """
    client = aiosmtplib.SMTP(
        hostname=config.host,
        port=config.port,
        use_tls=config.tls_mode == "tls",
        start_tls=config.tls_mode == "starttls",
        timeout=config.timeout,
        source_address=(source_address, 0) if source_address else None,
    )
    try:
        await client.connect()
        if config.username:
            await client.login(config.username, config.password or "")
    except BaseException as exc:
        client.close()
        if isinstance(exc, asyncio.CancelledError):
            raise
        raise describe(exc, config) from exc
    return client


async def test_connection(config: ServerConfig) -> list[dict[str, Any]]:
    """Connect, greet, encrypt, log in and try the sender, reporting each step; never raises."""
    steps: list[dict[str, Any]] = []
    client = aiosmtplib.SMTP(
        hostname=config.host,
        port=config.port,
        use_tls=config.tls_mode == "tls",
        start_tls=False,
        timeout=config.timeout,
    )
    step = "connect"
    try:
        await client.connect()
        await client.ehlo()
        steps.append({"step": "connect", "ok": True, "detail": f"connected to {config.host}:{config.port}"})
        if config.tls_mode == "starttls":
            step = "starttls"
            if not client.supports_extension("starttls"):
                raise SmtpFailure("the server does not offer STARTTLS; choose TLS mode none or tls")
            await client.starttls()
            await client.ehlo()
            steps.append({"step": "starttls", "ok": True, "detail": "the connection is encrypted (STARTTLS)"})
        if config.username:
            step = "login"
            if not client.supports_extension("auth"):
                raise SmtpFailure("the server does not offer authentication (AUTH) on this connection")
            await client.login(config.username, config.password or "")
            steps.append({"step": "login", "ok": True, "detail": f"logged in as {config.username}"})
        step = "sender"
        response = await client.mail(config.sender)
        await client.rset()
        steps.append({"step": "sender", "ok": True, "detail": f"the sender {config.sender} is accepted"})
        del response
    except Exception as exc:
        failure = describe(exc, config)
        if step == "sender" and failure.code:
            failure = SmtpFailure(f"the server refused the sender address {config.sender}: {failure}", failure.code)
        steps.append({"step": step, "ok": False, "detail": str(failure)})
    finally:
        try:
            if client.is_connected:
                await client.quit()
        except Exception:
            client.close()
    return steps


async def transmit(
    client: aiosmtplib.SMTP,
    sender: str,
    recipient: str,
    data: bytes,
    hand_over: Callable[[], Awaitable[bool]],
    timeout: float,
) -> Outcome:
    """Send one message to one recipient on an open connection (see the module docstring)."""
    handed = False
    try:
        await client.mail(sender, timeout=timeout)
        try:
            await client.rcpt(recipient, timeout=timeout)
        except aiosmtplib.SMTPRecipientRefused as exc:
            await _reset(client)
            return Outcome("permanent" if exc.code >= 500 else "temporary", exc.code, f"{exc.code} {exc.message}")
        response = await client.execute_command(b"DATA", timeout=timeout)
        if response.code != 354:
            await _reset(client)
            return _refused(response.code, response.message)
        if client.protocol is None:
            raise aiosmtplib.SMTPServerDisconnected("connection lost")
        client.protocol.write(_dot_stuffed(data))
        try:
            owned = await hand_over()
        except BaseException:
            # The store failed (or we are stopping): never leave a connection in the middle of DATA
            # in the pool. Closing it makes the server drop the unfinished message.
            client.close()
            raise
        if not owned:
            client.close()  # the server drops the unfinished message with the connection
            return Outcome("lost_claim", None, "another worker owns this delivery now")
        handed = True
        final = await client.execute_command(b".", timeout=timeout)
        if final.code != 250:
            return _refused(final.code, final.message)
        return Outcome("sent", 250, final.message)
    except aiosmtplib.SMTPSenderRefused as exc:
        await _reset(client)
        return _refused(exc.code, exc.message)
    except aiosmtplib.SMTPResponseException as exc:
        await _reset(client)
        return _refused(exc.code, exc.message)
    except (TimeoutError, aiosmtplib.SMTPException, OSError) as exc:
        client.close()
        if handed:
            return Outcome("lost_after_hand_over", None, f"connection lost after the message was handed over: {exc}")
        return Outcome("temporary", None, f"connection lost: {exc}")


def _refused(code: int, message: str) -> Outcome:
    return Outcome("permanent" if code >= 500 else "temporary", code, f"{code} {message}")


async def _reset(client: aiosmtplib.SMTP) -> None:
    try:
        await client.rset()
    except Exception:
        client.close()


@dataclass
class Pool:
    """One reused connection per server key; closed when idle or broken."""

    idle_seconds: float = 30.0
    source_address: str = ""
    _clients: dict[str, tuple[aiosmtplib.SMTP, float]] = field(default_factory=dict)

    async def get(self, config: ServerConfig, key: str | None = None) -> aiosmtplib.SMTP:
        """The open connection kept under ``key`` (default: the server's key), opened when needed."""
        key = key or config.key
        loop = asyncio.get_running_loop()
        held = self._clients.get(key)
        if held is not None:
            client, _ = held
            if client.is_connected:
                self._clients[key] = (client, loop.time())
                return client
            self._clients.pop(key, None)
        client = await connect(config, self.source_address)
        self._clients[key] = (client, loop.time())
        return client

    def drop(self, key: str) -> None:
        held = self._clients.pop(key, None)
        if held is not None:
            held[0].close()

    async def close_idle(self) -> None:
        now = asyncio.get_running_loop().time()
        for key, (client, used) in list(self._clients.items()):
            if now - used > self.idle_seconds or not client.is_connected:
                self._clients.pop(key, None)
                await _quit(client)

    async def close(self) -> None:
        for key in list(self._clients):
            client, _ = self._clients.pop(key)
            await _quit(client)


async def _quit(client: aiosmtplib.SMTP) -> None:
    try:
        if client.is_connected:
            await asyncio.wait_for(client.quit(), timeout=2)
    except Exception:
        client.close()


class SmtpMailer:
    """The ``ports.Mailer`` on aiosmtplib: a pool of reused connections, one per (server, lane)."""

    def __init__(self, idle_seconds: float = 30.0, source_address: str = "") -> None:
        self.pool = Pool(idle_seconds, source_address)

    async def test(self, server: ServerConfig) -> list[dict[str, Any]]:
        return await test_connection(server)

    def build(self, delivery: Row, sender: str, files: list[tuple[str, bytes]], sent_at: datetime) -> bytes:
        return build_message(
            sender=sender,
            recipient=delivery["recipient"],
            subject=delivery["subject"],
            body=delivery["body"],
            message_id=message_id_of(delivery["id"]),
            sent_at=sent_at,
            attachments=files,
            extra_headers={"X-CRM-Cause": delivery["cause_event_id"]},
        )

    async def send(
        self, server: ServerConfig, lane: int, recipient: str, data: bytes, hand_over: Callable[[], Awaitable[bool]]
    ) -> Outcome:
        """Send on the lane's connection; a connection left in doubt is closed, never reused."""
        key = f"{server.key}#{lane}"
        try:
            client = await self.pool.get(server, key)
        except SmtpFailure as failure:
            return Outcome("unreachable", failure.code, str(failure))
        outcome = await transmit(client, server.sender, recipient, data, hand_over, server.timeout)
        if outcome.status in ("lost_after_hand_over", "lost_claim") or (
            outcome.status == "temporary" and outcome.code is None
        ):
            self.pool.drop(key)
        return outcome

    async def close_idle(self) -> None:
        await self.pool.close_idle()

    async def close(self) -> None:
        await self.pool.close()
