"""What the workflow and its activities pass each other: ids and keys, never media."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

WORKFLOW_NAME = "clipstitch-composition"
NORMALIZE_CLIP = "clipstitch-normalize-clip"
JOIN_CLIPS = "clipstitch-join-clips"
FINISH_JOB = "clipstitch-finish-job"
# The ApplicationError type of a clip that cannot be used: never retried.
CLIP_ERROR = "ClipError"
# The job ended (cancelled, failed, past its deadline) while work was queued.
JOB_ENDED = "JobEnded"


def workflow_id(job_id: str) -> str:
    """One workflow per job, so a repeated start cannot run a job twice."""
    return f"composition-{job_id}"


@dataclass(frozen=True)
class CompositionInput:
    """A job to run: its id in the job store and how many clips it has."""

    job_id: str
    clips: int
    attempts: int = 3
    heartbeat_seconds: float = 5.0


@dataclass(frozen=True)
class ClipTask:
    """Normalize clip `position` of job `job_id`."""

    job_id: str
    position: int


@dataclass(frozen=True)
class SegmentRef:
    """A normalized clip in object storage, and what the join needs to know of it."""

    index: int
    key: str
    video_key: str
    audio_key: str
    segment: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class JoinTask:
    """Join these segments (in index order) into the job's output."""

    job_id: str
    segments: list[SegmentRef]


@dataclass(frozen=True)
class JobOutcome:
    """How a job ended, to be written to the job store."""

    job_id: str
    status: str
    summary: dict[str, Any] | None = None
    error: dict[str, Any] | None = None


@dataclass(frozen=True)
class ClipOutcome:
    """A clip's segment, or why it was left out under the `skip` policy."""

    segment: SegmentRef | None
    skipped: dict[str, Any] | None = None
