"""Plan a composition before running it: per-clip decisions and predicted costs."""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from clipstitch.errors import ClipError
from clipstitch.media.preflight import ClipReport
from clipstitch.media.probe import MediaInfo
from clipstitch.media.transition import transition_frames
from clipstitch.media.visuals import drawn_picture
from clipstitch.pipeline.budget import (
    PYTHON_RESERVE,
    MemoryBudget,
    WorkPlan,
    clip_memory,
    clip_memory_for,
    default_budget,
    plan_work,
)
from clipstitch.pipeline.costs import CostModel, cost_model
from clipstitch.pipeline.joins import joins_for, transitions_of
from clipstitch.pipeline.steps import StepContext, inspect_clip
from clipstitch.planning.machines import PRESETS, Machine
from clipstitch.planning.schedule import Slots, Timeline, Work, simulate
from clipstitch.spec import BadClipPolicy, Composition, OutputSettings

CONTAINER_SHARE = 0.8
WAV_BYTES_PER_SECOND = 48_000 * 2 * 2
MEGABYTE = 1_000_000
# Intra-only or near-lossless inputs say little more about the picture beyond this.
MAX_BITS_PER_PIXEL = 0.6
LOADAVG = Path("/proc/loadavg")


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
    input_pixels: int = 0
    hdr: bool = False


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
    cpu_seconds: float = 0.0  # single-core seconds of every ffmpeg, the join included
    failure: str = ""  # why compose would fail (a bad clip under on_bad_clip=fail)

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
    share = cpus or available_cpus()
    output_seconds = _output_seconds(composition, clips)
    plan = _predict(clips, composition.output, budget, cores, share, output_seconds)
    return replace(plan, failure=_failure(plan, composition.on_bad_clip))


def _output_seconds(composition: Composition, clips: Sequence[ClipPlan]) -> float:
    """The usable clips' length less the overlaps of transitions between them."""
    rate = composition.output.frame_rate
    overlaps = sum(
        transition_frames(transition.duration, rate)
        for index, transition in transitions_of(composition).items()
        if "unusable" not in (clips[index].action, clips[index + 1].action)
    )
    usable = sum(clip.duration for clip in clips if clip.action != "unusable")
    return usable - float(overlaps / rate)


def _failure(plan: CompositionPlan, policy: BadClipPolicy) -> str:
    if policy != BadClipPolicy.FAIL or not plan.unusable:
        return ""
    first = plan.unusable[0]
    return f"clip {first.index} ({first.source}): {first.error}"


def available_cpus() -> float:
    """This machine's cores, less what other processes take now.

    The scheduler shares the cores fairly among runnable threads: with `others`
    of them running now, the compose's threads (about one per core) get
    cores / (cores + others) of each core.
    """
    cores = float(os.cpu_count() or 1)
    return cores * cores / (cores + runnable_others())


def runnable_others(samples: int = 10, interval: float = 0.05) -> float:
    """Threads of other processes ready to run, averaged over half a second."""
    try:
        counts = []
        for _ in range(samples):
            running = LOADAVG.read_text().split()[3].split("/")[0]
            counts.append(max(0, int(running) - 1))  # less this process, reading
            time.sleep(interval)
        return sum(counts) / len(counts)
    except (OSError, IndexError, ValueError):
        return max(0.0, os.getloadavg()[0] - 0.3)


def _plan_clip(
    composition: Composition, index: int, workdir: Path, context: StepContext
) -> ClipPlan:
    clip = composition.clips[index]
    joins = joins_for(composition, index)
    try:
        found = inspect_clip(clip, index, composition.output, workdir, context, joins)
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
        input_pixels=info.video.width * info.video.height if info.video else 0,
        hdr=info.video.hdr if info.video else False,
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
    per_megapixel = costs.encode_seconds_per_megapixel + (
        costs.encode_seconds_per_megapixel_per_bit * _bits_per_pixel(info)
    )
    encode = report.frames * output_megapixels * per_megapixel
    return costs.process_seconds + decode + encode * speed


