"""Fixtures of the notifier's tests: settings on this test's topics, SMTP sinks that go down or refuse."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from crm_notifier.settings import NotifierSettings
from crm_notifier.testing import RefusingSink, SinkProcess


@pytest.fixture
def sink_process(tmp_path: Path) -> Iterator[SinkProcess]:
    """An SMTP sink in a subprocess that a test can stop and start again."""
    sink = SinkProcess(tmp_path / "sink-maildir")
    sink.start()
    yield sink
    sink.stop()


@pytest.fixture
def refusing_sink(tmp_path: Path) -> Iterator[Callable[..., RefusingSink]]:
    """Make SMTP sinks that refuse some recipients (550) or are busy for them (451)."""
    started: list[RefusingSink] = []

    def make(
        refuse: set[str] | None = None, busy: dict[str, int] | None = None, users: dict[str, str] | None = None
    ) -> RefusingSink:
        sink = RefusingSink(tmp_path / f"refusing-{len(started)}", refuse, busy, users)
        sink.start()
        started.append(sink)
        return sink

    yield make
    for sink in started:
        sink.stop()


@pytest.fixture
def notifier_settings(service_env: Callable[..., dict[str, Any]]) -> Callable[..., NotifierSettings]:
    """NotifierSettings on this test's topics and blobs, with fast retries and crash recovery."""

    def make(smtp_port: int, **overrides: Any) -> NotifierSettings:
        values: dict[str, Any] = {
            "smtp_port": smtp_port,
            "send_backoff_seconds": 0.2,
            "send_backoff_max_seconds": 1.0,
            "deliver_poll_seconds": 0.2,
            "claim_timeout_seconds": 3.0,
            "smtp_timeout_seconds": 5.0,
        }
        values.update(overrides)
        return NotifierSettings(**service_env("notifier", **values))

    return make
