"""Simulate how clips run under a budget: predicted wall time and peak memory."""

from __future__ import annotations

import heapq
from collections.abc import Sequence
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Work:
    """One clip's predicted cost: CPU seconds with its threads, and memory held."""

    cpu_seconds: float
    threads: int
    memory_bytes: int
    encoder: bool = True  # takes an encoder slot (copies run beside encoders)


@dataclass(frozen=True)
class Slots:
    """What compose limits: clips at once, encoders at once, and bytes held."""

    workers: int
    encoders: int
    budget_bytes: int


@dataclass(frozen=True)
class Timeline:
    wall_seconds: float
    peak_memory_bytes: int


@dataclass(order=True)
class _Running:
    end: float
    memory_bytes: int = field(compare=False)  # reserved from the budget
    encoder: bool = field(compare=False)
    actual_bytes: int = field(compare=False, default=0)  # what it really holds


def simulate(
    works: Sequence[Work], slots: Slots, cpus: float, thread_efficiency: float = 0.9
) -> Timeline:
    """Start clips in order, as the runner does: a free worker, a free encoder slot
    for a re-encode, and room in the budget.

    Encoders share the cores; an encoder's extra threads each add
    `thread_efficiency` of a core. Copies are short and light: one core each.
    """
    clock, held, actual, peak = 0.0, 0, 0, 0
    running: list[_Running] = []
    for work in works:
        # A clip larger than the whole budget runs alone, but holds all it needs.
        need = min(work.memory_bytes, slots.budget_bytes)
        while running and _blocked(work, need, running, held, slots):
            finished = heapq.heappop(running)
            clock = max(clock, finished.end)
            held -= finished.memory_bytes
            actual -= finished.actual_bytes
        cores = _cores(work, running, cpus, thread_efficiency)
        end = clock + work.cpu_seconds / max(cores, 0.05)
        heapq.heappush(running, _Running(end, need, work.encoder, work.memory_bytes))
        held += need
        actual += work.memory_bytes
        peak = max(peak, actual)
    end = max((item.end for item in running), default=clock)
    return Timeline(wall_seconds=end, peak_memory_bytes=peak)


def _blocked(
    work: Work, need: int, running: list[_Running], held: int, slots: Slots
) -> bool:
    encoders = sum(item.encoder for item in running)
    return (
        len(running) >= slots.workers
        or (work.encoder and encoders >= slots.encoders)
        or held + need > slots.budget_bytes
    )


def _cores(
    work: Work, running: list[_Running], cpus: float, thread_efficiency: float
) -> float:
    if not work.encoder:
        return min(1.0, cpus)
    parallel = 1 + (work.threads - 1) * thread_efficiency
    sharing = 1 + sum(item.encoder for item in running)
    return min(parallel, cpus / sharing)
