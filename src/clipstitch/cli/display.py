"""Rich output: live progress per stage and per clip, the final summary table."""

from __future__ import annotations

import threading
from types import TracebackType

from rich.console import Console
from rich.progress import (
    BarColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from clipstitch.cli.units import format_size
from clipstitch.media.preflight import ClipReport
from clipstitch.pipeline.compose import ComposeResult
from clipstitch.pipeline.progress import ProgressEvent, Stage


class ComposeProgress:
    """Overall bar (clips done, with ETA), one bar per running clip, then the join."""

    def __init__(self, console: Console, clip_count: int) -> None:
        self._progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            TextColumn("{task.percentage:>3.0f}%"),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            console=console,
            transient=True,
        )
        self._lock = threading.Lock()
        self._overall = self._progress.add_task("clips", total=clip_count)
        self._clips: dict[int, TaskID] = {}
        self._finished: set[int] = set()
        self._join: TaskID | None = None

    def __enter__(self) -> ComposeProgress:
        self._progress.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._progress.stop()

    def __call__(self, event: ProgressEvent) -> None:
        with self._lock:
            if event.stage is Stage.NORMALIZING and event.clip is not None:
                self._on_clip(event.clip, event.fraction, event.message == "done")
            elif event.stage is Stage.JOINING:
                self._on_join(event.fraction)

    def _on_clip(self, index: int, fraction: float, done: bool) -> None:
        if index in self._finished:
            return
        task = self._clips.get(index)
        if task is None:
            task = self._progress.add_task(f"  clip {index}", total=1.0)
            self._clips[index] = task
        self._progress.update(task, completed=fraction)
        if done:
            self._finished.add(index)
            self._progress.remove_task(task)
            self._progress.advance(self._overall)

    def _on_join(self, fraction: float) -> None:
        if self._join is None:
            self._join = self._progress.add_task("joining", total=1.0)
        self._progress.update(self._join, completed=fraction)


def summary_table(result: ComposeResult) -> Table:
    table = Table(title=f"clipstitch: {result.output}", show_header=False, box=None)
    table.add_column(style="bold")
    table.add_column()
    used = sum(1 for clip in result.clips if clip.used)
    copied = sum(1 for clip in result.clips if clip.copied_video)
    table.add_row(
        "clips", f"{used} used, {len(result.clips) - used} skipped, {copied} copied"
    )
    table.add_row("duration", f"{result.duration:.3f} s")
    table.add_row("wall time", f"{result.wall_seconds:.1f} s")
    table.add_row("cpu time", f"{result.cpu_seconds:.1f} s")
    for stage, seconds in result.stage_seconds.items():
        table.add_row(f"  {stage}", f"{seconds:.1f} s")
    table.add_row(
        "peak memory", f"{format_size(result.peak_memory_bytes)} (process tree)"
    )
    table.add_row(
        "budget",
        f"{format_size(result.budget_bytes)}: {result.workers} workers, "
        f"{result.threads} threads each",
    )
    for path in result.deliverables:
        table.add_row("also wrote", path.name)
    return table


def clip_table(reports: list[tuple[int, str, ClipReport | None, str]]) -> Table:
    """The preflight report: one row a clip."""
    table = Table(title="preflight")
    for column in ("#", "source", "duration", "video", "fixes / problem"):
        table.add_column(column)
    for index, source, report, problem in reports:
        if report is None:
            table.add_row(
                str(index), source, "-", "-", f"[red]unusable: {problem}[/red]"
            )
            continue
        notes = [*report.fixes, *(f"[yellow]{w}[/yellow]" for w in report.warnings)]
        video = "copy" if report.copy_video else "re-encode"
        table.add_row(
            str(index),
            source,
            f"{report.duration:.3f} s",
            video,
            "\n".join(notes) or "-",
        )
    return table
