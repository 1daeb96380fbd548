"""The steps of a composition, free of any runner: prepare one clip, join them all.

The local pipeline, the embedded job runner and distributed workers all call
these same functions.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import threading
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from urllib.parse import urlsplit

import httpx

from clipstitch.errors import ClipError, DownloadError
from clipstitch.media.concat import concat
from clipstitch.media.ffmpeg import Cancellation, ProgressCallback
from clipstitch.media.filters import AudioEdit
from clipstitch.media.loudness import match_loudness
from clipstitch.media.mix import AudioMix
from clipstitch.media.normalize import normalize
from clipstitch.media.overlay import Overlays
from clipstitch.media.preflight import ClipReport, Limits, preflight, title_report
from clipstitch.media.probe import MediaInfo, probe
from clipstitch.media.segment import Segment
from clipstitch.media.visuals import drawn_picture
from clipstitch.pipeline.assets import overlay_files
from clipstitch.pipeline.budget import (
    COPY_PROCESS,
    MemoryBudget,
    clip_memory,
    threads_within,
)
from clipstitch.pipeline.fetch import FetchedClip, FetchSettings, fetch, is_url
from clipstitch.pipeline.joins import (
    CUTS,
    Joins,
    assemble,
    keyframes_for,
)
from clipstitch.pipeline.progress import Stage, StageCallback
from clipstitch.spec import (
    Clip,
    Composition,
    OutputSettings,
    Transition,
    TransitionKind,
)


@dataclass
class StepContext:
    """What a step needs from whoever runs it."""

    threads: int = 1
    cancel: Cancellation = field(default_factory=threading.Event)
    on_progress: ProgressCallback | None = None
    on_stage: StageCallback | None = None
    budget: MemoryBudget | None = None
    encoder_slots: threading.Semaphore | None = None
    limits: Limits = field(default_factory=Limits)
    fetch_settings: FetchSettings = field(default_factory=FetchSettings)
    http_client: httpx.Client | None = None


@dataclass(frozen=True)
class ClipProbe:
    """A fetched and probed clip with its preflight report."""

    index: int
    source: str
    info: MediaInfo | None  # None for a title card drawn without a source
    report: ClipReport


@dataclass(frozen=True)
class ClipAudio:
    """Composition-wide settings that change one clip's sound in its segment."""

    declick_in: bool = False
    declick_out: bool = False
    match_lufs: float | None = None  # bring the clip to this loudness

    @classmethod
    def of(cls, composition: Composition, index: int) -> ClipAudio:
        """Clip `index`'s settings: declick fades only where the join is a cut."""
        clips = composition.clips
        loudness = composition.loudness
        return cls(
            declick_in=composition.declick
            and (index == 0 or _plain_cut(clips[index - 1])),
            declick_out=composition.declick and _plain_cut(clips[index]),
            match_lufs=loudness.target_lufs
            if loudness is not None and loudness.match_clips
            else None,
        )


def _plain_cut(clip: Clip) -> bool:
    return clip.transition is None or clip.transition.kind is TransitionKind.CUT


def segment_key(
    clip: Clip,
    output: OutputSettings,
    audio: ClipAudio,
    joins: Joins,
    scope: str,
) -> str:
    """The same key whenever the same clip content is normalized for the same output.

    A local file is known by its inode, size, and modification and change times,
    so a segment serves any job until the file is written or replaced. A URL or
    s3:// object can change unseen, so its segment serves only `scope` (one job:
    its retries and its restart).
    """
    identity = {
        "clip": clip.model_dump(mode="json"),
        "output": output.model_dump(mode="json"),
        "content": _content_identity(clip.source, scope),
    }
    if audio != ClipAudio():
        identity["audio"] = asdict(audio)
    if joins.overlapping:  # keyframes where the clip overlaps its neighbours
        identity["joins"] = {"frames": list(joins.frames(output.frame_rate))}
    digest = hashlib.sha256(json.dumps(identity, sort_keys=True).encode())
    return digest.hexdigest()[:24]


