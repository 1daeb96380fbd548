"""The public view of a job: what GET returns and what a callback carries."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, Field

from clipstitch.jobs.records import JobRecord, StepRecord
from clipstitch.jobs.states import (
    CallbackStatus,
    JobStatus,
    StepKind,
    StepStatus,
)
from clipstitch.pipeline.progress import Stage
from clipstitch.spec import Clip

JOIN_SHARE = 0.15  # of overall progress; the clips share the rest


class JobErrorView(BaseModel):
    """Why a job failed; names the clip when one clip was the cause."""

    message: str
    reason: str | None = None
    clip_index: int | None = None
    source: str | None = None
    type: str | None = None


class ClipView(BaseModel):
    """How far one clip has come."""

    index: int
    source: str
    status: StepStatus
    stage: Stage | None = None
    progress: float = Field(ge=0, le=1)
    copied_video: bool | None = None
    fixes: list[str] = Field(default_factory=list)
    warnings: list[str] = Field(default_factory=list)
    error: JobErrorView | None = None


class OutputView(BaseModel):
    """The published video."""

    url: str = Field(description="API path that streams or redirects to the file.")
    key: str
    bytes: int
    duration: float | None = None


class CallbackView(BaseModel):
    """Delivery of the final status to callback_url."""

    status: CallbackStatus
    attempts: int
    error: str | None = None


class JobView(BaseModel):
    """A composition job as the API shows it."""

    id: str
    status: JobStatus
    stage: Stage | None = None
    progress: float = Field(ge=0, le=1)
    eta_seconds: float | None = None
    created_at: datetime
    started_at: datetime | None = None
    finished_at: datetime | None = None
    deadline_at: datetime
    clips: list[ClipView]
    warnings: list[str]
    peak_memory_bytes: int
    output: OutputView | None = None
    error: JobErrorView | None = None
    metadata: dict[str, Any]
    callback: CallbackView | None = None


def job_view(
    job: JobRecord, steps: list[StepRecord], api_prefix: str = "/v1"
) -> JobView:
    """Assemble the public view of a job from its record and steps."""
    clip_steps = [step for step in steps if step.kind == StepKind.CLIP]
    join = next((step for step in steps if step.kind == StepKind.JOIN), None)
    sources = [_label(clip) for clip in job.composition.get("clips", [])]
    progress = _progress(job, clip_steps, join)
    return JobView(
        id=job.id,
        status=job.status,
        stage=_stage(job, clip_steps, join),
        progress=progress,
        eta_seconds=_eta(job, progress),
        created_at=_time(job.created_at),
        started_at=_time(job.started_at) if job.started_at else None,
        finished_at=_time(job.finished_at) if job.finished_at else None,
        deadline_at=_time(job.deadline_at),
        clips=[_clip_view(step, sources) for step in clip_steps],
        warnings=job.warnings,
        peak_memory_bytes=job.peak_memory_bytes,
        output=_output(job, api_prefix),
        error=JobErrorView.model_validate(job.error) if job.error else None,
        metadata=job.metadata,
        callback=_callback(job),
    )


def _progress(
    job: JobRecord, clips: list[StepRecord], join: StepRecord | None
) -> float:
    if job.status == JobStatus.SUCCEEDED:
        return 1.0
    if not clips:
        return 0.0
    clip_part = sum(_step_progress(step) for step in clips) / len(clips)
    join_part = _step_progress(join) if join else 0.0
    return round((1 - JOIN_SHARE) * clip_part + JOIN_SHARE * join_part, 4)


def _step_progress(step: StepRecord) -> float:
    if step.status in (StepStatus.DONE, StepStatus.SKIPPED):
        return 1.0
    # A step waiting for another attempt keeps what its last attempt reached.
    return step.progress if step.status in STARTED else 0.0


STARTED = (StepStatus.RUNNING, StepStatus.READY)


def _stage(
    job: JobRecord, clips: list[StepRecord], join: StepRecord | None
) -> Stage | None:
    if job.status != JobStatus.RUNNING:
        return None
    if join is not None and join.status == StepStatus.RUNNING:
        return join.stage or Stage.JOINING
    running = [step.stage for step in clips if step.status == StepStatus.RUNNING]
    order = list(Stage)
    stages = [stage or Stage.FETCHING for stage in running]
    return min(stages, key=order.index) if stages else Stage.FETCHING


def _eta(job: JobRecord, progress: float) -> float | None:
    if job.status != JobStatus.RUNNING or not job.started_at or progress < 0.02:
        return None
    elapsed = time.time() - job.started_at
    return round(elapsed * (1 - progress) / progress, 1)


def _label(clip: dict[str, Any]) -> str:
    """The clip's source; a title card drawn without one is named by its text."""
    return str(clip.get("source") or Clip.model_validate(clip).label)


def _clip_view(step: StepRecord, sources: list[str]) -> ClipView:
    result = step.result or {}
    return ClipView(
        index=step.position,
        source=sources[step.position] if step.position < len(sources) else "",
        status=step.status,
        stage=step.stage if step.status == StepStatus.RUNNING else None,
        progress=_step_progress(step),
        copied_video=result.get("copied_video"),
        fixes=list(result.get("fixes", [])),
        warnings=list(result.get("warnings", [])) + step.warnings,
        error=JobErrorView.model_validate(step.error) if step.error else None,
    )


def _output(job: JobRecord, api_prefix: str) -> OutputView | None:
    if job.status != JobStatus.SUCCEEDED or not job.output_key:
        return None
    summary = job.output_summary or {}
    return OutputView(
        url=f"{api_prefix}/compositions/{job.id}/output",
        key=job.output_key,
        bytes=job.output_bytes or 0,
        duration=summary.get("duration"),
    )


def _callback(job: JobRecord) -> CallbackView | None:
    if not job.callback_url:
        return None
    return CallbackView(
        status=job.callback_status,
        attempts=job.callback_attempts,
        error=job.callback_error,
    )


def _time(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, tz=UTC)
