"""Machine presets a team picks from before a job runs."""

from __future__ import annotations

from dataclasses import dataclass

GIB = 1 << 30


@dataclass(frozen=True)
class Machine:
    """A container or hosted-task size: virtual CPUs and memory."""

    name: str
    cpus: float
    memory_bytes: int


# Trigger.dev v4 machine presets, then plain containers on a 2-core host.
PRESETS = (
    Machine("trigger micro", 0.25, GIB // 4),
    Machine("trigger small-1x", 0.5, GIB // 2),
    Machine("trigger small-2x", 1, 1 * GIB),
    Machine("trigger medium-1x", 1, 2 * GIB),
    Machine("trigger medium-2x", 2, 4 * GIB),
    Machine("trigger large-1x", 4, 8 * GIB),
    Machine("trigger large-2x", 8, 16 * GIB),
    Machine("container 512 MB", 2, GIB // 2),
    Machine("container 1 GB", 2, 1 * GIB),
    Machine("container 2 GB", 2, 2 * GIB),
    Machine("container 4 GB", 2, 4 * GIB),
    Machine("container 8 GB", 2, 8 * GIB),
)