def _content_identity(source: str | None, scope: str) -> dict[str, object] | None:
    if source is None:
        return None  # a title card: the spec is the whole content
    if "://" in source:  # a URL or an object store
        return {"scope": scope}
    try:
        stat = os.stat(source)
    except OSError:
        return {"scope": scope}  # missing: the step will fail and say so
    # ctime too: a copy that keeps the old mtime (cp -p, rsync -t) still sets it.
    return {
        "file": stat.st_ino,
        "bytes": stat.st_size,
        "modified_ns": stat.st_mtime_ns,
        "changed_ns": stat.st_ctime_ns,
    }


def inspect_clip(
    clip: Clip,
    index: int,
    output: OutputSettings,
    workdir: Path,
    context: StepContext,
    joins: Joins = CUTS,
) -> ClipProbe:
    """Fetch, probe and preflight a clip (with its `joins`) without normalizing it."""
    fetched = _fetch(clip, index, workdir, context)
    try:
        return _inspect(clip, index, output, fetched, context, joins)
    finally:
        if fetched is not None:
            fetched.discard()


def prepare_clip(
    clip: Clip,
    index: int,
    output: OutputSettings,
    workdir: Path,
    context: StepContext,
    audio: ClipAudio = ClipAudio(),
    joins: Joins = CUTS,
) -> Segment:
    """Fetch, probe, preflight and normalize one clip into a segment in `workdir`.

    `audio` is what the composition asks of the clip's sound (ClipAudio.of);
    `joins` its transitions (joins_for), where it is split into parts.
    Raises ClipError naming the clip (index and source) when it cannot be used.
    """
    _enter(context, Stage.FETCHING)
    fetched = _fetch(clip, index, workdir, context)
    try:
        _enter(context, Stage.PROBING)
        inspected = _inspect(clip, index, output, fetched, context, joins)
        _enter(context, Stage.NORMALIZING)
        stem = workdir / f"{index:05d}-segment"
        segment = _normalize(inspected, output, stem, context, _edit(clip, audio))
        if audio.match_lufs is not None:
            match_loudness(segment.audio_path, audio.match_lufs, cancel=context.cancel)
        head, tail = joins.frames(output.frame_rate)
        return replace(segment, head_frames=head, tail_frames=tail)
    except ClipError as exc:
        raise exc.for_clip(index, clip.label) from exc
    finally:
        if fetched is not None:
            fetched.discard()


def join_segments(
    segments: list[Segment],
    output: OutputSettings,
    destination: Path,
    context: StepContext,
    mix: AudioMix | None = None,
    overlays: Overlays | None = None,
    transitions: dict[int, Transition] | None = None,
) -> float:
    """Join segments in order into `destination`; returns the output's duration.

    A music bed in `mix` and the files of `overlays` are fetched beside
    `destination` and deleted after; `transitions` (transitions_of) are rendered
    from the segments' parts first.
    """
    ordered = assemble(
        sorted(segments, key=lambda segment: segment.index),
        transitions or {},
        output,
        destination.parent,
        threads=context.threads,
        cancel=context.cancel,
    )
    music = _fetch_music(mix, destination.parent, context)
    try:
        with overlay_files(
            overlays,
            destination.parent,
            output,
            context.fetch_settings,
            context.http_client,
            context.cancel,
        ) as ready:
            return concat(
                ordered,
                output,
                destination,
                mix=mix.with_music_file(music.path) if mix and music else mix,
                overlays=ready,
                threads=context.threads,
                cancel=context.cancel,
                on_progress=context.on_progress,
            )
    finally:
        if music is not None:
            music.discard()


def _fetch_music(
    mix: AudioMix | None, workdir: Path, context: StepContext
) -> FetchedClip | None:
    if mix is None or mix.music is None:
        return None
    source = mix.music.source
    suffix = Path(urlsplit(source).path).suffix[:8] if is_url(source) else ""
    try:
        return fetch(
            source,
            workdir / f"music{suffix}",
            context.fetch_settings,
            context.http_client,
            cancel=context.cancel,
        )
    except ClipError as exc:
        raise DownloadError(f"music bed {source}: {exc.reason}") from exc


