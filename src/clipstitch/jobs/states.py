"""The vocabulary of jobs and steps: statuses and stages as they appear in JSON."""

from __future__ import annotations

from enum import StrEnum


class JobStatus(StrEnum):
    """Where a job is in its life."""

    QUEUED = "queued"  # accepted, no step has started yet
    RUNNING = "running"  # at least one step has started
    SUCCEEDED = "succeeded"  # the output is published
    FAILED = "failed"  # a clip or the join failed, or the deadline passed
    CANCELLED = "cancelled"  # cancelled through the API

    @property
    def finished(self) -> bool:
        return self in FINISHED


FINISHED = frozenset({JobStatus.SUCCEEDED, JobStatus.FAILED, JobStatus.CANCELLED})


class StepKind(StrEnum):
    """The two kinds of step a job is split into."""

    CLIP = "clip"  # fetch + probe + normalize one clip into a segment
    JOIN = "join"  # join the segments and upload the output


class StepStatus(StrEnum):
    """Where a step is; only `ready` steps are claimed."""

    WAITING = "waiting"  # the join, until every clip step is done
    READY = "ready"  # can be claimed
    RUNNING = "running"  # claimed under a lease
    DONE = "done"  # finished, result kept
    SKIPPED = "skipped"  # a bad clip left out under the `skip` policy
    FAILED = "failed"  # finished with an error
    CANCELLED = "cancelled"  # stopped because its job ended


OPEN_STEPS = frozenset({StepStatus.WAITING, StepStatus.READY, StepStatus.RUNNING})


class CallbackStatus(StrEnum):
    """Delivery of a job's final status to its callback_url."""

    NONE = "none"  # no callback_url, or the job has not ended
    PENDING = "pending"  # due for (another) attempt
    DELIVERED = "delivered"  # the receiver answered 2xx
    FAILED = "failed"  # the receiver answered 4xx, or attempts ran out
