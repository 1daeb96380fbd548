"""Compose: many clips in, one MP4 out, inside a memory budget."""

from __future__ import annotations

import logging
import os
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import TypeVar

import psutil

from clipstitch.errors import CancelledError, ClipError, ClipstitchError, SpecError
from clipstitch.media.deliverables import make_deliverables
from clipstitch.media.ffmpeg import Cancellation, LinkedCancel
from clipstitch.media.mix import AudioMix
from clipstitch.media.overlay import Overlays
from clipstitch.media.preflight import Limits
from clipstitch.media.segment import Segment
from clipstitch.pipeline.budget import (
    MemoryBudget,
    WorkPlan,
    default_budget,
    plan_work,
)
from clipstitch.pipeline.fetch import FetchSettings, is_url
from clipstitch.pipeline.joins import joins_for, transitions_of
from clipstitch.pipeline.memory import PeakMemory
from clipstitch.pipeline.progress import EventCallback, ProgressEvent, Stage
from clipstitch.pipeline.steps import (
    ClipAudio,
    StepContext,
    join_segments,
    prepare_clip,
)
from clipstitch.spec import BadClipPolicy, Clip, Composition

logger = logging.getLogger(__name__)
_T = TypeVar("_T")


@dataclass(frozen=True)
class ClipOutcome:
    """What became of one clip."""

    index: int
    source: str
    used: bool
    duration: float
    copied_video: bool
    fixes: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    error: str = ""


@dataclass(frozen=True)
class ComposeResult:
    """The finished video and what it took to make it."""

    output: Path
    duration: float
    clips: tuple[ClipOutcome, ...]
    peak_memory_bytes: int
    budget_bytes: int
    workers: int
    threads: int
    wall_seconds: float
    cpu_seconds: float
    stage_seconds: dict[str, float] = field(default_factory=dict)
    deliverables: tuple[Path, ...] = ()  # posters and extra outputs beside `output`

    @property
    def warnings(self) -> list[str]:
        return [
            f"clip {clip.index} ({clip.source}): {text}"
            for clip in self.clips
            for text in ((clip.error,) if clip.error else clip.warnings)
        ]


def compose(
    composition: Composition | Sequence[str],
    output: Path | str,
    *,
    max_memory: int | None = None,
    on_event: EventCallback | None = None,
    cancel: Cancellation | None = None,
    limits: Limits | None = None,
    fetch_settings: FetchSettings | None = None,
) -> ComposeResult:
    """Compose clips into one MP4 at `output`.

    `composition` is a Composition or a list of paths and URLs (default settings).
    Raises ClipError naming the first unusable clip (unless the composition skips
    bad clips); nothing is left at `output` when it fails.
    """
    if not isinstance(composition, Composition):
        composition = Composition(
            clips=[Clip(source=str(source)) for source in composition]
        )
    destination = _checked_destination(Path(output), composition)
    if max_memory is not None and max_memory <= 0:
        raise SpecError(f"the memory budget must be more than 0 (got {max_memory})")
    budget = max_memory or default_budget()
    stop = LinkedCancel(cancel)
    work_plan = plan_work(budget, composition.output)
    run = _Run(
        composition=composition,
        plan=work_plan,
        context=StepContext(
            cancel=stop,
            budget=MemoryBudget.for_processes(budget),
            encoder_slots=threading.Semaphore(work_plan.encoders),
            limits=limits or Limits(),
            fetch_settings=fetch_settings or FetchSettings(),
        ),
        on_event=on_event or (lambda event: None),
        stop=stop,
    )
    return run.execute(destination)


