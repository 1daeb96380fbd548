"""The job store: jobs and their steps in SQL, one short transaction per change."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, func, select, update
from sqlalchemy.exc import IntegrityError

from clipstitch.jobs.errors import IdempotencyConflictError, JobNotFoundError
from clipstitch.jobs.records import JobRecord, JsonObject, StepRecord, encode
from clipstitch.jobs.states import (
    OPEN_STEPS,
    CallbackStatus,
    JobStatus,
    StepKind,
    StepStatus,
)
from clipstitch.jobs.tables import jobs, segments, steps


@dataclass(frozen=True)
class NewJob:
    """What a submit asks for, checked and ready to store."""

    owner: str
    idempotency_key: str | None
    request_hash: str
    composition: JsonObject
    callback_url: str | None
    metadata: JsonObject
    deadline_at: float
    cache_keys: Sequence[str]


class JobStore:
    """Reads and changes jobs; step leases live in `clipstitch.jobs.leases`."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def create(self, new: NewJob) -> tuple[JobRecord, bool]:
        """Store a job and its steps; with a known idempotency key, the earlier job."""
        if new.idempotency_key:
            earlier = self._by_idempotency_key(new)
            if earlier is not None:
                return earlier, False
        try:
            job_id = self._insert(new)
        except IntegrityError:
            earlier = self._by_idempotency_key(new)
            if earlier is None:
                raise
            return earlier, False
        return self.get(job_id), True

    def _by_idempotency_key(self, new: NewJob) -> JobRecord | None:
        query = select(jobs).where(
            jobs.c.owner == new.owner, jobs.c.idempotency_key == new.idempotency_key
        )
        with self.engine.connect() as connection:
            row = connection.execute(query).mappings().first()
        if row is None:
            return None
        record = JobRecord.from_row(row)
        if record.request_hash != new.request_hash:
            raise IdempotencyConflictError(new.idempotency_key or "", record.id)
        return record

    def _insert(self, new: NewJob) -> str:
        job_id = uuid.uuid4().hex
        now = time.time()
        with self.engine.begin() as connection:
            connection.execute(jobs.insert().values(**_job_row(job_id, new, now)))
            connection.execute(steps.insert(), _step_rows(job_id, new, now))
        return job_id

    def get(self, job_id: str, owner: str | None = None) -> JobRecord:
        """The job, or JobNotFoundError (also for another owner's job)."""
        query = select(jobs).where(jobs.c.id == job_id)
        if owner is not None:
            query = query.where(jobs.c.owner == owner)
        with self.engine.connect() as connection:
            row = connection.execute(query).mappings().first()
        if row is None:
            raise JobNotFoundError(job_id)
        return JobRecord.from_row(row)

    def steps(self, job_id: str) -> list[StepRecord]:
        """The job's steps in order: clips, then the join."""
        query = select(steps).where(steps.c.job_id == job_id).order_by(steps.c.position)
        with self.engine.connect() as connection:
            rows = connection.execute(query).mappings().all()
        return [StepRecord.from_row(row) for row in rows]

    def page(
        self, owner: str, status: JobStatus | None, limit: int, offset: int
    ) -> tuple[list[JobRecord], int]:
        """Newest jobs first, optionally of one status, with the total count."""
        condition = jobs.c.owner == owner
        if status is not None:
            condition = condition & (jobs.c.status == status.value)
        query = (
            select(jobs)
            .where(condition)
            .order_by(jobs.c.created_at.desc(), jobs.c.id)
            .limit(limit)
            .offset(offset)
        )
        count = select(func.count()).select_from(jobs).where(condition)
        with self.engine.connect() as connection:
            rows = connection.execute(query).mappings().all()
            total = connection.execute(count).scalar_one()
        return [JobRecord.from_row(row) for row in rows], int(total)

    def request_cancel(self, job_id: str, owner: str | None = None) -> JobRecord:
        """Cancel a queued job at once; flag a running one for the runner to stop."""
        job = self.get(job_id, owner)
        if job.status == JobStatus.QUEUED:
            self.finish(job_id, JobStatus.CANCELLED)
        elif job.status == JobStatus.RUNNING:
            with self.engine.begin() as connection:
                connection.execute(
                    update(jobs)
                    .where(jobs.c.id == job_id)
                    .values(cancel_requested=True)
                )
        return self.get(job_id)

    def finish(self, job_id: str, status: JobStatus, **values: Any) -> bool:
        """End an unfinished job once; its open steps are cancelled. False if ended."""
        now = time.time()
        values = {name: _column_value(name, value) for name, value in values.items()}
        with self.engine.begin() as connection:
            callback_url = connection.execute(
                select(jobs.c.callback_url).where(jobs.c.id == job_id)
            ).scalar_one_or_none()
            ended = connection.execute(
                update(jobs)
                .where(jobs.c.id == job_id, jobs.c.status.in_(_UNFINISHED))
                .values(
                    status=status.value,
                    finished_at=now,
                    callback_status=(
                        CallbackStatus.PENDING if callback_url else CallbackStatus.NONE
                    ).value,
                    callback_next_at=now,
                    **values,
                )
            ).rowcount
            if ended:
                connection.execute(
                    update(steps)
                    .where(steps.c.job_id == job_id, steps.c.status.in_(_OPEN_STEPS))
                    .values(status=StepStatus.CANCELLED.value, finished_at=now)
                )
        return bool(ended)

    def mark_started(self, job_id: str) -> None:
        """A step of the job was claimed: queued becomes running."""
        with self.engine.begin() as connection:
            connection.execute(
                update(jobs)
                .where(jobs.c.id == job_id, jobs.c.status == JobStatus.QUEUED.value)
                .values(status=JobStatus.RUNNING.value, started_at=time.time())
            )

    def add_warning(self, job_id: str, warning: str) -> None:
        """Append a warning to the job."""
        with self.engine.begin() as connection:
            current = connection.execute(
                select(jobs.c.warnings).where(jobs.c.id == job_id)
            ).scalar_one()
            warnings = [*(_decode_list(current)), warning]
            connection.execute(
                update(jobs)
                .where(jobs.c.id == job_id)
                .values(warnings=encode(warnings))
            )

    def raise_peak_memory(self, job_ids: Sequence[str], peak_bytes: int) -> None:
        """Record a peak memory sample for running jobs, keeping the highest."""
        with self.engine.begin() as connection:
            connection.execute(
                update(jobs)
                .where(jobs.c.id.in_(job_ids), jobs.c.peak_memory_bytes < peak_bytes)
                .values(peak_memory_bytes=peak_bytes)
            )

    def cancel_requested(self) -> set[str]:
        """Running jobs whose cancellation was asked for."""
        query = select(jobs.c.id).where(
            jobs.c.cancel_requested.is_(True), jobs.c.status == JobStatus.RUNNING.value
        )
        with self.engine.connect() as connection:
            return set(connection.execute(query).scalars())

    def end_past_deadline(self, now: float) -> list[str]:
        """Fail unfinished jobs whose deadline has passed; the ids of those ended."""
        query = select(jobs.c.id, jobs.c.deadline_at - jobs.c.created_at).where(
            jobs.c.status.in_(_UNFINISHED), jobs.c.deadline_at < now
        )
        with self.engine.connect() as connection:
            overdue = connection.execute(query).all()
        return [
            job_id
            for job_id, seconds in overdue
            if self.finish(job_id, JobStatus.FAILED, error=_deadline_error(seconds))
        ]

    def counts_by_status(self) -> dict[str, int]:
        """How many jobs are in each status."""
        query = select(jobs.c.status, func.count()).group_by(jobs.c.status)
        with self.engine.connect() as connection:
            return {status: int(n) for status, n in connection.execute(query).all()}

    def ready_steps(self) -> int:
        """Steps waiting for a runner: the queue depth."""
        query = select(func.count()).where(steps.c.status == StepStatus.READY.value)
        with self.engine.connect() as connection:
            return int(connection.execute(query).scalar_one())

    def due_callbacks(self, now: float, limit: int = 20) -> list[JobRecord]:
        """Finished jobs whose callback is due for an attempt."""
        query = (
            select(jobs)
            .where(
                jobs.c.callback_status == CallbackStatus.PENDING.value,
                jobs.c.callback_next_at <= now,
            )
            .order_by(jobs.c.callback_next_at)
            .limit(limit)
        )
        with self.engine.connect() as connection:
            rows = connection.execute(query).mappings().all()
        return [JobRecord.from_row(row) for row in rows]

    def record_callback(
        self,
        job_id: str,
        status: CallbackStatus,
        attempts: int,
        next_at: float | None,
        error: str | None,
    ) -> None:
        """Keep the outcome of one callback attempt."""
        with self.engine.begin() as connection:
            connection.execute(
                update(jobs)
                .where(jobs.c.id == job_id)
                .values(
                    callback_status=status.value,
                    callback_attempts=attempts,
                    callback_next_at=next_at,
                    callback_error=error,
                )
            )

    def cached_segment(self, key: str) -> JsonObject | None:
        """A segment kept from an earlier step with the same cache key."""
        with self.engine.begin() as connection:
            text = connection.execute(
                select(segments.c.segment).where(segments.c.key == key)
            ).scalar_one_or_none()
            if text is not None:
                connection.execute(
                    update(segments)
                    .where(segments.c.key == key)
                    .values(used_at=time.time())
                )
        return None if text is None else _decode_object(text)

    def keep_segment(self, key: str, segment: JsonObject) -> None:
        """Remember a finished segment under its cache key."""
        now = time.time()
        with self.engine.begin() as connection:
            connection.execute(segments.delete().where(segments.c.key == key))
            connection.execute(
                segments.insert().values(
                    key=key, segment=encode(segment), created_at=now, used_at=now
                )
            )

    def idle_segments(self) -> list[tuple[str, float]]:
        """Kept segments no unfinished job needs, with when they were last used.

        Least recently used first.
        """
        in_use = (
            select(steps.c.cache_key)
            .join(jobs, jobs.c.id == steps.c.job_id)
            .where(jobs.c.status.in_(_UNFINISHED), steps.c.cache_key.is_not(None))
        )
        query = (
            select(segments.c.key, segments.c.used_at)
            .where(segments.c.key.not_in(in_use))
            .order_by(segments.c.used_at, segments.c.key)
        )
        with self.engine.connect() as connection:
            return [(key, used_at) for key, used_at in connection.execute(query)]

    def forget_segment(self, key: str) -> None:
        """Drop a segment from the cache (its files are removed by the caller)."""
        with self.engine.begin() as connection:
            connection.execute(segments.delete().where(segments.c.key == key))


