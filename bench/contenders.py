"""The commands of each tool compared, run on one clip list under a memory limit."""

from __future__ import annotations

import shutil
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from bench.clipset import CACHE
from bench.concat_filter import command as concat_filter_command
from bench.floor import floor_command
from bench.guard import Guarded, measure_limited
from bench.measure import run_folder
from bench.report import Row
from bench.run import clipstitch_command, probe_duration

RUNS = CACHE / "compare-runs"
Command = Callable[[Sequence[Path], Path, float], list[str]]


def clipstitch(clips: Sequence[Path], output: Path, seconds: float) -> list[str]:
    paths = [str(path) for path in clips]
    return [*clipstitch_command(), "compose", *paths, "-o", str(output), "--json"]


def original(clips: Sequence[Path], output: Path, seconds: float) -> list[str]:
    paths = [str(path) for path in clips]
    return [sys.executable, "-m", "bench.original", *paths, "-o", str(output)]


def concat_filter(clips: Sequence[Path], output: Path, seconds: float) -> list[str]:
    return concat_filter_command(list(clips), output)


def moviepy(clips: Sequence[Path], output: Path, seconds: float) -> list[str]:
    paths = [str(path) for path in clips]
    return [sys.executable, "-m", "bench.moviepy_compose", *paths, "-o", str(output)]


def floor(clips: Sequence[Path], output: Path, seconds: float) -> list[str]:
    """One encode of the same length of noisy 1080p30 with AAC audio."""
    return floor_command(output, seconds)


TOOLS: dict[str, Command] = {
    "clipstitch": clipstitch,
    "original": original,
    "concat filter": concat_filter,
    "moviepy": moviepy,
    "floor": floor,
}


def command_for(tool: str) -> Command:
    """A tool's command; "clipstitch 600M" is clipstitch with that memory budget."""
    name, _, budget = tool.partition(" ")
    if name != "clipstitch" or not budget:
        return TOOLS[tool]

    def budgeted(clips: Sequence[Path], output: Path, seconds: float) -> list[str]:
        return [*clipstitch(clips, output, seconds), "--max-memory", budget]

    return budgeted


def run_tool(
    tool: str, set_name: str, clips: Sequence[Path], seconds: float, limit: int
) -> Row:
    """Run one tool in a fresh folder (output and TMPDIR) under the memory limit."""
    label = f"{tool.replace(' ', '-')}-{set_name}-{len(clips)}"
    print(f"running {label} ...", flush=True)
    folder, output, environment = run_folder(RUNS, label)
    command = command_for(tool)(clips, output, seconds)
    guarded = measure_limited(command, [folder], limit, env=environment)
    row = _row(tool, set_name, clips, seconds, guarded, output)
    shutil.rmtree(folder, ignore_errors=True)
    print(
        f"  {row.wall_seconds:.1f} s wall, {row.peak_rss_bytes >> 20} MB"
        f"{' (' + str(row.details['failed']) + ')' if 'failed' in row.details else ''}",
        flush=True,
    )
    return row


def _row(
    tool: str,
    set_name: str,
    clips: Sequence[Path],
    seconds: float,
    guarded: Guarded,
    output: Path,
) -> Row:
    result = guarded.measurement
    details: dict[str, object] = {}
    if guarded.killed:
        details["failed"] = f"killed at the {guarded.limit_bytes >> 20} MB limit"
    elif result.returncode != 0:
        details["failed"] = f"exit {result.returncode}: {result.stderr[-300:]}"
    produced = probe_duration(output) if output.exists() and not details else 0.0
    return Row(
        contender=tool,
        set_name=set_name,
        clips=len(clips),
        set_seconds=seconds,
        wall_seconds=result.wall_seconds,
        cpu_seconds=result.cpu_seconds,
        peak_rss_bytes=result.peak_rss_bytes,
        peak_disk_bytes=result.peak_disk_bytes,
        output_seconds=produced,
        details=details,
    )
