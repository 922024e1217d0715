"""How a benchmark reports: a figure, the raw baseline measured in the same run, and their ratio."""

from __future__ import annotations

import json
import os
import statistics
import time
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass
from pathlib import Path

RESULTS = Path(__file__).parent / "results"


@dataclass
class Figure:
    name: str
    ours: float
    baseline: float
    unit: str
    higher_is_better: bool = True
    goal: str = ""

    @property
    def ratio(self) -> float:
        """ours / baseline for rates (higher is better); baseline / ours for latencies."""
        if self.higher_is_better:
            return self.ours / self.baseline if self.baseline else float("nan")
        return self.baseline / self.ours if self.ours else float("nan")


def report(fig: Figure, load: float | None = None) -> Figure:
    """Print one line and append it to bench/results/latest.jsonl.

    ``load`` is the load average the figure was measured under, when the benchmark took it during its run (a
    figure reported after its load stopped); otherwise the load now.
    """
    cores = os.cpu_count() or 0
    load = os.getloadavg()[0] if load is None else load
    print(
        f"{fig.name:<55} ours {fig.ours:>12.2f} {fig.unit:<8} baseline {fig.baseline:>12.2f} {fig.unit:<8}"
        f" ratio {fig.ratio:6.2f}x  {fig.goal}  [{cores} cores, load {load:.1f}]",
        flush=True,
    )
    RESULTS.mkdir(exist_ok=True)
    row = {**asdict(fig), "ratio": fig.ratio, "at": time.time(), "cores": cores, "load": round(load, 1)}
    with (RESULTS / "latest.jsonl").open("a") as f:
        f.write(json.dumps(row) + "\n")
    return fig


async def p50_against(
    ours: Callable[[], Awaitable[object]], bare: Callable[[], Awaitable[object]], runs: int = 30, warmup: int = 3
) -> tuple[float, float]:
    """Median ms of ``ours`` and of ``bare``; the baseline is timed before and after ours and the better
    of the two counts, so noise on a shared machine favours the baseline."""
    first = await p50_ms(bare, runs, warmup)
    figure = await p50_ms(ours, runs, warmup)
    return figure, min(first, await p50_ms(bare, runs, warmup))


async def p50_ms(fn: Callable[[], Awaitable[object]], runs: int = 30, warmup: int = 3) -> float:
    """Median wall time of ``fn`` in milliseconds."""
    for _ in range(warmup):
        await fn()
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        await fn()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)
