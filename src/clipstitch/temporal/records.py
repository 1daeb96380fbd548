"""Step records written by Temporal activities: the API reads progress from them.

Steps are addressed by job and position; Temporal, not a lease, decides who runs
a step, so these writes only refuse to touch a job that has already ended.
"""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import Engine, Update, select, update

from clipstitch.jobs.records import JsonObject, encode
from clipstitch.jobs.states import JobStatus, StepStatus
from clipstitch.jobs.tables import jobs, progress_at_least, steps
from clipstitch.pipeline.progress import Stage

UNFINISHED = (JobStatus.QUEUED.value, JobStatus.RUNNING.value)


class StepRecords:
    """Updates of one job's steps as activities run them."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def started(self, job_id: str, position: int, worker: str, stage: Stage) -> None:
        """A step began an attempt on `worker`; the job is running from now."""
        now = time.time()
        with self.engine.begin() as connection:
            connection.execute(
                update(jobs)
                .where(jobs.c.id == job_id, jobs.c.status == JobStatus.QUEUED.value)
                .values(status=JobStatus.RUNNING.value, started_at=now)
            )
            connection.execute(
                _step(job_id, position).values(
                    status=StepStatus.RUNNING.value,
                    stage=stage.value,
                    lease_owner=worker[:64],
                    attempts=steps.c.attempts + 1,
                    started_at=now,
                )
            )

    def report(self, job_id: str, position: int, stage: Stage, progress: float) -> None:
        """What a running step is doing and how far it got."""
        with self.engine.begin() as connection:
            connection.execute(
                _step(job_id, position).values(
                    stage=stage.value, progress=progress_at_least(progress)
                )
            )

    def done(
        self, job_id: str, position: int, result: JsonObject, warnings: list[str]
    ) -> None:
        """The step finished with this result."""
        self._end(
            job_id,
            position,
            status=StepStatus.DONE.value,
            result=encode(result),
            warnings=encode(warnings),
            progress=1.0,
        )

    def skipped(self, job_id: str, position: int, error: JsonObject) -> None:
        """A bad clip left out under the `skip` policy."""
        self._end(
            job_id, position, status=StepStatus.SKIPPED.value, error=encode(error)
        )

    def failed(self, job_id: str, position: int, error: JsonObject) -> None:
        """The step gave up."""
        self._end(job_id, position, status=StepStatus.FAILED.value, error=encode(error))

    def _end(self, job_id: str, position: int, **values: Any) -> None:
        with self.engine.begin() as connection:
            connection.execute(
                _step(job_id, position).values(finished_at=time.time(), **values)
            )


def _step(job_id: str, position: int) -> Update:
    # A late report from a step of an ended job must not reopen it.
    open_job = select(jobs.c.id).where(
        jobs.c.id == job_id, jobs.c.status.in_(UNFINISHED)
    )
    return update(steps).where(
        steps.c.job_id.in_(open_job), steps.c.position == position
    )