_UNFINISHED = (JobStatus.QUEUED.value, JobStatus.RUNNING.value)
_OPEN_STEPS = tuple(status.value for status in OPEN_STEPS)
_JSON_COLUMNS = frozenset({"error", "warnings", "output_summary", "metadata"})


def _job_row(job_id: str, new: NewJob, now: float) -> dict[str, Any]:
    return {
        "id": job_id,
        "owner": new.owner,
        "idempotency_key": new.idempotency_key,
        "request_hash": new.request_hash,
        "status": JobStatus.QUEUED.value,
        "composition": encode(new.composition),
        "callback_url": new.callback_url,
        "metadata": encode(new.metadata),
        "progress": 0.0,
        "warnings": "[]",
        "peak_memory_bytes": 0,
        "cancel_requested": False,
        "created_at": now,
        "deadline_at": new.deadline_at,
        "callback_status": CallbackStatus.NONE.value,
        "callback_attempts": 0,
    }


def _step_rows(job_id: str, new: NewJob, now: float) -> list[dict[str, Any]]:
    common = {"job_id": job_id, "attempts": 0, "progress": 0.0, "warnings": "[]"}
    rows = [
        {
            **common,
            "position": position,
            "kind": StepKind.CLIP.value,
            "status": StepStatus.READY.value,
            "cache_key": key,
            "created_at": now,
        }
        for position, key in enumerate(new.cache_keys)
    ]
    rows.append(
        {
            **common,
            "position": len(new.cache_keys),
            "kind": StepKind.JOIN.value,
            "status": StepStatus.WAITING.value,
            "cache_key": None,
            "created_at": now,
        }
    )
    return rows


def _column_value(name: str, value: Any) -> Any:
    return encode(value) if name in _JSON_COLUMNS else value


def _decode_list(text: str | None) -> list[str]:
    return list(json.loads(text)) if text else []


def _decode_object(text: str) -> JsonObject:
    value = json.loads(text)
    return dict(value)


def _deadline_error(seconds: float) -> JsonObject:
    allowed = f"{round(seconds, 1):g} s"
    return {
        "message": f"the job did not finish within its deadline of {allowed}",
        "reason": "deadline exceeded",
        "type": "DeadlineExceeded",
    }