def _bits_per_pixel(info: MediaInfo) -> float:
    """The input's bits per coded pixel: how busy its picture is, roughly."""
    video = info.video
    if video is None or info.duration <= 0:
        return 0.0
    pixels = video.width * video.height * float(video.frame_rate) * info.duration
    return min(MAX_BITS_PER_PIXEL, info.size_bytes * 8 / max(pixels, 1.0))


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
    clips: Sequence[ClipPlan],
    output: OutputSettings,
    budget: int,
    cpus: float,
    share: float,
    output_seconds: float,
) -> CompositionPlan:
    """Workers follow the machine's cores; time follows the share of them we get."""
    usable = [clip for clip in clips if clip.action != "unusable"]
    work_plan = plan_work(budget, output, max(1, int(cpus)))
    timeline = _timeline(usable, output, work_plan, share)
    return CompositionPlan(
        clips=tuple(clips),
        budget_bytes=budget,
        cpus=share,
        workers=work_plan.workers,
        threads=work_plan.threads,
        peak_memory_bytes=PYTHON_RESERVE + timeline.peak_memory_bytes,
        peak_disk_bytes=_peak_disk(usable, work_plan.workers),
        wall_seconds=timeline.wall_seconds + _join_seconds(output_seconds, share),
        output_seconds=output_seconds,
        machines=tuple(
            _fit(usable, output, output_seconds, machine) for machine in PRESETS
        ),
        cpu_seconds=sum(clip.cpu_seconds for clip in usable)
        + _join_seconds(output_seconds, 1.0),
    )


def _timeline(
    clips: Sequence[ClipPlan],
    output: OutputSettings,
    work_plan: WorkPlan,
    cpus: float,
) -> Timeline:
    """Run the clips as compose does: its workers, encoder slots and budget."""
    budget = MemoryBudget.for_processes(work_plan.budget_bytes).total_bytes
    works = [_work(clip, work_plan.threads, budget, output) for clip in clips]
    slots = Slots(work_plan.workers, work_plan.encoders, budget)
    return simulate(works, slots, cpus, cost_model().thread_efficiency)


def _work(clip: ClipPlan, threads: int, budget: int, output: OutputSettings) -> Work:
    """A copy holds one process; a re-encode gets the threads that fit the budget."""
    if clip.action == "copy":
        return Work(clip.cpu_seconds, 1, clip.memory_bytes, encoder=False)
    for candidate in range(threads, 0, -1):
        memory = clip_memory_for(clip.input_pixels, output, candidate, hdr=clip.hdr)
        if memory <= budget or candidate == 1:
            return Work(clip.cpu_seconds, candidate, memory, encoder=True)
    raise AssertionError("unreachable: one thread always returns")


def _join_seconds(output_seconds: float, cpus: float) -> float:
    """The join, and what every job costs besides its clips (Python, start-ups)."""
    costs = cost_model()
    rate = costs.join_seconds_per_output_second
    return costs.job_seconds + output_seconds * rate / min(1.0, cpus)


def _peak_disk(clips: Sequence[ClipPlan], workers: int) -> int:
    """All segments wait for the join; downloads exist only while their clip runs."""
    largest_downloads = sorted((clip.download_bytes for clip in clips), reverse=True)
    return sum(clip.segment_bytes for clip in clips) + sum(largest_downloads[:workers])


def _fit(
    clips: Sequence[ClipPlan],
    output: OutputSettings,
    output_seconds: float,
    machine: Machine,
) -> MachineFit:
    budget = int(machine.memory_bytes * CONTAINER_SHARE)
    work_plan = plan_work(budget, output, max(1, int(machine.cpus)))
    timeline = _timeline(clips, output, work_plan, machine.cpus)
    return MachineFit(
        machine=machine,
        peak_memory_bytes=PYTHON_RESERVE + timeline.peak_memory_bytes,
        wall_seconds=timeline.wall_seconds
        + _join_seconds(output_seconds, machine.cpus),
    )
