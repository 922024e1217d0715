"""nap: a worker's pause ends at the timeout, or as soon as one of its events is set."""

from __future__ import annotations

import asyncio
import time

from crm_kit.waiting import nap


async def test_a_nap_lasts_its_time_when_nothing_happens() -> None:
    start = time.monotonic()
    await nap(0.2, asyncio.Event(), asyncio.Event())
    assert time.monotonic() - start >= 0.19


async def test_a_nap_ends_when_any_event_is_set() -> None:
    stop, wake = asyncio.Event(), asyncio.Event()
    asyncio.get_running_loop().call_later(0.05, wake.set)
    start = time.monotonic()
    await nap(10, stop, wake)
    assert time.monotonic() - start < 5
    assert wake.is_set() and not stop.is_set()
