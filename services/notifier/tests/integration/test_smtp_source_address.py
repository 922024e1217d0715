"""A notifier instance may connect from an address of its own, as pods do: per-client limits count per address."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from crm_kit.ports import free_port
from crm_kit.smtp_sink import SmtpSink
from crm_notifier.domain.models import ServerConfig
from crm_notifier.smtp import Pool, SmtpFailure


@pytest.fixture
def limited_sink(tmp_path: Path) -> Iterator[SmtpSink]:
    sink = SmtpSink(tmp_path / "maildir", port=free_port(), max_connections=2)
    sink.start()
    yield sink
    sink.stop()


def server(sink: SmtpSink) -> ServerConfig:
    return ServerConfig(key="sink", name="sink", host=sink.host, port=sink.port, tls_mode="none", sender="crm@x.ro")


async def test_two_instances_from_their_own_addresses_each_get_the_servers_per_client_connections(
    limited_sink: SmtpSink,
) -> None:
    first, second = Pool(source_address="127.0.0.2"), Pool(source_address="127.0.0.3")
    try:
        for pool in (first, second):
            for lane in ("a", "b"):
                client = await pool.get(server(limited_sink), key=lane)
                assert (await client.noop()).code == 250
    finally:
        await first.close()
        await second.close()


async def test_a_third_connection_from_one_address_is_refused_by_the_per_client_limit(limited_sink: SmtpSink) -> None:
    pool = Pool(source_address="127.0.0.2")
    try:
        for lane in ("a", "b"):
            await pool.get(server(limited_sink), key=lane)
        with pytest.raises(SmtpFailure):
            await pool.get(server(limited_sink), key="c")
    finally:
        await pool.close()
