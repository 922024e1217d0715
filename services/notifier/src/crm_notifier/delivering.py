"""The delivery worker: claims due email deliveries, sends them over reused connections, records the outcome.

Delivery guarantee (X3, X4) — never twice, lost only in a window of one socket write:

* The consumer records every email as a ``pending`` delivery, unique on (cause event id, recipient,
  channel), in the same transaction as its inbox row; any number of instances share the table
  (PostgreSQL; rows are claimed with ``SELECT ... FOR UPDATE SKIP LOCKED``).
* A claim moves rows to ``sending`` with a fresh claim token. The worker sends MAIL, RCPT and the
  message's content, but not the final ``.`` that makes the server accept it. It then commits
  ``handed_over`` (only if its claim token still owns the row) and only then sends the dot.
* After a crash, a row left in ``sending`` past ``claim_timeout`` is sent again: the server never
  got its final dot, so it dropped the message. A row left in ``handed_over`` is *not* sent again:
  it is recorded as sent ("assumed delivered"). The only loss is a process dying between the
  ``handed_over`` commit and the write of the dot into the socket (one system call).
* Every message carries ``Message-ID: <delivery id@crm-notifier>``, the same on every attempt.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from crm_kit.blobs import BlobError, BlobStore
from crm_kit.errors import Invalid
from crm_kit.ids import new_id
from crm_kit.store import Database
from crm_kit.waiting import nap
from crm_notifier import smtp
from crm_notifier.credentials import CredentialBox
from crm_notifier.domain.failures import RetryPolicy, classify
from crm_notifier.domain.ratelimit import TokenBucket
from crm_notifier.events.publisher import Publisher
from crm_notifier.settings import NotifierSettings
from crm_notifier.store import repository as repo

log = logging.getLogger(__name__)

Row = dict[str, Any]
MESSAGE_ID_DOMAIN = "crm-notifier"


def message_id_of(delivery_id: str) -> str:
    """The Message-ID of a delivery: the same on every attempt, so a receiver can spot a repeat."""
    return f"<{delivery_id}@{MESSAGE_ID_DOMAIN}>"


def fallback_server(settings: NotifierSettings) -> smtp.ServerConfig:
    """The server from the settings, used while no mail server is configured (the local sink by default)."""
    return smtp.ServerConfig(
        key="settings",
        name="settings",
        host=settings.smtp_host,
        port=settings.smtp_port,
        tls_mode=settings.smtp_tls_mode,
        sender=settings.smtp_sender,
        username=settings.smtp_username or None,
        password=settings.smtp_password or None,
        rate_per_minute=settings.smtp_rate_per_minute,
        timeout=settings.smtp_timeout_seconds,
    )


def server_config(
    row: Row,
    box: CredentialBox,
    timeout: float,
    credentials: Row | None = None,
    login: str | None = None,
    *,
    anonymous: bool = False,
) -> smtp.ServerConfig:
    """A configured mail server, with a user's own credentials when given.

    ``anonymous``: without the stored user name and password (used when they cannot be decrypted).
    """
    username = None if anonymous else row["username"]
    password = None if anonymous else box.open(row["password_enc"])
    sender = row["sender"]
    key = row["id"]
    if credentials is not None:
        username = credentials["username"]
        password = box.open(credentials["password_enc"])
        sender = credentials["sender"] or sender
        key = f"{row['id']}:{login}"
    return smtp.ServerConfig(
        key=key,
        name=row["name"],
        host=row["host"],
        port=row["port"],
        tls_mode=row["tls_mode"],
        sender=sender,
        username=username or None,
        password=password,
        rate_per_minute=row["rate_per_minute"] or 0,
        timeout=timeout,
    )


class HandOvers:
    """Group commit of hand-overs: the lanes' requests that arrive while one commit runs share the next.

    Each lane waits for its own row's commit before it sends the final dot, as before; with N
    connections sending at once, one transaction records up to N hand-overs instead of one each.
    """

    def __init__(self, db: Database) -> None:
        self.db = db
        self._queue: list[tuple[str, str, str, asyncio.Future[bool]]] = []
        self._flusher: asyncio.Future[None] | None = None
        self.commits = 0

    async def record(self, delivery_id: str, token: str, server: str) -> bool:
        """Commit ``handed_over`` for a delivery this claim still owns; False when the claim was lost."""
        done: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._queue.append((delivery_id, token, server, done))
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.ensure_future(self._flush())
        return await done

    async def _flush(self) -> None:
        while self._queue:
            batch, self._queue = self._queue, []
            try:
                async with self.db.transaction(hooks=False) as conn:  # publishes nothing: no relay wake-up
                    moved = await repo.hand_over_many(
                        conn, [(i, token, server) for i, token, server, _ in batch], ("<", f"@{MESSAGE_ID_DOMAIN}>")
                    )
            except BaseException as exc:
                for *_, done in batch:
                    if not done.done():
                        done.set_exception(exc)
                if isinstance(exc, asyncio.CancelledError):
                    raise
                continue
            self.commits += 1
            for delivery_id, token, _, done in batch:
                if not done.done():
                    done.set_result((delivery_id, token) in moved)


@dataclass
class WorkerStats:
    sent: int = 0
    failed: int = 0
    retried: int = 0
    recovered: int = 0


@dataclass
class DeliveryWorker:
    """Sends pending email deliveries (``Service.workers["deliver"]``)."""

    db: Database
    settings: NotifierSettings
    publisher: Publisher
    blobs: BlobStore
    box: CredentialBox
    pool: smtp.Pool = field(init=False)
    hand_overs: HandOvers = field(init=False)
    policy: RetryPolicy = field(init=False)
    stats: WorkerStats = field(default_factory=WorkerStats)
    _wake: asyncio.Event = field(default_factory=asyncio.Event)
    _buckets: dict[str, TokenBucket] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.hand_overs = HandOvers(self.db)
        self.pool = smtp.Pool(self.settings.idle_connection_seconds)
        self.policy = RetryPolicy(
            self.settings.max_send_attempts, self.settings.send_backoff_seconds, self.settings.send_backoff_max_seconds
        )

    def wake(self) -> None:
        """Look for work now (after a commit that may have queued emails)."""
        self._wake.set()

    async def run(self, stop: asyncio.Event) -> None:
        """Deliver until ``stop``; survives database and SMTP outages."""
        loop = asyncio.get_running_loop()
        last_recovery = 0.0
        try:
            while not stop.is_set():
                try:
                    if loop.time() - last_recovery >= self.settings.claim_timeout_seconds / 2:
                        await self.recover()
                        last_recovery = loop.time()
                    handled = await self.deliver_once()
                    await self.pool.close_idle()
                except Exception:
                    log.exception("delivery pass failed; retrying")
                    handled = 0
                if not handled:
                    await nap(self.settings.deliver_poll_seconds, self._wake, stop)
        finally:
            await self.pool.close()

    async def deliver_once(self) -> int:
        """Claim one batch and send it; returns how many deliveries were claimed."""
        self._wake.clear()
        token = f"{os.getpid()}.{new_id().hex[:24]}"  # who claimed it, for people reading the table
        async with self.db.transaction() as conn:
            rows = await repo.claim(conn, token, datetime.now(UTC), self.settings.deliver_batch_size)
        if not rows:
            return 0
        configs = await self._servers(rows)
        groups: dict[str, list[Row]] = defaultdict(list)
        by_key: dict[str, smtp.ServerConfig] = {}
        for row in rows:
            config = configs[row["id"]]
            groups[config.key].append(row)
            by_key[config.key] = config
        lanes = self.settings.connections_per_server
        await asyncio.gather(
            *(
                self._send_group(by_key[key], group[lane::lanes], lane)
                for key, group in groups.items()
                for lane in range(min(lanes, len(group)))
            )
        )
        return len(rows)

    async def _servers(self, rows: list[Row]) -> dict[str, smtp.ServerConfig]:
        async with self.db.read() as conn:
            servers = await repo.mail_servers(conn)
            logins = sorted({r["requested_by"] for r in rows if r["requested_by"]})
            creds = await repo.credentials_for(conn, logins) if logins else {}
        by_id = {s["id"]: s for s in servers}
        default = next((s for s in servers if s["is_default"]), servers[0] if servers else None)
        timeout = self.settings.smtp_timeout_seconds

        def config_for(login: str | None) -> smtp.ServerConfig:
            cred = creds.get(login) if login else None
            try:
                if cred is not None and cred["server_id"] in by_id:
                    return server_config(by_id[cred["server_id"]], self.box, timeout, cred, login)
                if default is not None:
                    return server_config(default, self.box, timeout)
                return fallback_server(self.settings)
            except ValueError:
                log.warning("stored SMTP password unreadable; using the server without it")
                if default is None:
                    return fallback_server(self.settings)
                return server_config(default, self.box, timeout, anonymous=True)

        # The server (and its decrypted password) depends only on who asked: once per login, not per row.
        per_login = {login: config_for(login) for login in {r["requested_by"] for r in rows}}
        return {row["id"]: per_login[row["requested_by"]] for row in rows}

    async def _send_group(self, config: smtp.ServerConfig, rows: list[Row], lane: int = 0) -> None:
        """Send rows over one reused connection (``lane`` picks which of the server's connections)."""
        loop = asyncio.get_running_loop()
        pool_key = f"{config.key}#{lane}"
        bucket = self._buckets.setdefault(config.key, TokenBucket(config.rate_per_minute))
        bucket.per_minute = config.rate_per_minute
        done: list[tuple[Row, str | None]] = []
        try:
            for index, row in enumerate(rows):
                try:
                    data = await self._build(row, config)
                except Exception as exc:
                    # Building depends only on the row: whatever fails here (a legacy subject the header
                    # registry cannot parse, a missing blob) fails again on every attempt. Fail this one
                    # email with the reason rather than leave it ``sending`` to be claimed forever.
                    await self._fail(row, config, f"refused, never sent: {_words(exc)}")
                    continue
                if len(data) > self.settings.max_message_bytes:
                    size, limit = len(data) / 1_048_576, self.settings.max_message_bytes / 1_048_576
                    await self._fail(row, config, f"the message is {size:.1f} MB; the limit is {limit:.1f} MB")
                    continue
                wait = bucket.wait(loop.time())
                if wait > 0:
                    await asyncio.sleep(wait)
                try:
                    client = await self.pool.get(config, pool_key)
                except smtp.SmtpFailure as failure:
                    for rest in rows[index:]:
                        await self._retry_or_fail(rest, config, failure.code, str(failure))
                    return
                outcome = await smtp.transmit(
                    client,
                    config.sender,
                    row["recipient"],
                    data,
                    lambda row=row: self._hand_over(row, config),  # type: ignore[misc]
                    config.timeout,
                )
                if outcome.status == "sent":
                    done.append((row, None))
                elif outcome.status == "lost_after_hand_over":
                    self.pool.drop(pool_key)
                    done.append((row, "assumed delivered: " + outcome.error))
                elif outcome.status == "lost_claim":
                    self.pool.drop(pool_key)
                elif outcome.status == "permanent":
                    await self._fail(row, config, outcome.error)
                else:
                    if outcome.code is None:
                        self.pool.drop(pool_key)
                    await self._retry_or_fail(row, config, outcome.code, outcome.error)
                if len(done) >= 100:
                    await self._mark_sent(done, config)
                    done = []
        finally:
            if done:
                await self._mark_sent(done, config)

    async def _build(self, row: Row, config: smtp.ServerConfig) -> bytes:
        files: list[tuple[str, bytes]] = []
        for attachment in row["attachments"] or []:
            data = await asyncio.to_thread(self.blobs.get, attachment["sha256"])
            files.append((attachment["file_name"], data))
        return smtp.build_message(
            sender=config.sender,
            recipient=row["recipient"],
            subject=row["subject"],
            body=row["body"],
            message_id=message_id_of(row["id"]),
            sent_at=datetime.now(UTC),
            attachments=files,
            extra_headers={"X-CRM-Cause": row["cause_event_id"]},
        )

    async def _hand_over(self, row: Row, config: smtp.ServerConfig) -> bool:
        return await self.hand_overs.record(row["id"], row["claim_token"], config.name)

    async def _mark_sent(self, done: list[tuple[Row, str | None]], config: smtp.ServerConfig) -> None:
        now = datetime.now(UTC)
        by_note: dict[tuple[str, str | None], list[str]] = defaultdict(list)
        for row, note in done:
            by_note[(row["claim_token"], note)].append(row["id"])
        async with self.db.transaction() as conn:
            for (token, note), ids in by_note.items():
                values = {"status": "sent", "sent_at": now, "server": config.name, "error": note, "claim_token": None}
                updated = await repo.finish_many(conn, ids, token, "handed_over", values)
                await self.publisher.emails_sent(conn, updated, now)
                self.stats.sent += len(updated)

    async def _fail(self, row: Row, config: smtp.ServerConfig, error: str) -> None:
        now = datetime.now(UTC)
        values = {"status": "failed", "error": error[:2000], "server": config.name, "claim_token": None}
        async with self.db.transaction() as conn:
            updated = await repo.finish(conn, row["id"], row["claim_token"], ("sending", "handed_over"), values)
            if updated is not None:
                await self.publisher.email_failed(conn, updated, now)
                self.stats.failed += 1

    async def _retry_or_fail(self, row: Row, config: smtp.ServerConfig, code: int | None, error: str) -> None:
        if classify(code) == "permanent":
            await self._fail(row, config, error)
            return
        if self.policy.gives_up(row["attempts"]):
            await self._fail(row, config, f"gave up after {row['attempts']} attempts: {error}")
            return
        now = datetime.now(UTC)
        values = {
            "status": "pending",
            "next_attempt_at": self.policy.next_attempt_at(row["attempts"], now),
            "error": f"attempt {row['attempts']} failed, will retry: {error}"[:2000],
            "server": config.name,
            "claim_token": None,
        }
        async with self.db.transaction() as conn:
            await repo.finish(conn, row["id"], row["claim_token"], ("sending", "handed_over"), values)
        self.stats.retried += 1

    async def recover(self) -> int:
        """Settle deliveries whose worker went silent (crashed) past the claim timeout."""
        now = datetime.now(UTC)
        before = now - timedelta(seconds=self.settings.claim_timeout_seconds)
        recovered = 0
        async with self.db.transaction() as conn:
            for row in await repo.stale(conn, "sending", before):
                values = {
                    "status": "pending",
                    "next_attempt_at": now,
                    "claim_token": None,
                    "error": "the worker sending it stopped before the server accepted it; sending again",
                }
                if await repo.finish(conn, row["id"], row["claim_token"], ("sending",), values) is not None:
                    recovered += 1
            for row in await repo.stale(conn, "handed_over", before):
                values = {
                    "status": "sent",
                    "sent_at": now,
                    "claim_token": None,
                    "error": "assumed delivered: the worker stopped after handing the message to the server",
                }
                updated = await repo.finish(conn, row["id"], row["claim_token"], ("handed_over",), values)
                if updated is not None:
                    await self.publisher.email_sent(conn, updated, now)
                    recovered += 1
        self.stats.recovered += recovered
        return recovered


def _words(exc: BaseException) -> str:
    if isinstance(exc, Invalid):
        return exc.message
    if isinstance(exc, KeyError):
        return f"attachment {exc.args[0]} is missing from the blob store"
    if isinstance(exc, BlobError):
        return str(exc)
    return f"the message could not be built ({type(exc).__name__}: {exc})"
