"""Carry out one step of a job with the engine's step functions.

Nothing here knows about leases or threads: given a step, its job and a StepContext,
it produces the step's result, so any runner can call it.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from clipstitch.errors import ClipError, ClipstitchError, DownloadError
from clipstitch.jobs.records import JobRecord, JsonObject, StepRecord
from clipstitch.jobs.segment_cache import segment_files
from clipstitch.jobs.states import StepStatus
from clipstitch.jobs.store import JobStore
from clipstitch.media.mix import AudioMix
from clipstitch.media.overlay import Overlays
from clipstitch.media.segment import Segment
from clipstitch.net.outbound import OutboundRefusedError
from clipstitch.pipeline.budget import COPY_PROCESS
from clipstitch.pipeline.joins import joins_for, transitions_of
from clipstitch.pipeline.progress import Stage
from clipstitch.pipeline.steps import (
    ClipAudio,
    StepContext,
    join_segments,
    prepare_clip,
)
from clipstitch.spec import Clip, Composition
from clipstitch.storage import ObjectStorage, StorageError

logger = logging.getLogger(__name__)

StageCallback = Callable[[Stage], None]


class MissingSegmentsError(ClipstitchError):
    """Segments of finished clips are gone (deleted or lost); those clips must redo."""

    def __init__(self, positions: list[int]) -> None:
        self.positions = positions
        super().__init__(f"segments of clips {positions} are missing")


def output_key(job_id: str) -> str:
    """Where a job's output is published: one key per job, so one output."""
    return f"outputs/{job_id}.mp4"


class StepExecutor:
    """Runs clip and join steps; keeps segments in the cache folder."""

    def __init__(
        self, store: JobStore, storage: ObjectStorage, segment_dir: Path
    ) -> None:
        self.store = store
        self.storage = storage
        self.segment_dir = segment_dir
        segment_dir.mkdir(parents=True, exist_ok=True)

    def run_clip(
        self,
        job: JobRecord,
        step: StepRecord,
        workdir: Path,
        context: StepContext,
        on_stage: StageCallback,
    ) -> Segment:
        """Fetch and normalize one clip, or reuse its cached segment."""
        composition = Composition.model_validate(job.composition)
        clip = composition.clips[step.position]
        cached = self._cached(step)
        if cached is not None:
            logger.info("job %s clip %d: segment reused", job.id, step.position)
            return replace(cached, index=step.position, source=clip.label)
        on_stage(Stage.FETCHING)
        local = self._localize(clip, step.position, workdir)
        segment = self._prepare(
            local, clip, step.position, composition, workdir, context
        )
        return self._keep(step, segment)

    def _cached(self, step: StepRecord) -> Segment | None:
        if not step.cache_key:
            return None
        data = self.store.cached_segment(step.cache_key)
        if data is None:
            return None
        segment = Segment.from_dict(data)
        if all(path.exists() for path in segment.paths()):
            return segment
        self.store.forget_segment(step.cache_key)
        return None

    def _localize(self, clip: Clip, index: int, workdir: Path) -> Clip:
        if clip.source is None or not clip.source.startswith("s3://"):
            return clip  # a local path, a URL, or a title card without a source
        key = self.storage.key_of(clip.source)
        if key is None:
            raise DownloadError("outside the configured bucket", index=index)
        destination = workdir / f"input-{index}{Path(key).suffix[:8]}"
        try:
            self.storage.download(key, destination)
        except StorageError as exc:
            raise DownloadError(str(exc), index=index, source=clip.label) from exc
        return clip.model_copy(update={"source": str(destination)})

    def _prepare(
        self,
        local: Clip,
        clip: Clip,
        index: int,
        composition: Composition,
        workdir: Path,
        context: StepContext,
    ) -> Segment:
        try:
            audio = ClipAudio.of(composition, index)
            joins = joins_for(composition, index)
            segment = prepare_clip(
                local, index, composition.output, workdir, context, audio, joins
            )
        except ClipError as exc:
            raise exc.for_clip(index, clip.label) from exc
        except OutboundRefusedError as exc:
            # A redirect hop led somewhere the outbound policy refuses.
            raise DownloadError(str(exc), index=index, source=clip.label) from exc
        return replace(segment, source=clip.label)

    def _keep(self, step: StepRecord, segment: Segment) -> Segment:
        key = step.cache_key or f"{step.job_id}-{step.position}"
        video, audio = segment_files(self.segment_dir, key)
        os.replace(segment.video_path, video)
        os.replace(segment.audio_path, audio)
        kept = replace(segment, video_path=video, audio_path=audio)
        self.store.keep_segment(key, kept.to_dict())
        return kept

    def run_join(
        self,
        job: JobRecord,
        steps: list[StepRecord],
        workdir: Path,
        context: StepContext,
        on_stage: StageCallback,
    ) -> JsonObject:
        """Join the clips' segments and publish the output; returns its summary."""
        composition = Composition.model_validate(job.composition)
        segments = self._linked_segments(steps, workdir)
        if not segments:
            raise ClipstitchError("no usable clips: every clip was skipped")
        on_stage(Stage.JOINING)
        destination = workdir / "output.mp4"
        budget = context.budget
        mix = AudioMix.of(composition)
        overlays = Overlays.of(composition)
        transitions = transitions_of(composition)
        with budget.reserve(COPY_PROCESS) if budget else contextlib.nullcontext():
            duration = join_segments(
                segments,
                composition.output,
                destination,
                context,
                mix,
                overlays,
                transitions,
            )
        on_stage(Stage.UPLOADING)
        key = output_key(job.id)
        size = self.storage.upload(key, destination)
        destination.unlink(missing_ok=True)
        return {"key": key, "bytes": size, "duration": duration, "clips": len(segments)}

    def _linked_segments(self, steps: list[StepRecord], workdir: Path) -> list[Segment]:
        # The join deletes what it has joined; it gets hard links, so the cached
        # segments survive for a retry of the join after a crash.
        done = [
            step for step in steps if step.status == StepStatus.DONE and step.result
        ]
        segments = [Segment.from_dict(step.result or {}) for step in done]
        missing = [
            step.position
            for step, segment in zip(done, segments, strict=True)
            if not all(path.exists() for path in segment.paths())
        ]
        if missing:
            raise MissingSegmentsError(missing)
        return [_link(segment, workdir) for segment in segments]


def _link(segment: Segment, workdir: Path) -> Segment:
    video = workdir / f"join-{segment.index}.video.mp4"
    audio = workdir / f"join-{segment.index}.audio.wav"
    for source, target in ((segment.video_path, video), (segment.audio_path, audio)):
        target.unlink(missing_ok=True)
        try:
            os.link(source, target)
        except OSError:
            shutil.copyfile(source, target)
    return replace(segment, video_path=video, audio_path=audio)
