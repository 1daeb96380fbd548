"""The memory budget: how much each ffmpeg may take, and how many run at once."""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psutil

from clipstitch.media.probe import MediaInfo
from clipstitch.pipeline.costs import cost_model
from clipstitch.spec import OutputSettings

logger = logging.getLogger(__name__)

MIB = 1 << 20
# Share of the machine's RAM used when no container limit is found, and of a
# container's limit (the page cache of written files is charged to it too).
DEFAULT_RAM_SHARE = 0.5
CONTAINER_SHARE = 0.8
# Without a container limit: enough for one HD encoder per core (x264 with all
# its threads plus the decoder), and no less than one 4K-input clip needs.
DEFAULT_PER_CORE = 160 * MIB
DEFAULT_FLOOR = 400 * MIB
# What this Python process itself holds while composing, and one ffmpeg that
# copies a stream: both from the calibrated cost model.
PYTHON_RESERVE = cost_model().python_bytes
COPY_PROCESS = cost_model().copy_process_bytes
CGROUP_FILES = (
    Path("/sys/fs/cgroup/memory.max"),
    Path("/sys/fs/cgroup/memory/memory.limit_in_bytes"),
)
NO_LIMIT = 1 << 60
# Outputs this large get one encoder with all the cores (see plan_work).
LEAN_OUTPUT_PIXELS = 1280 * 720


def container_limit() -> int | None:
    """The cgroup memory limit of this container, if one is set."""
    for path in CGROUP_FILES:
        try:
            text = path.read_text().strip()
        except OSError:
            continue
        if text.isdigit() and int(text) < NO_LIMIT:
            return int(text)
    return None


def default_budget() -> int:
    """The container's limit when there is one, else what the cores can use.

    More bought no speed: on 2 cores the 60-clip mixed set took 129.0 s with half
    the RAM as budget (peak 502 MiB) and 130.7 s with 400 MiB (peak 389 MiB).
    """
    limit = container_limit()
    if limit is not None:
        return int(limit * CONTAINER_SHARE)
    cores = os.cpu_count() or 1
    useful = max(DEFAULT_FLOOR, PYTHON_RESERVE + cores * DEFAULT_PER_CORE)
    return min(useful, int(psutil.virtual_memory().total * DEFAULT_RAM_SHARE))


def clip_memory(
    info: MediaInfo, output: OutputSettings, threads: int, copy: bool
) -> int:
    """Predicted peak RSS of the ffmpeg that normalizes this clip."""
    if copy or info.video is None:
        return COPY_PROCESS
    pixels = info.video.width * info.video.height
    return clip_memory_for(pixels, output, threads, hdr=info.video.hdr)


def clip_memory_for(
    input_pixels: int, output: OutputSettings, threads: int, hdr: bool = False
) -> int:
    """Predicted peak RSS of one re-encoding ffmpeg, from picture sizes alone."""
    costs = cost_model()
    output_pixels = output.width * output.height
    decode = input_pixels * (
        costs.decode_bytes_per_pixel
        + costs.decode_bytes_per_pixel_per_thread * (threads - 1)
    )
    if hdr:
        decode += output_pixels * costs.hdr_bytes_per_pixel
    per_pixel = (
        costs.encode_bytes_per_pixel
        + costs.encode_bytes_per_pixel_per_thread * (threads - 1)
    )
    return costs.ffmpeg_base_bytes + int(decode + output_pixels * per_pixel)


@dataclass(frozen=True)
class WorkPlan:
    """How many clips are normalized at once, and how many threads each ffmpeg gets."""

    workers: int
    encoders: int
    threads: int
    budget_bytes: int


def plan_work(
    budget_bytes: int, output: OutputSettings, cpus: int | None = None
) -> WorkPlan:
    """One encoder with every core for HD outputs; separate encoders for small ones.

    At 1080p on 2 cores, x264's own threads came within 9% of two separate
    processes, and each extra encoder holds about 200 MB more; small outputs gain
    more from separate processes and cost little. Copies still run beside the
    encoder, as many as there are cores: each ffmpeg reserves its share first.
    """
    cores = cpus or os.cpu_count() or 1
    typical = clip_memory_for(1920 * 1080, output, threads=1)
    room = max(0, budget_bytes - PYTHON_RESERVE)
    fitting = max(1, min(cores, int(room // typical)))
    lean = output.width * output.height >= LEAN_OUTPUT_PIXELS
    encoders = 1 if lean else fitting
    return WorkPlan(
        workers=cores,
        encoders=encoders,
        threads=max(1, cores // encoders),
        budget_bytes=budget_bytes,
    )


def threads_within(
    info: MediaInfo, output: OutputSettings, threads: int, budget_bytes: int
) -> int:
    """The most threads (up to `threads`) whose predicted memory fits the budget."""
    for candidate in range(threads, 1, -1):
        if clip_memory(info, output, candidate, copy=False) <= budget_bytes:
            return candidate
    return 1


# The model was within about 10% on most measured clips (bench/plan_accuracy.py);
# ffmpeg processes get that much less than the budget, so an underestimate does
# not break it.
MODEL_MARGIN = 0.9


class MemoryBudget:
    """Bytes that running ffmpeg processes may hold together; shared by all jobs."""

    def __init__(self, total_bytes: int) -> None:
        self.total_bytes = total_bytes
        self._held = 0
        self._changed = threading.Condition()
        self._warned = False

    @classmethod
    def for_processes(cls, budget_bytes: int) -> MemoryBudget:
        """What ffmpeg may hold of a whole-process budget: less Python, less margin."""
        left = int((budget_bytes - PYTHON_RESERVE) * MODEL_MARGIN)
        if left < COPY_PROCESS:
            logger.warning(
                "a memory budget of %d MiB leaves %d MiB for ffmpeg after Python "
                "(%d MiB); each ffmpeg (%d MiB or more) will run alone and exceed it",
                budget_bytes // MIB,
                max(0, left) // MIB,
                PYTHON_RESERVE // MIB,
                COPY_PROCESS // MIB,
            )
        return cls(max(1, left))

    @classmethod
    def unlimited(cls) -> MemoryBudget:
        return cls(NO_LIMIT)

    @property
    def held_bytes(self) -> int:
        return self._held

    @contextmanager
    def reserve(self, wanted: int) -> Iterator[None]:
        """Hold `wanted` bytes while the block runs; waits until they are free.

        A request larger than the whole budget runs alone rather than never.
        """
        amount = min(wanted, self.total_bytes)
        if wanted > self.total_bytes:
            # Once at warning level: every clip of a tight budget would repeat it.
            level = logging.DEBUG if self._warned else logging.WARNING
            self._warned = True
            logger.log(
                level,
                "a clip needs about %d MiB, over the budget of %d MiB; it runs alone",
                wanted // MIB,
                self.total_bytes // MIB,
            )
        with self._changed:
            self._changed.wait_for(lambda: self._held + amount <= self.total_bytes)
            self._held += amount
        try:
            yield
        finally:
            with self._changed:
                self._held -= amount
                self._changed.notify_all()