@dataclass
class _Run:
    composition: Composition
    plan: WorkPlan
    context: StepContext
    on_event: EventCallback
    stop: LinkedCancel
    stage_seconds: dict[str, float] = field(default_factory=dict)
    outcomes: dict[int, ClipOutcome] = field(default_factory=dict)

    def execute(self, destination: Path) -> ComposeResult:
        self.context.threads = self.plan.threads
        started = time.monotonic()
        cpu_before = _tree_cpu_seconds()
        with (
            PeakMemory() as peak,
            tempfile.TemporaryDirectory(
                prefix=".clipstitch-", dir=destination.parent
            ) as workdir,
        ):
            segments = self._timed(
                "normalize", lambda: self._prepare_all(Path(workdir))
            )
            duration = self._timed("join", lambda: self._join(segments, destination))
            extras = self._timed(
                "deliverables",
                lambda: self._deliver(segments, destination, duration),
            )
        return ComposeResult(
            output=destination,
            duration=duration,
            clips=tuple(self.outcomes[index] for index in sorted(self.outcomes)),
            peak_memory_bytes=peak.peak_bytes,
            budget_bytes=self.plan.budget_bytes,
            workers=self.plan.workers,
            threads=self.plan.threads,
            wall_seconds=time.monotonic() - started,
            cpu_seconds=_tree_cpu_seconds() - cpu_before,
            stage_seconds=self.stage_seconds,
            deliverables=tuple(extras),
        )

    def _timed(self, stage: str, work: Callable[[], _T]) -> _T:
        started = time.monotonic()
        try:
            return work()
        finally:
            self.stage_seconds[stage] = time.monotonic() - started

    def _prepare_all(self, workdir: Path) -> list[Segment]:
        clips = self.composition.clips
        with ThreadPoolExecutor(self.plan.workers, thread_name_prefix="clip") as pool:
            futures = [
                pool.submit(self._prepare, clip, index, workdir)
                for index, clip in enumerate(clips)
            ]
            try:
                segments = [
                    segment for future in futures if (segment := self._collect(future))
                ]
            except CancelledError as cancelled:
                self.stop.set()
                raise (_first_clip_error(futures) or cancelled) from None
            except BaseException:
                self.stop.set()  # the join shares this event: set it only on failure
                raise
        if not segments:
            raise ClipstitchError("no usable clips: every clip was skipped")
        return segments

    def _prepare(self, clip: Clip, index: int, workdir: Path) -> Segment:
        if self.context.cancel.is_set():
            raise CancelledError("cancelled before the clip started")
        self.on_event(
            ProgressEvent(Stage.NORMALIZING, 0.0, clip=index, message=clip.label)
        )
        context = StepContext(
            threads=self.context.threads,
            cancel=self.context.cancel,
            on_progress=lambda fraction: self.on_event(
                ProgressEvent(Stage.NORMALIZING, fraction, clip=index)
            ),
            budget=self.context.budget,
            encoder_slots=self.context.encoder_slots,
            limits=self.context.limits,
            fetch_settings=self.context.fetch_settings,
        )
        try:
            segment = prepare_clip(
                clip,
                index,
                self.composition.output,
                workdir,
                context,
                ClipAudio.of(self.composition, index),
                joins_for(self.composition, index),
            )
        except ClipError:
            if self.composition.on_bad_clip is BadClipPolicy.FAIL:
                self.stop.set()  # fail fast: the other clips' ffmpeg stop too
            raise
        self.on_event(ProgressEvent(Stage.NORMALIZING, 1.0, clip=index, message="done"))
        return segment

    def _collect(self, future: Future[Segment]) -> Segment | None:
        try:
            segment = future.result()
        except ClipError as exc:
            if self.composition.on_bad_clip is BadClipPolicy.FAIL:
                raise
            logger.warning("skipping %s", exc)
            self._record_skip(exc)
            return None
        self.outcomes[segment.index] = ClipOutcome(
            index=segment.index,
            source=segment.source,
            used=True,
            duration=float(segment.frames / self.composition.output.frame_rate),
            copied_video=segment.copied_video,
            fixes=segment.fixes,
            warnings=segment.warnings,
        )
        return segment

    def _record_skip(self, error: ClipError) -> None:
        index = error.index if error.index is not None else -1
        self.outcomes[index] = ClipOutcome(
            index=index,
            source=error.source,
            used=False,
            duration=0.0,
            copied_video=False,
            error=f"skipped: {error.reason}",
        )

    def _join(self, segments: list[Segment], destination: Path) -> float:
        self.on_event(ProgressEvent(Stage.JOINING, 0.0))
        context = StepContext(
            threads=self.plan.threads,
            cancel=self.context.cancel,
            on_progress=lambda fraction: self.on_event(
                ProgressEvent(Stage.JOINING, fraction)
            ),
        )
        duration = join_segments(
            segments,
            self.composition.output,
            destination,
            context,
            AudioMix.of(self.composition),
            Overlays.of(self.composition),
            transitions_of(self.composition),
        )
        self.on_event(ProgressEvent(Stage.DONE, 1.0))
        return duration

    def _deliver(
        self, segments: list[Segment], destination: Path, duration: float
    ) -> list[Path]:
        wanted = self.composition.deliverables
        if wanted.poster is None and not wanted.extra_outputs:
            return []
        self.on_event(ProgressEvent(Stage.JOINING, 1.0, message="deliverables"))
        return make_deliverables(
            destination,
            duration,
            wanted,
            clip_spans(segments, self.composition.output.frame_rate),
            threads=self.plan.threads,
            cancel=self.context.cancel,
        )


def clip_spans(segments: list[Segment], rate: Fraction) -> list[tuple[float, float]]:
    """Each used clip's (start, end) on the output timeline, in seconds."""
    spans = []
    frames = 0
    for segment in sorted(segments, key=lambda segment: segment.index):
        spans.append((float(frames / rate), float((frames + segment.frames) / rate)))
        frames += segment.frames
    return spans


def _checked_destination(output: Path, composition: Composition) -> Path:
    """Where the video goes: a new or regular file, never one of the clips."""
    destination = output.resolve()
    if destination.exists() and not destination.is_file():
        raise SpecError(f"output {output} exists and is not a regular file")
    clips = [(f"clip {n}", clip.source) for n, clip in enumerate(composition.clips)]
    for what, source in [*clips, *composition.asset_sources()]:
        if source and not is_url(source) and Path(source).resolve() == destination:
            raise SpecError(f"output {output} is also the source of {what}")
    try:
        destination.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise SpecError(f"cannot create the folder of {output}: {exc}") from exc
    try:  # permissions alone do not tell (root, read-only and special mounts)
        with tempfile.TemporaryFile(dir=destination.parent):
            pass
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise SpecError(f"cannot write to the folder of {output}: {reason}") from exc
    return destination


def _first_clip_error(futures: list[Future[Segment]]) -> ClipError | None:
    """The clip failure that made the other clips stop, if that is what happened."""
    for future in futures:
        if future.done() and isinstance(future.exception(), ClipError):
            return future.exception()  # type: ignore[return-value]
    return None


def _tree_cpu_seconds() -> float:
    """CPU time of this process and the children it has waited for."""
    times = os.times()
    own = psutil.Process().cpu_times()
    return own.user + own.system + times.children_user + times.children_system
