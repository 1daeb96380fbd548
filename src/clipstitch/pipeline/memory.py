"""Measure the peak resident memory of this process and all its children."""

from __future__ import annotations

import threading
from collections.abc import Iterable
from types import TracebackType

import psutil

from clipstitch.media.processes import owned_processes

SAMPLE_SECONDS = 0.05


def tree_rss(process: psutil.Process) -> int:
    """Resident bytes of `process` and every descendant, now."""
    total = 0
    for member in [process, *process.children(recursive=True)]:
        try:
            total += member.memory_info().rss
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
    return total


def rss_by_owner(owners: dict[int, str]) -> dict[str, int]:
    """Resident bytes of the given processes (id -> owner), summed per owner."""
    totals: dict[str, int] = {}
    for pid, owner in owners.items():
        try:
            rss = psutil.Process(pid).memory_info().rss
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
        totals[owner] = totals.get(owner, 0) + rss
    return totals


def job_rss(job_ids: Iterable[str], process: psutil.Process) -> dict[str, int]:
    """Each job's memory: `process` (shared with the jobs running beside it) plus
    the ffmpeg processes the job's steps started (see media.processes)."""
    shared = process.memory_info().rss
    children = rss_by_owner(owned_processes())
    return {job_id: shared + children.get(job_id, 0) for job_id in job_ids}


class PeakMemory:
    """Samples the process tree's RSS in a thread; `peak_bytes` is the largest seen."""

    def __init__(self, interval: float = SAMPLE_SECONDS) -> None:
        self._process = psutil.Process()
        self._interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self.peak_bytes = 0

    def __enter__(self) -> PeakMemory:
        self.peak_bytes = tree_rss(self._process)
        self._thread.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._stop.set()
        self._thread.join()

    def _sample(self) -> None:
        while not self._stop.wait(self._interval):
            self.peak_bytes = max(self.peak_bytes, tree_rss(self._process))
