"""Measuring: timing loops, percentiles, peak Python memory, and a process's RSS and CPU time."""

from __future__ import annotations

import gc
import os
import time
import tracemalloc
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def percentile(samples: list[float], pct: float) -> float:
    """Linear-interpolated percentile (pct in 0..100) of a non-empty list."""
    if not samples:
        raise ValueError("no samples")
    ordered = sorted(samples)
    rank = (len(ordered) - 1) * pct / 100.0
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def median(samples: list[float]) -> float:
    return percentile(samples, 50)


def time_calls(fn: Callable[[], Any], *, iterations: int, max_seconds: float, warmup: int = 20) -> list[float]:
    """Seconds per call of ``fn``: ``warmup`` untimed calls, then up to ``iterations`` timed ones.

    Stops early once ``max_seconds`` have been spent, so a slow path cannot stretch the run.
    """
    for _ in range(warmup):
        fn()
    samples: list[float] = []
    deadline = time.perf_counter() + max_seconds
    for _ in range(iterations):
        start = time.perf_counter()
        fn()
        end = time.perf_counter()
        samples.append(end - start)
        if end > deadline:
            break
    return samples


def peak_python_bytes(fn: Callable[[], Any], repeats: int = 5) -> int:
    """The largest peak of Python allocations above the starting level during one call of ``fn``."""
    fn()  # caches and lazy imports are not part of a call
    gc.collect()
    was_tracing = tracemalloc.is_tracing()
    if not was_tracing:
        tracemalloc.start()
    try:
        worst = 0
        for _ in range(repeats):
            gc.collect()
            tracemalloc.reset_peak()
            base, _ = tracemalloc.get_traced_memory()
            fn()
            _, peak = tracemalloc.get_traced_memory()
            worst = max(worst, peak - base)
        return worst
    finally:
        if not was_tracing:
            tracemalloc.stop()


def proc_status_kib(pid: int, field: str) -> int:
    """A ``kB`` field of /proc/<pid>/status, e.g. VmRSS (resident now) or VmHWM (peak resident)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise KeyError(f"{field} not in /proc/{pid}/status")


def proc_cpu_seconds(pid: int) -> float:
    """User plus system CPU time of a process so far, from /proc/<pid>/stat."""
    text = Path(f"/proc/{pid}/stat").read_text()
    fields = text[text.rindex(")") + 2:].split()  # the command name may contain spaces
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


@dataclass
class CpuWindow:
    """Wall and CPU seconds of this process and of another one over a stretch of work."""

    pid: int
    wall: float = 0.0
    own_cpu: float = 0.0
    other_cpu: float = 0.0

    def __enter__(self) -> "CpuWindow":
        self._wall = time.perf_counter()
        self._own = time.process_time()
        self._other = proc_cpu_seconds(self.pid)
        return self

    def __exit__(self, *exc: object) -> None:
        self.wall = time.perf_counter() - self._wall
        self.own_cpu = time.process_time() - self._own
        self.other_cpu = proc_cpu_seconds(self.pid) - self._other

    def percent(self, cpu: float) -> float:
        """CPU seconds as a percentage of one core over the window."""
        return 100.0 * cpu / self.wall if self.wall else 0.0
