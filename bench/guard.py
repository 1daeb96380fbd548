"""Measure a command under a hard memory limit, so a runaway baseline is killed.

Two guards: RLIMIT_AS on every process of the command (set before exec, inherited
by its children), and a watchdog that kills the whole process group as soon as the
sampled RSS of the process tree passes the limit (RLIMIT_AS is per process; a tool
that opens a hundred ffmpeg readers needs the tree-wide one).
"""

from __future__ import annotations

import contextlib
import os
import resource
import signal
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import psutil

from bench.measure import (
    SAMPLE_SECONDS,
    Measurement,
    Sampler,
    _drain,
    disk_use,
    tree_rss,
)

# Virtual memory runs far ahead of RSS (thread stacks, malloc arenas, mappings):
# the per-process address-space cap is this many times the RSS limit.
ADDRESS_SPACE_FACTOR = 4


@dataclass(frozen=True)
class Guarded:
    """A measurement, and whether the watchdog had to kill the command."""

    measurement: Measurement
    killed: bool
    limit_bytes: int


class Watchdog(Sampler):
    """The bench sampler, plus a kill of the process group past the limit."""

    def __init__(self, pid: int, folders: list[Path], limit_bytes: int) -> None:
        super().__init__(pid, folders)
        self.limit_bytes = limit_bytes
        self.killed = False

    def _run(self) -> None:
        while True:
            self.peak_rss = max(self.peak_rss, tree_rss(self.root))
            self.peak_disk = max(self.peak_disk, disk_use(self.folders))
            if self.peak_rss > self.limit_bytes and not self.killed:
                self.killed = True
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.root.pid, signal.SIGKILL)
            if self._stop.wait(SAMPLE_SECONDS):
                return


def half_of_ram() -> int:
    return psutil.virtual_memory().total // 2


def _limits(address_space: int) -> Callable[[], None]:
    def apply() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (address_space, address_space))

    return apply


def measure_limited(
    command: list[str],
    folders: list[Path],
    limit_bytes: int,
    env: dict[str, str] | None = None,
) -> Guarded:
    """Run `command` in its own process group, sampling and guarding it."""
    started = time.monotonic()
    process = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        start_new_session=True,
        preexec_fn=_limits(limit_bytes * ADDRESS_SPACE_FACTOR),
    )
    watchdog = Watchdog(process.pid, folders, limit_bytes)
    watchdog.start()
    output = _drain(process)
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.monotonic() - started
    watchdog.stop()
    measurement = Measurement(
        wall_seconds=wall,
        cpu_seconds=usage.ru_utime + usage.ru_stime,
        peak_rss_bytes=watchdog.peak_rss,
        peak_disk_bytes=watchdog.peak_disk,
        returncode=os.waitstatus_to_exitcode(status),
        stdout=output[0],
        stderr=output[1],
    )
    return Guarded(measurement, watchdog.killed, limit_bytes)
