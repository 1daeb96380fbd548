"""The composition workflow: normalize every clip on any worker, then join once.

Deterministic orchestration only; all work and all I/O happen in activities.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError, CancelledError
from temporalio.workflow import ActivityCancellationType

with workflow.unsafe.imports_passed_through():
    from clipstitch.temporal.contracts import (
        CLIP_ERROR,
        FINISH_JOB,
        JOB_ENDED,
        JOIN_CLIPS,
        NORMALIZE_CLIP,
        WORKFLOW_NAME,
        ClipOutcome,
        ClipTask,
        CompositionInput,
        JobOutcome,
        JoinTask,
        SegmentRef,
    )

CLIP_TIMEOUT = timedelta(hours=2)
JOIN_TIMEOUT = timedelta(hours=4)
FINISH_TIMEOUT = timedelta(minutes=1)


@workflow.defn(name=WORKFLOW_NAME)
class CompositionWorkflow:
    """One job: clips in parallel across workers, then the join, then the record."""

    def __init__(self) -> None:
        self.clips_done = 0
        self.stage = "normalizing"

    @workflow.run
    async def run(self, job: CompositionInput) -> JobOutcome:
        try:
            outcome = await self._compose(job)
        except (asyncio.CancelledError, ActivityError) as exc:
            if not _is_cancellation(exc):
                assert isinstance(exc, ActivityError)
                outcome = JobOutcome(job.job_id, "failed", error=_error_of(exc))
                await self._record(outcome)
                return outcome
            await self._record(JobOutcome(job.job_id, "cancelled"))
            raise asyncio.CancelledError() from exc
        await self._record(outcome)
        return outcome

    async def _compose(self, job: CompositionInput) -> JobOutcome:
        segments = await self._normalize_all(job)
        self.stage = "joining"
        summary = await workflow.execute_activity(
            JOIN_CLIPS,
            JoinTask(job.job_id, segments),
            result_type=dict,
            **_step_options(job, JOIN_TIMEOUT),
        )
        return JobOutcome(job.job_id, "succeeded", summary=summary)

    @workflow.query
    def progress(self) -> dict[str, Any]:
        """Clips finished so far and the workflow's stage."""
        return {"clips_done": self.clips_done, "stage": self.stage}

    async def _normalize_all(self, job: CompositionInput) -> list[SegmentRef]:
        tasks = [
            asyncio.ensure_future(self._normalize(job, position))
            for position in range(job.clips)
        ]
        try:
            outcomes = await asyncio.gather(*tasks)
        except BaseException:
            # Fail fast (or cancel): stop the other clips, and wait until their
            # ffmpeg processes are really gone.
            for task in tasks:
                task.cancel()
            await asyncio.wait(tasks)
            raise
        return [outcome.segment for outcome in outcomes if outcome.segment]

    async def _normalize(self, job: CompositionInput, position: int) -> ClipOutcome:
        outcome: ClipOutcome = await workflow.execute_activity(
            NORMALIZE_CLIP,
            ClipTask(job.job_id, position),
            result_type=ClipOutcome,
            **_step_options(job, CLIP_TIMEOUT),
        )
        self.clips_done += 1
        return outcome

    async def _record(self, outcome: JobOutcome) -> None:
        await workflow.execute_activity(
            FINISH_JOB,
            outcome,
            start_to_close_timeout=FINISH_TIMEOUT,
            retry_policy=RetryPolicy(maximum_interval=timedelta(seconds=30)),
        )


def _step_options(job: CompositionInput, timeout: timedelta) -> dict[str, Any]:
    return {
        "start_to_close_timeout": timeout,
        "heartbeat_timeout": timedelta(seconds=job.heartbeat_seconds),
        "retry_policy": RetryPolicy(
            initial_interval=timedelta(seconds=1),
            backoff_coefficient=2.0,
            maximum_interval=timedelta(seconds=30),
            maximum_attempts=job.attempts,
            non_retryable_error_types=[CLIP_ERROR, JOB_ENDED],
        ),
        "cancellation_type": ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
    }


def _is_cancellation(exc: BaseException) -> bool:
    # The workflow's own cancel, or an activity that stopped because of it.
    if isinstance(exc, asyncio.CancelledError):
        return True
    return isinstance(exc, ActivityError) and isinstance(exc.cause, CancelledError)


def _error_of(exc: ActivityError) -> dict[str, Any]:
    cause = exc.cause
    if isinstance(cause, ApplicationError):
        if cause.type == CLIP_ERROR and cause.details:
            detail = cause.details[0]
            if isinstance(detail, dict):
                return detail
        return {"message": cause.message, "reason": cause.message, "type": cause.type}
    message = str(cause or exc)
    return {"message": message, "reason": message, "type": type(cause).__name__}
