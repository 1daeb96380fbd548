"""The activities: normalize one clip, join the segments, record how a job ended.

Each runs the runner-free step functions of `clipstitch.pipeline.steps` in a
thread, heartbeating meanwhile; media go to object storage, only keys come back.
"""

from __future__ import annotations

import asyncio
import logging
import shutil
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Executor
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TypeVar

import httpx
import psutil
from temporalio import activity
from temporalio.exceptions import ApplicationError

from clipstitch.errors import ClipError, ClipstitchError, DownloadError
from clipstitch.jobs.execute import output_key
from clipstitch.jobs.orphans import mark_owner
from clipstitch.jobs.records import JobRecord, JsonObject
from clipstitch.jobs.states import JobStatus
from clipstitch.jobs.store import JobStore
from clipstitch.media.mix import AudioMix
from clipstitch.media.overlay import Overlays
from clipstitch.media.processes import PROCESS_OWNER
from clipstitch.net.outbound import OutboundRefusedError
from clipstitch.pipeline.budget import COPY_PROCESS, MemoryBudget
from clipstitch.pipeline.fetch import FetchSettings
from clipstitch.pipeline.joins import joins_for, transitions_of
from clipstitch.pipeline.memory import job_rss
from clipstitch.pipeline.progress import Stage
from clipstitch.pipeline.steps import (
    ClipAudio,
    StepContext,
    join_segments,
    prepare_clip,
    segment_key,
)
from clipstitch.spec import BadClipPolicy, Clip, Composition
from clipstitch.storage import ObjectStorage, StorageError
from clipstitch.temporal.contracts import (
    CLIP_ERROR,
    FINISH_JOB,
    JOB_ENDED,
    JOIN_CLIPS,
    NORMALIZE_CLIP,
    ClipOutcome,
    ClipTask,
    JobOutcome,
    JoinTask,
    SegmentRef,
)
from clipstitch.temporal.heartbeat import StepProgress, run_with_heartbeats
from clipstitch.temporal.records import StepRecords
from clipstitch.temporal.segments import (
    download_segment,
    find_segment,
    upload_segment,
)

logger = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass
class WorkerTools:
    """What every activity of one worker shares."""

    store: JobStore
    storage: ObjectStorage
    budget: MemoryBudget
    threads: int
    work_dir: Path
    identity: str
    executor: Executor
    fetch_settings: FetchSettings
    http_client: httpx.Client | None = None