def _edit(clip: Clip, audio: ClipAudio) -> AudioEdit:
    return AudioEdit(
        speed=clip.speed,
        gain=clip.volume,
        mute=clip.mute,
        fade_in=audio.declick_in,
        fade_out=audio.declick_out,
    )


def _enter(context: StepContext, stage: Stage) -> None:
    if context.on_stage is not None:
        context.on_stage(stage)


def _fetch(
    clip: Clip, index: int, workdir: Path, context: StepContext
) -> FetchedClip | None:
    """The clip's local file; None for a title card that has no source."""
    source = clip.source
    if source is None:
        return None
    suffix = Path(urlsplit(source).path).suffix[:8] if is_url(source) else ""
    tag = hashlib.sha256(source.encode()).hexdigest()[:12]
    download = workdir / f"download-{index}-{tag}{suffix}"
    try:
        return fetch(
            source,
            download,
            context.fetch_settings,
            context.http_client,
            cancel=context.cancel,
        )
    except ClipError as exc:
        raise exc.for_clip(index, source) from exc


def _inspect(
    clip: Clip,
    index: int,
    output: OutputSettings,
    fetched: FetchedClip | None,
    context: StepContext,
    joins: Joins = CUTS,
) -> ClipProbe:
    split = joins.overlapping
    try:
        if fetched is None:
            info = None
            report = title_report(clip, output)
        else:
            # ffprobe holds as much as a copying ffmpeg: it counts in the budget.
            with (context.budget or MemoryBudget.unlimited()).reserve(COPY_PROCESS):
                info = probe(fetched.path)
            report = preflight(info, clip, output, context.limits, allow_copy=not split)
        if split:
            cuts = keyframes_for(joins, report.frames, output.frame_rate)
            report = replace(report, keyframes=cuts)
    except ClipError as exc:
        raise exc.for_clip(index, clip.label) from exc
    return ClipProbe(index=index, source=clip.label, info=info, report=report)


def _over_budget(need: int, budget: MemoryBudget) -> tuple[str, ...]:
    if need <= budget.total_bytes:
        return ()
    return (
        f"needs about {need >> 20} MiB, over the memory budget of "
        f"{budget.total_bytes >> 20} MiB: it ran alone and the budget did not hold",
    )


def _copied_delay(
    info: MediaInfo | None, report: ClipReport, output: OutputSettings
) -> int | None:
    """A copied video keeps its source's decode delay; an encoded one is measured."""
    if not report.copy_video or info is None or info.video is None:
        return None
    return round(info.video.decode_lead * float(output.frame_rate))


def _normalize(
    inspected: ClipProbe,
    output: OutputSettings,
    stem: Path,
    context: StepContext,
    edit: AudioEdit,
) -> Segment:
    report = inspected.report
    budget = context.budget or MemoryBudget.unlimited()
    sized = inspected.info or drawn_picture(output)
    threads = threads_within(sized, output, context.threads, budget.total_bytes)
    need = clip_memory(sized, output, threads, report.copy_video)
    segment = Segment(
        index=inspected.index,
        source=inspected.source,
        video_path=stem.with_name(stem.name + ".video.mp4"),
        audio_path=stem.with_name(stem.name + ".audio.wav"),
        frames=report.frames,
        samples=report.samples,
        copied_video=report.copy_video,
        fixes=report.fixes,
        warnings=report.warnings + _over_budget(need, budget),
        decode_delay=_copied_delay(inspected.info, report, output),
    )
    slot = context.encoder_slots if not report.copy_video else None
    with slot or contextlib.nullcontext(), budget.reserve(need):
        return normalize(
            inspected.info,
            report,
            output,
            segment,
            audio=edit,
            threads=threads,
            cancel=context.cancel,
            on_progress=context.on_progress,
        )
