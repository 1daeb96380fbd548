"""Errors of the job service; routes turn them into HTTP answers."""

from __future__ import annotations

from clipstitch.errors import ClipstitchError


class JobNotFoundError(ClipstitchError, LookupError):
    """No job with that id (for this API key)."""

    def __init__(self, job_id: str) -> None:
        self.job_id = job_id
        super().__init__(f"job {job_id} not found")


class IdempotencyConflictError(ClipstitchError):
    """An Idempotency-Key was reused with a different request body."""

    def __init__(self, key: str, job_id: str) -> None:
        self.key = key
        self.job_id = job_id
        super().__init__(
            f"Idempotency-Key {key!r} was used for job {job_id} with another request"
        )


class JobNotFinishedError(ClipstitchError):
    """The job has no output yet."""

    def __init__(self, job_id: str, status: str) -> None:
        self.job_id = job_id
        self.status = status
        super().__init__(f"job {job_id} has no output (status {status})")


class SourceRefusedError(ClipstitchError, ValueError):
    """A clip source or callback URL is not allowed by the service's settings."""