class CompositionActivities:
    """The activities of one worker, bound to its store, storage and budget."""

    def __init__(self, tools: WorkerTools) -> None:
        self.tools = tools
        self.records = StepRecords(tools.store.engine)

    @activity.defn(name=NORMALIZE_CLIP)
    async def normalize_clip(self, task: ClipTask) -> ClipOutcome:
        """Fetch and normalize one clip; upload its segment; return the keys."""
        progress = StepProgress()
        return await run_with_heartbeats(
            lambda cancel: self._owned(
                task.job_id, lambda: self._normalize(task, cancel, progress)
            ),
            progress,
            self.tools.executor,
            lambda: self._sample_memory(task.job_id),
        )

    @activity.defn(name=JOIN_CLIPS)
    async def join_clips(self, task: JoinTask) -> JsonObject:
        """Download the segments, join them and upload the job's one output."""
        progress = StepProgress()
        return await run_with_heartbeats(
            lambda cancel: self._owned(
                task.job_id, lambda: self._join(task, cancel, progress)
            ),
            progress,
            self.tools.executor,
            lambda: self._sample_memory(task.job_id),
        )

    @activity.defn(name=FINISH_JOB)
    async def finish_job(self, outcome: JobOutcome) -> bool:
        """Write how the job ended; False when it had already ended."""
        return await asyncio.to_thread(self._finish, outcome)

    def _owned(self, job_id: str, step: Callable[[], T]) -> T:
        """Run `step` in this thread with its ffmpeg counted under the job."""
        PROCESS_OWNER.set(job_id)  # the step thread's own copy of the context
        return step()

    def _sample_memory(self, job_id: str) -> None:
        """The job's memory on this worker: the worker and the job's own ffmpeg.

        Sampled at each heartbeat, the first as the step starts.
        """
        rss = job_rss([job_id], psutil.Process())[job_id]
        self.tools.store.raise_peak_memory([job_id], rss)

    def _normalize(
        self, task: ClipTask, cancel: threading.Event, progress: StepProgress
    ) -> ClipOutcome:
        job = self._open_job(task.job_id)
        composition = Composition.model_validate(job.composition)
        clip = composition.clips[task.position]
        self.records.started(
            task.job_id, task.position, self.tools.identity, Stage.FETCHING
        )
        try:
            ref = self._segment(task, clip, composition, cancel, progress)
        except ClipError as exc:
            return self._bad_clip(task, exc, composition.on_bad_clip)
        warnings = list(ref.segment.get("warnings", []))
        self.records.done(task.job_id, task.position, ref.segment, warnings)
        logger.info("job %s clip %d done", task.job_id, task.position)
        return ClipOutcome(segment=ref)

    def _segment(
        self,
        task: ClipTask,
        clip: Clip,
        composition: Composition,
        cancel: threading.Event,
        progress: StepProgress,
    ) -> SegmentRef:
        audio = ClipAudio.of(composition, task.position)
        joins = joins_for(composition, task.position)
        key = segment_key(clip, composition.output, audio, joins, task.job_id)
        found = find_segment(self.tools.storage, key, task.position, clip.label)
        if found is not None:
            logger.info("job %s clip %d: segment reused", task.job_id, task.position)
            return found
        with self._workdir(task.job_id, task.position) as workdir:
            context = self._context(task, cancel, progress)
            local = self._localize(clip, task.position, workdir)
            try:
                segment = prepare_clip(
                    local,
                    task.position,
                    composition.output,
                    workdir,
                    context,
                    audio,
                    joins,
                )
            except OutboundRefusedError as exc:
                raise DownloadError(str(exc), index=task.position) from exc
            self._move(task, progress, Stage.UPLOADING)
            segment = replace(segment, source=clip.label)
            return upload_segment(self.tools.storage, key, segment)

    def _bad_clip(
        self, task: ClipTask, exc: ClipError, policy: BadClipPolicy
    ) -> ClipOutcome:
        error = clip_error(exc)
        if policy == BadClipPolicy.SKIP:
            self.records.skipped(task.job_id, task.position, error)
            self.tools.store.add_warning(task.job_id, f"skipped: {exc}")
            return ClipOutcome(segment=None, skipped=error)
        self.records.failed(task.job_id, task.position, error)
        raise ApplicationError(str(exc), error, type=CLIP_ERROR, non_retryable=True)

    def _join(
        self, task: JoinTask, cancel: threading.Event, progress: StepProgress
    ) -> JsonObject:
        job = self._open_job(task.job_id)
        composition = Composition.model_validate(job.composition)
        position = len(composition.clips)
        step = ClipTask(task.job_id, position)
        self.records.started(task.job_id, position, self.tools.identity, Stage.FETCHING)
        if not task.segments:
            raise ApplicationError(
                "no usable clips: every clip was skipped",
                {"message": "no usable clips: every clip was skipped"},
                type=CLIP_ERROR,
                non_retryable=True,
            )
        with self._workdir(task.job_id, position) as workdir:
            ordered = sorted(task.segments, key=lambda ref: ref.index)
            segments = [
                download_segment(self.tools.storage, ref, workdir) for ref in ordered
            ]
            self._move(step, progress, Stage.JOINING)
            destination = workdir / "output.mp4"
            context = self._context(step, cancel, progress)
            with self.tools.budget.reserve(COPY_PROCESS):
                duration = join_segments(
                    segments,
                    composition.output,
                    destination,
                    context,
                    AudioMix.of(composition),
                    Overlays.of(composition),
                    transitions_of(composition),
                )
            self._move(step, progress, Stage.UPLOADING)
            key = output_key(task.job_id)
            size = self.tools.storage.upload(key, destination)
        summary = {"key": key, "bytes": size, "duration": duration}
        summary["clips"] = len(segments)
        self.records.done(task.job_id, position, summary, [])
        logger.info("job %s joined %d clips into %s", task.job_id, len(segments), key)
        return summary

    def _finish(self, outcome: JobOutcome) -> bool:
        status = JobStatus(outcome.status)
        values: JsonObject = {}
        if outcome.summary is not None:
            values = {
                "progress": 1.0,
                "output_key": outcome.summary["key"],
                "output_bytes": outcome.summary["bytes"],
                "output_summary": outcome.summary,
            }
        if outcome.error is not None:
            values["error"] = outcome.error
        ended = self.tools.store.finish(outcome.job_id, status, **values)
        if ended:
            logger.info("job %s %s", outcome.job_id, status)
        return ended

    def _open_job(self, job_id: str) -> JobRecord:
        job = self.tools.store.get(job_id)
        if job.status.finished:
            raise ApplicationError(
                f"job {job_id} already {job.status}", type=JOB_ENDED, non_retryable=True
            )
        return job

    def _context(
        self, task: ClipTask, cancel: threading.Event, progress: StepProgress
    ) -> StepContext:
        def on_progress(fraction: float) -> None:
            if progress.stage == Stage.FETCHING:
                progress.stage = Stage.NORMALIZING
            progress.fraction = fraction
            if progress.due():
                self.records.report(
                    task.job_id, task.position, progress.stage, fraction
                )

        return StepContext(
            threads=self.tools.threads,
            cancel=cancel,
            on_progress=on_progress,
            budget=self.tools.budget,
            fetch_settings=self.tools.fetch_settings,
            http_client=self.tools.http_client,
        )

    def _move(self, task: ClipTask, progress: StepProgress, stage: Stage) -> None:
        progress.move(stage)
        self.records.report(task.job_id, task.position, stage, 0.0)

    def _localize(self, clip: Clip, index: int, workdir: Path) -> Clip:
        if clip.source is None or not clip.source.startswith("s3://"):
            return clip  # a local path, a URL, or a title card without a source
        key = self.tools.storage.key_of(clip.source)
        if key is None:
            raise DownloadError("outside the configured bucket", index=index)
        destination = workdir / f"input-{index}{Path(key).suffix[:8]}"
        try:
            self.tools.storage.download(key, destination)
        except StorageError as exc:
            raise DownloadError(str(exc), index=index, source=clip.label) from exc
        return clip.model_copy(update={"source": str(destination)})

    @contextmanager
    def _workdir(self, job_id: str, position: int) -> Iterator[Path]:
        attempt = activity.info().attempt
        workdir = self.tools.work_dir / f"{job_id}-{position}-{attempt}"
        shutil.rmtree(workdir, ignore_errors=True)
        workdir.mkdir(parents=True)
        mark_owner(workdir)
        try:
            yield workdir
        finally:
            shutil.rmtree(workdir, ignore_errors=True)


def clip_error(exc: ClipstitchError) -> JsonObject:
    """The job store's error object for a clip that cannot be used."""
    return {
        "message": str(exc),
        "clip_index": getattr(exc, "index", None),
        "source": getattr(exc, "source", None),
        "reason": getattr(exc, "reason", str(exc)),
        "type": type(exc).__name__,
    }
