"""Plan a composition before running it: per-clip decisions and predicted costs."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from clipstitch.errors import ClipError
from clipstitch.media.preflight import ClipReport
from clipstitch.media.probe import MediaInfo
from clipstitch.media.visuals import drawn_picture
from clipstitch.pipeline.budget import (
    PYTHON_RESERVE,
    WorkPlan,
    clip_memory,
    default_budget,
    plan_work,
)
from clipstitch.pipeline.costs import CostModel, cost_model
from clipstitch.pipeline.steps import StepContext, inspect_clip
from clipstitch.planning.machines import PRESETS, Machine
from clipstitch.planning.schedule import Timeline, Work, simulate
from clipstitch.spec import Composition, OutputSettings

CONTAINER_SHARE = 0.8
WAV_BYTES_PER_SECOND = 48_000 * 2 * 2
MEGABYTE = 1_000_000


@dataclass(frozen=True)
class ClipPlan:
    """What will happen to one clip, and what it will cost."""

    index: int
    source: str
    action: str  # "copy", "re-encode" or "unusable"
    duration: float
    reasons: tuple[str, ...]
    warnings: tuple[str, ...]
    error: str
    cpu_seconds: float
    memory_bytes: int
    segment_bytes: int
    download_bytes: int


@dataclass(frozen=True)
class MachineFit:
    """A machine preset with the composition's predicted peak and time on it."""

    machine: Machine
    peak_memory_bytes: int
    wall_seconds: float

    @property
    def fits(self) -> bool:
        return self.peak_memory_bytes <= self.machine.memory_bytes


@dataclass(frozen=True)
class CompositionPlan:
    """The whole prediction for one budget and core count, and per machine preset."""

    clips: tuple[ClipPlan, ...]
    budget_bytes: int
    cpus: float
    workers: int
    threads: int
    peak_memory_bytes: int
    peak_disk_bytes: int
    wall_seconds: float
    output_seconds: float
    machines: tuple[MachineFit, ...]

    @property
    def unusable(self) -> list[ClipPlan]:
        return [clip for clip in self.clips if clip.action == "unusable"]

    @property
    def smallest_fit(self) -> MachineFit | None:
        fitting = [fit for fit in self.machines if fit.fits]
        return min(fitting, key=lambda fit: fit.machine.memory_bytes, default=None)


def plan_composition(
    composition: Composition,
    budget_bytes: int | None = None,
    cpus: float | None = None,
    context: StepContext | None = None,
) -> CompositionPlan:
    """Probe every clip (no full decode) and predict memory, disk and time."""
    context = context or StepContext()
    with tempfile.TemporaryDirectory(prefix="clipstitch-plan-") as workdir:
        clips = tuple(
            _plan_clip(composition, index, Path(workdir), context)
            for index in range(len(composition.clips))
        )
    budget = budget_bytes or default_budget()
    cores = cpus or float(os.cpu_count() or 1)
    return _predict(clips, composition.output, budget, cores)


def _plan_clip(
    composition: Composition, index: int, workdir: Path, context: StepContext
) -> ClipPlan:
    clip = composition.clips[index]
    try:
        found = inspect_clip(clip, index, composition.output, workdir, context)
    except ClipError as exc:
        return _unusable(index, clip.label, exc.reason)
    info = found.info or drawn_picture(composition.output)  # a drawn title card
    return _costed(index, clip.label, info, found.report, composition.output)


def _unusable(index: int, source: str, reason: str) -> ClipPlan:
    return ClipPlan(index, source, "unusable", 0.0, (), (), reason, 0.0, 0, 0, 0)


def _costed(
    index: int,
    source: str,
    info: MediaInfo,
    report: ClipReport,
    output: OutputSettings,
) -> ClipPlan:
    costs = cost_model()
    seconds = float(report.frames / output.frame_rate)
    return ClipPlan(
        index=index,
        source=source,
        action="copy" if report.copy_video else "re-encode",
        duration=seconds,
        reasons=report.fixes,
        warnings=report.warnings,
        error="",
        cpu_seconds=_cpu_seconds(info, report, output, costs),
        memory_bytes=clip_memory(info, output, 1, report.copy_video),
        segment_bytes=_segment_bytes(info, report, output, costs),
        download_bytes=info.size_bytes if "://" in source else 0,
    )


