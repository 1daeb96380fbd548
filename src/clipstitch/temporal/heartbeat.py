"""Run a blocking step in a thread while its activity heartbeats.

The heartbeat carries the step's progress. Temporal delivers cancellation on a
heartbeat's reply; it arrives here as asyncio.CancelledError and becomes the
step's cancel event, which kills ffmpeg within a tenth of a second.
"""

from __future__ import annotations

import asyncio
import contextvars
import threading
import time
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass, field
from typing import TypeVar

from temporalio import activity

from clipstitch.pipeline.progress import Stage

T = TypeVar("T")
HEARTBEAT_SECONDS = 1.0


@dataclass
class StepProgress:
    """Stage and fraction of a running step; written by its thread, read by beats."""

    stage: Stage = Stage.FETCHING
    fraction: float = 0.0
    reported_at: float = field(default=0.0)

    def move(self, stage: Stage, fraction: float = 0.0) -> None:
        self.stage = stage
        self.fraction = fraction

    def due(self, interval: float = HEARTBEAT_SECONDS) -> bool:
        """True at most once per interval: when to write progress somewhere slow."""
        now = time.monotonic()
        if now - self.reported_at < interval:
            return False
        self.reported_at = now
        return True

    def details(self) -> dict[str, object]:
        return {"stage": self.stage.value, "progress": round(self.fraction, 4)}


async def run_with_heartbeats(
    work: Callable[[threading.Event], T],
    progress: StepProgress,
    executor: Executor,
    on_beat: Callable[[], None] = lambda: None,
) -> T:
    """`work(cancel)` in `executor`, heartbeating every second until it returns.

    `on_beat` runs (in a thread) at each beat: the step's memory is sampled there.
    """
    cancel = threading.Event()
    loop = asyncio.get_running_loop()
    # The thread gets this activity's context, so activity.info() works there.
    context = contextvars.copy_context()
    future = loop.run_in_executor(executor, context.run, work, cancel)
    try:
        while True:
            activity.heartbeat(progress.details())
            await asyncio.to_thread(on_beat)
            done, _ = await asyncio.wait({future}, timeout=HEARTBEAT_SECONDS)
            if done:
                return future.result()
    except asyncio.CancelledError:
        cancel.set()
        await asyncio.wait({future})
        if not future.cancelled():
            future.exception()  # the step's own CancelledError: expected, not news
        raise
