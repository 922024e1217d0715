"""Waiting in worker loops: a pause that ends early when any of some events is set (stop, wake-up)."""

from __future__ import annotations

import asyncio


async def nap(seconds: float, *events: asyncio.Event) -> None:
    """Sleep up to ``seconds``; return as soon as one of ``events`` is set (at once if one already is)."""
    waiters = [asyncio.ensure_future(e.wait()) for e in events]
    try:
        await asyncio.wait(waiters, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for w in waiters:
            w.cancel()
