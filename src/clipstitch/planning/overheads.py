"""What a clip and a job cost beyond their ffmpeg work, measured through the pipeline.

Per clip: the probes, the preflight and the start of each process, measured by
preparing a tiny clip that matches its output (a copy), so nearly all of the time
is overhead. Per job: starting Python with the pipeline imported, and the fixed
part of the join (its processes, the faststart rewrite).
"""

from __future__ import annotations

import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from clipstitch.pipeline.steps import StepContext, join_segments, prepare_clip
from clipstitch.spec import Clip, OutputSettings

TRIES = 3  # the fastest of a few: a start-up cost, not the machine's hiccups
# What the compose CLI imports before its first clip: Python's start-up and memory.
PYTHON_IMPORTS = "import clipstitch.cli.main, clipstitch.pipeline.compose"


@dataclass(frozen=True)
class Overheads:
    """Wall seconds a clip and a job cost whatever their size."""

    clip_seconds: float
    job_seconds: float


def measure_overheads(
    clip: Path, size: tuple[int, int], fps: int, join_rate: float, folder: Path
) -> Overheads:
    """Prepare and join `clip` (which matches `size` and `fps`) a few times.

    `join_rate` is the join's measured seconds per output second, taken out so that
    only its fixed part remains.
    """
    output = OutputSettings(width=size[0], height=size[1], fps=str(fps))
    source = Clip(source=str(clip))
    clip_runs, join_runs = [], []
    for attempt in range(TRIES):
        workdir = folder / f"overhead-{attempt}"
        workdir.mkdir()
        started = time.monotonic()
        segment = prepare_clip(source, 0, output, workdir, StepContext())
        prepared = time.monotonic()
        duration = join_segments([segment], output, workdir / "out.mp4", StepContext())
        clip_runs.append(prepared - started)
        join_runs.append(time.monotonic() - prepared - duration * join_rate)

    return Overheads(
        clip_seconds=min(clip_runs),
        job_seconds=python_start_seconds() + max(0.0, min(join_runs)),
    )


def python_start_seconds() -> float:
    """Wall time to start Python and import the compose pipeline and the CLI."""
    runs = []
    for _ in range(TRIES):
        started = time.monotonic()
        subprocess.run([sys.executable, "-c", PYTHON_IMPORTS], check=True)
        runs.append(time.monotonic() - started)
    return min(runs)
