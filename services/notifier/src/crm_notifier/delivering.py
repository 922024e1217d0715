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
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from crm_kit.blobs import BlobError
from crm_kit.errors import Invalid
from crm_kit.ids import new_id
from crm_kit.waiting import nap
from crm_notifier.domain.failures import too_large
from crm_notifier.domain.models import Row, ServerConfig
from crm_notifier.domain.outgoing import message_id_of
from crm_notifier.domain.ratelimit import TokenBucket
from crm_notifier.ports import Mailer
from crm_notifier.service_layer import (
    ClaimDeliveries,
    FailDelivery,
    HandOver,
    MarkSent,
    RecoverDeliveries,
    RetryDelivery,
    UseCases,
)

log = logging.getLogger(__name__)

__all__ = ["DeliveryWorker", "HandOvers", "WorkerStats", "message_id_of"]


class HandOvers:
    """Group commit of hand-overs: the lanes' requests that arrive while one commit runs share the next.

    Each lane waits for its own row's commit before it sends the final dot, as before; with N
    connections sending at once, one transaction records up to N hand-overs instead of one each.
    """

    def __init__(self, uses: UseCases) -> None:
        self.uses = uses
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
                moved = await self.uses.hand_over(HandOver([(i, token, server) for i, token, server, _ in batch]))
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
    """Sends pending email deliveries (``Service.workers["deliver"]``); every change of state is a use case."""

    uses: UseCases
    mailer: Mailer
    read_blob: Callable[[str], bytes]
    batch_size: int = 50
    poll_seconds: float = 1.0
    claim_timeout_seconds: float = 60.0
    connections_per_server: int = 4
    max_message_bytes: int = 20 * 1024 * 1024
    hand_overs: HandOvers = field(init=False)
    stats: WorkerStats = field(default_factory=WorkerStats)
    _wake: asyncio.Event = field(default_factory=asyncio.Event)
    _wakes: int = 0
    """Wake-ups so far: tells the worker's own claim commit apart from others' commits (``deliver_once``)."""
    _buckets: dict[str, TokenBucket] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.hand_overs = HandOvers(self.uses)

    def wake(self) -> None:
        """Look for work now (after a commit that may have queued emails)."""
        self._wakes += 1
        self._wake.set()

    async def run(self, stop: asyncio.Event) -> None:
        """Deliver until ``stop``; survives database and SMTP outages."""
        loop = asyncio.get_running_loop()
        last_recovery = 0.0
        try:
            while not stop.is_set():
                try:
                    if loop.time() - last_recovery >= self.claim_timeout_seconds / 2:
                        await self.recover()
                        last_recovery = loop.time()
                    handled = await self.deliver_once()
                    await self.mailer.close_idle()
                except Exception:
                    log.exception("delivery pass failed; retrying")
                    handled = 0
                if not handled:
                    await nap(self.poll_seconds, self._wake, stop)
        finally:
            await self.mailer.close()

    async def deliver_once(self) -> int:
        """Claim one batch and send it; returns how many deliveries were claimed."""
        self._wake.clear()
        token = f"{os.getpid()}.{new_id().hex[:24]}"  # who claimed it, for people reading the table
        wakes = self._wakes
        rows = await self.uses.claim(ClaimDeliveries(token, self.batch_size))
        if not rows:
            if self._wakes == wakes + 1:
                # The one wake-up during the claim was the claim's own commit (every commit wakes this
                # worker): an empty claim must not wake itself, or an idle worker claims in a loop
                # (300-460 transactions a second, 40 % of a core, #19). Another commit meanwhile keeps it.
                self._wake.clear()
            return 0
        configs = await self.uses.servers_for(rows)
        groups: dict[str, list[Row]] = defaultdict(list)
        by_key: dict[str, ServerConfig] = {}
        for row in rows:
            config = configs[row["id"]]
            groups[config.key].append(row)
            by_key[config.key] = config
        lanes = self.connections_per_server
        await asyncio.gather(
            *(
                self._send_group(by_key[key], group[lane::lanes], lane)
                for key, group in groups.items()
                for lane in range(min(lanes, len(group)))
            )
        )
        return len(rows)

    async def _send_group(self, config: ServerConfig, rows: list[Row], lane: int = 0) -> None:
        """Send rows over one reused connection (``lane`` picks which of the server's connections)."""
        loop = asyncio.get_running_loop()
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
                reason = too_large(len(data), self.max_message_bytes)
                if reason is not None:
                    await self._fail(row, config, reason)
                    continue
                wait = bucket.wait(loop.time())
                if wait > 0:
                    await asyncio.sleep(wait)
                outcome = await self.mailer.send(
                    config,
                    lane,
                    row["recipient"],
                    data,
                    lambda row=row: self.hand_overs.record(row["id"], row["claim_token"], config.name),  # type: ignore[misc]
                )
                if outcome.status == "unreachable":
                    for rest in rows[index:]:
                        await self._retry_or_fail(rest, config, outcome.code, outcome.error)
                    return
                if outcome.status == "sent":
                    done.append((row, None))
                elif outcome.status == "lost_after_hand_over":
                    done.append((row, "assumed delivered: " + outcome.error))
                elif outcome.status == "permanent":
                    await self._fail(row, config, outcome.error)
                elif outcome.status == "temporary":
                    await self._retry_or_fail(row, config, outcome.code, outcome.error)
                if len(done) >= 100:
                    self.stats.sent += await self.uses.mark_sent(MarkSent(config.name, done))
                    done = []
        finally:
            if done:
                self.stats.sent += await self.uses.mark_sent(MarkSent(config.name, done))

    async def _build(self, row: Row, config: ServerConfig) -> bytes:
        files: list[tuple[str, bytes]] = []
        for attachment in row["attachments"] or []:
            data = await asyncio.to_thread(self.read_blob, attachment["sha256"])
            files.append((attachment["file_name"], data))
        return self.mailer.build(row, config.sender, files, datetime.now(UTC))

    async def _fail(self, row: Row, config: ServerConfig, error: str) -> None:
        if await self.uses.fail(FailDelivery(row, config.name, error)):
            self.stats.failed += 1

    async def _retry_or_fail(self, row: Row, config: ServerConfig, code: int | None, error: str) -> None:
        status = await self.uses.retry_or_fail(RetryDelivery(row, config.name, code, error))
        if status == "failed":
            self.stats.failed += 1
        else:
            self.stats.retried += 1

    async def recover(self) -> int:
        """Settle deliveries whose worker went silent (crashed) past the claim timeout."""
        recovered = await self.uses.recover(RecoverDeliveries(self.claim_timeout_seconds))
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