def _cpu_seconds(
    info: MediaInfo, report: ClipReport, output: OutputSettings, costs: CostModel
) -> float:
    """Single-core seconds to normalize the clip."""
    if report.copy_video or info.video is None:
        return costs.process_seconds + info.size_bytes / MEGABYTE * (
            costs.copy_seconds_per_megabyte
        )
    video = info.video
    input_frames = report.duration * float(video.frame_rate)
    decode = (
        input_frames
        * video.width
        * video.height
        / 1e6
        * costs.decode_seconds(video.codec)
    )
    speed = costs.preset_speed.get(output.video.preset, 1.0)
    output_megapixels = output.width * output.height / 1e6
    encode = report.frames * output_megapixels * costs.encode_seconds_per_megapixel
    return costs.process_seconds + decode + encode * speed


def _segment_bytes(
    info: MediaInfo, report: ClipReport, output: OutputSettings, costs: CostModel
) -> int:
    seconds = float(report.frames / output.frame_rate)
    audio = int(seconds * WAV_BYTES_PER_SECOND)
    if report.copy_video:
        return info.size_bytes + audio
    bits = output.width * output.height * report.frames * costs.segment_bits_per_pixel
    return int(bits / 8) + audio


def _predict(
    clips: Sequence[ClipPlan], output: OutputSettings, budget: int, cpus: float
) -> CompositionPlan:
    usable = [clip for clip in clips if clip.action != "unusable"]
    work_plan = plan_work(budget, output, max(1, int(cpus)))
    timeline = _timeline(usable, work_plan, cpus)
    output_seconds = sum(clip.duration for clip in usable)
    return CompositionPlan(
        clips=tuple(clips),
        budget_bytes=budget,
        cpus=cpus,
        workers=work_plan.workers,
        threads=work_plan.threads,
        peak_memory_bytes=PYTHON_RESERVE + timeline.peak_memory_bytes,
        peak_disk_bytes=_peak_disk(usable, work_plan.workers),
        wall_seconds=timeline.wall_seconds + _join_seconds(output_seconds, cpus),
        output_seconds=output_seconds,
        machines=tuple(_fit(usable, output, machine) for machine in PRESETS),
    )


def _timeline(clips: Sequence[ClipPlan], work_plan: WorkPlan, cpus: float) -> Timeline:
    budget = max(1, work_plan.budget_bytes - PYTHON_RESERVE)
    works = [
        Work(
            clip.cpu_seconds, work_plan.threads, _with_threads(clip, work_plan.threads)
        )
        for clip in clips
    ]
    return simulate(works, work_plan.workers, budget, cpus)


def _with_threads(clip: ClipPlan, threads: int) -> int:
    """A re-encode's memory grows with its threads (x264 frame threads)."""
    if clip.action == "copy" or threads == 1:
        return clip.memory_bytes
    costs = cost_model()
    return clip.memory_bytes + int(
        (threads - 1)
        * clip.memory_bytes
        * costs.encode_bytes_per_pixel_per_thread
        / max(costs.encode_bytes_per_pixel, 1.0)
        * 0.8
    )


def _join_seconds(output_seconds: float, cpus: float) -> float:
    rate = cost_model().join_seconds_per_output_second
    return output_seconds * rate / min(1.0, cpus)


def _peak_disk(clips: Sequence[ClipPlan], workers: int) -> int:
    """All segments wait for the join; downloads exist only while their clip runs."""
    largest_downloads = sorted((clip.download_bytes for clip in clips), reverse=True)
    return sum(clip.segment_bytes for clip in clips) + sum(largest_downloads[:workers])


def _fit(
    clips: Sequence[ClipPlan], output: OutputSettings, machine: Machine
) -> MachineFit:
    budget = int(machine.memory_bytes * CONTAINER_SHARE)
    work_plan = plan_work(budget, output, max(1, int(machine.cpus)))
    timeline = _timeline(clips, work_plan, machine.cpus)
    output_seconds = sum(clip.duration for clip in clips)
    return MachineFit(
        machine=machine,
        peak_memory_bytes=PYTHON_RESERVE + timeline.peak_memory_bytes,
        wall_seconds=timeline.wall_seconds
        + _join_seconds(output_seconds, machine.cpus),
    )
