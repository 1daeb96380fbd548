"""Simulate how clips run under a budget: predicted wall time and peak memory."""

from __future__ import annotations

import heapq
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Work:
    """One clip's predicted cost: CPU seconds with its threads, and memory held."""

    cpu_seconds: float
    threads: int
    memory_bytes: int


@dataclass(frozen=True)
class Timeline:
    wall_seconds: float
    peak_memory_bytes: int


def simulate(
    works: Sequence[Work], workers: int, budget_bytes: int, cpus: float
) -> Timeline:
    """Start clips in order, as the runner does: a free worker and room in the budget.

    Each running clip gets its threads' share of the cores, less when more run
    than there are cores.
    """
    clock = 0.0
    held = 0
    peak = 0
    running: list[tuple[float, int]] = []  # (end time, memory)
    for work in works:
        need = min(work.memory_bytes, budget_bytes)
        while running and (len(running) >= workers or held + need > budget_bytes):
            clock, freed = heapq.heappop(running)
            held -= freed
        cores = min(float(work.threads), cpus / (len(running) + 1))
        heapq.heappush(running, (clock + work.cpu_seconds / max(cores, 0.05), need))
        held += need
        peak = max(peak, held)
    end = max((finish for finish, _ in running), default=clock)
    return Timeline(wall_seconds=end, peak_memory_bytes=peak)
