"""Step leases: claim a ready step, renew it while it runs, take back expired ones.

A runner holds a step only while its lease is fresh; every change to a running step
checks the owner, so a runner whose lease was taken over cannot publish its result.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from sqlalchemy import Connection, Engine, Update, func, select, update

from clipstitch.jobs.records import JsonObject, StepRecord, encode
from clipstitch.jobs.states import JobStatus, StepKind, StepStatus
from clipstitch.jobs.tables import jobs, progress_at_least, steps
from clipstitch.pipeline.progress import Stage

CLAIM_SCAN = 50


@dataclass(frozen=True)
class Expired:
    """A step whose runner stopped renewing its lease."""

    step: StepRecord
    exhausted: bool  # too many attempts: the job fails instead of retrying


class StepLeases:
    """Lease operations on the steps table."""

    def __init__(self, engine: Engine, owner: str) -> None:
        self.engine = engine
        self.owner = owner

    def claim(
        self, lease_seconds: float, fits: Callable[[StepRecord], bool]
    ) -> StepRecord | None:
        """Take the oldest ready step that fits, or None."""
        for candidate in self._candidates():
            if fits(candidate) and self._take(candidate, lease_seconds):
                return self._read(candidate.id)
        return None

    def _candidates(self) -> list[StepRecord]:
        query = (
            select(steps)
            .join(jobs, jobs.c.id == steps.c.job_id)
            .where(
                steps.c.status == StepStatus.READY.value,
                jobs.c.status.in_((JobStatus.QUEUED.value, JobStatus.RUNNING.value)),
                jobs.c.cancel_requested.is_(False),
            )
            .order_by(jobs.c.created_at, steps.c.position)
            .limit(CLAIM_SCAN)
        )
        with self.engine.connect() as connection:
            rows = connection.execute(query).mappings().all()
        return [StepRecord.from_row(row) for row in rows]

    def _take(self, step: StepRecord, lease_seconds: float) -> bool:
        now = time.time()
        with self.engine.begin() as connection:
            taken = connection.execute(
                update(steps)
                .where(steps.c.id == step.id, steps.c.status == StepStatus.READY.value)
                .values(
                    status=StepStatus.RUNNING.value,
                    lease_owner=self.owner,
                    lease_expires_at=now + lease_seconds,
                    attempts=steps.c.attempts + 1,
                    started_at=now,
                )
            ).rowcount
        return bool(taken)

    def renew(self, step_ids: Iterable[int], lease_seconds: float) -> set[int]:
        """Extend the leases still held; returns the ids this runner still holds."""
        ids = list(step_ids)
        if not ids:
            return set()
        with self.engine.begin() as connection:
            connection.execute(
                self._held(ids).values(lease_expires_at=time.time() + lease_seconds)
            )
            query = select(steps.c.id).where(
                steps.c.id.in_(ids),
                steps.c.lease_owner == self.owner,
                steps.c.status == StepStatus.RUNNING.value,
            )
            return set(connection.execute(query).scalars())

    def _held(self, ids: list[int]) -> Update:
        return update(steps).where(
            steps.c.id.in_(ids),
            steps.c.lease_owner == self.owner,
            steps.c.status == StepStatus.RUNNING.value,
        )

    def report(self, step_id: int, stage: Stage, progress: float) -> None:
        """Record what a running step is doing and how far it got."""
        with self.engine.begin() as connection:
            connection.execute(
                self._held([step_id]).values(
                    stage=stage.value, progress=progress_at_least(progress)
                )
            )

    def complete(
        self, step: StepRecord, result: JsonObject, warnings: list[str]
    ) -> bool:
        """Finish a held step; the join becomes ready after the last clip."""
        with self.engine.begin() as connection:
            done = connection.execute(
                self._held([step.id]).values(
                    status=StepStatus.DONE.value,
                    result=encode(result),
                    warnings=encode(warnings),
                    progress=1.0,
                    finished_at=time.time(),
                )
            ).rowcount
            if done and step.kind == StepKind.CLIP:
                _release_join_if_clips_done(connection, step.job_id)
        return bool(done)

    def skip(self, step: StepRecord, error: JsonObject) -> bool:
        """Leave a bad clip out (the `skip` policy)."""
        with self.engine.begin() as connection:
            skipped = connection.execute(
                self._held([step.id]).values(
                    status=StepStatus.SKIPPED.value,
                    error=encode(error),
                    finished_at=time.time(),
                )
            ).rowcount
            if skipped:
                _release_join_if_clips_done(connection, step.job_id)
        return bool(skipped)

    def fail(self, step: StepRecord, error: JsonObject, *, retry: bool) -> bool:
        """Give a held step up: back to ready for another attempt, or failed."""
        status = StepStatus.READY if retry else StepStatus.FAILED
        with self.engine.begin() as connection:
            changed = connection.execute(
                self._held([step.id]).values(
                    status=status.value,
                    error=encode(error),
                    lease_owner=None,
                    lease_expires_at=None,
                    finished_at=None if retry else time.time(),
                )
            ).rowcount
        return bool(changed)

    def expire(self, max_attempts: int) -> list[Expired]:
        """Return steps with lapsed leases to ready (or mark them exhausted)."""
        now = time.time()
        query = select(steps).where(
            steps.c.status == StepStatus.RUNNING.value, steps.c.lease_expires_at < now
        )
        expired: list[Expired] = []
        with self.engine.begin() as connection:
            for row in connection.execute(query).mappings().all():
                step = StepRecord.from_row(row)
                exhausted = step.attempts >= max_attempts
                status = StepStatus.FAILED if exhausted else StepStatus.READY
                connection.execute(
                    update(steps)
                    .where(steps.c.id == step.id, steps.c.lease_expires_at < now)
                    .values(status=status.value, lease_owner=None)
                )
                expired.append(Expired(step, exhausted))
        return expired

    def _read(self, step_id: int) -> StepRecord:
        with self.engine.connect() as connection:
            row = (
                connection.execute(select(steps).where(steps.c.id == step_id))
                .mappings()
                .one()
            )
        return StepRecord.from_row(row)


def _release_join_if_clips_done(connection: Connection, job_id: str) -> None:
    unfinished = connection.execute(
        select(func.count()).where(
            steps.c.job_id == job_id,
            steps.c.kind == StepKind.CLIP.value,
            steps.c.status.not_in((StepStatus.DONE.value, StepStatus.SKIPPED.value)),
        )
    ).scalar_one()
    if unfinished == 0:
        connection.execute(
            update(steps)
            .where(
                steps.c.job_id == job_id,
                steps.c.kind == StepKind.JOIN.value,
                steps.c.status == StepStatus.WAITING.value,
            )
            .values(status=StepStatus.READY.value)
        )


def reopen_clips(engine: Engine, job_id: str, positions: list[int]) -> None:
    """Send clips whose segments were lost back to ready, and the join to waiting."""
    with engine.begin() as connection:
        connection.execute(
            update(steps)
            .where(steps.c.job_id == job_id, steps.c.position.in_(positions))
            .values(status=StepStatus.READY.value, result=None, progress=0.0)
        )
        connection.execute(
            update(steps)
            .where(steps.c.job_id == job_id, steps.c.kind == StepKind.JOIN.value)
            .values(status=StepStatus.WAITING.value, lease_owner=None)
        )
