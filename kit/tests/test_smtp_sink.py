"""The local SMTP sink's real-server behaviours: a per-message delay and a per-client connection limit."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path

import aiosmtplib
import pytest

from crm_kit.ports import free_port
from crm_kit.smtp_sink import SmtpSink


def message(i: int) -> EmailMessage:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = "crm@localhost", f"client{i}@alfa.ro", f"Oferta {i}"
    msg.set_content("Bună ziua")
    return msg


def running(tmp_path: Path, **options: float | int | None) -> Iterator[SmtpSink]:
    sink = SmtpSink(tmp_path / "maildir", port=free_port(), **options)  # type: ignore[arg-type]
    sink.start()
    yield sink
    sink.stop()


@pytest.fixture
def slow_sink(tmp_path: Path) -> Iterator[SmtpSink]:
    yield from running(tmp_path, delay_ms=300)


@pytest.fixture
def limited_sink(tmp_path: Path) -> Iterator[SmtpSink]:
    yield from running(tmp_path, max_connections=2)


async def connected(sink: SmtpSink) -> aiosmtplib.SMTP:
    client = aiosmtplib.SMTP(hostname=sink.host, port=sink.port, start_tls=False, timeout=10)
    await client.connect()
    return client


async def test_a_delayed_sink_answers_each_message_after_the_delay_without_holding_up_other_connections(
    slow_sink: SmtpSink,
) -> None:
    clients = [await connected(slow_sink) for _ in range(4)]
    start = time.perf_counter()
    await asyncio.gather(*(c.send_message(message(i)) for i, c in enumerate(clients)))
    elapsed = time.perf_counter() - start
    for c in clients:
        await c.quit()
    assert 0.3 <= elapsed < 0.9, f"four messages on four connections took {elapsed:.2f}s (serialised: 1.2s)"
    assert len(slow_sink.messages()) == 4


async def test_a_delayed_sink_takes_the_delay_for_every_message_on_one_connection(slow_sink: SmtpSink) -> None:
    client = await connected(slow_sink)
    start = time.perf_counter()
    for i in range(2):
        await client.send_message(message(i))
    elapsed = time.perf_counter() - start
    await client.quit()
    assert elapsed >= 0.6
    assert len(slow_sink.messages()) == 2


async def test_a_client_over_the_connection_limit_is_refused_with_421_and_admitted_once_one_closes(
    limited_sink: SmtpSink,
) -> None:
    first, second = await connected(limited_sink), await connected(limited_sink)
    with pytest.raises(aiosmtplib.SMTPConnectResponseError) as refused:
        await connected(limited_sink)
    assert refused.value.code == 421
    await first.quit()
    third = None
    for _ in range(50):  # the server learns of the close a moment after quit() returns
        try:
            third = await connected(limited_sink)
            break
        except aiosmtplib.SMTPConnectResponseError:
            await asyncio.sleep(0.02)
    assert third is not None
    await third.send_message(message(3))
    await second.send_message(message(2))
    for c in (second, third):
        await c.quit()
    assert len(limited_sink.messages()) == 2


def test_a_negative_delay_or_a_zero_limit_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="delay_ms"):
        SmtpSink(tmp_path, delay_ms=-1)
    with pytest.raises(ValueError, match="max_connections"):
        SmtpSink(tmp_path, max_connections=0)
