"""Per-step figures inside a worker: wall seconds, CPU seconds (user + system of the worker and its waited-for
children, from getrusage) and the worker's peak RSS within the step (sampled from /proc)."""
from __future__ import annotations

import os
import resource
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from bench.memory import TreePeakSampler


def cpu_seconds() -> float:
    """User + system CPU of this process (all its threads) and of its children that have been waited for."""
    total = 0.0
    for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN):
        usage = resource.getrusage(who)
        total += usage.ru_utime + usage.ru_stime
    return total


class Steps:
    """Measures named steps one after another: `with steps.measure("name"): ...`."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self.cpu: dict[str, float] = {}
        self.peaks: dict[str, int | None] = {}
        self.sampler = TreePeakSampler(os.getpid(), children=False).start()

    def start_over(self) -> None:
        """Forget the peak so far (e.g. the imports before the first step)."""
        self.sampler.take_peak()

    @contextmanager
    def measure(self, name: str) -> Iterator[None]:
        wall, cpu = time.perf_counter(), cpu_seconds()
        try:
            yield
        finally:
            self.seconds[name] = time.perf_counter() - wall
            self.cpu[name] = cpu_seconds() - cpu
            self.peaks[name] = self.sampler.take_peak()

    def stop(self) -> dict[str, Any]:
        """{"seconds", "steps", "step_cpu_seconds", "cpu_seconds", "step_peak_rss_bytes"} for the result."""
        self.sampler.stop()
        return {
            "seconds": round(sum(self.seconds.values()), 3),
            "cpu_seconds": round(sum(self.cpu.values()), 3),
            "steps": {name: round(value, 3) for name, value in self.seconds.items()},
            "step_cpu_seconds": {name: round(value, 3) for name, value in self.cpu.items()},
            "step_peak_rss_bytes": dict(self.peaks),
        }
