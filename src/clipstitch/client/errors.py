"""Errors of the client; each carries the response or job it is about."""

from __future__ import annotations

import httpx

from clipstitch.errors import ClipstitchError
from clipstitch.jobs.views import JobView


class ApiError(ClipstitchError):
    """The service answered with an error status."""

    def __init__(self, response: httpx.Response) -> None:
        self.response = response
        self.status_code = response.status_code
        self.detail = _detail(response)
        super().__init__(f"HTTP {response.status_code}: {self.detail}")


class JobFailedError(ClipstitchError):
    """`wait(..., raise_on_failure=True)` saw the job fail or be cancelled."""

    def __init__(self, job: JobView) -> None:
        self.job = job
        reason = job.error.message if job.error else job.status.value
        super().__init__(f"job {job.id} {job.status.value}: {reason}")


class WaitTimeoutError(ClipstitchError, TimeoutError):
    """The job did not finish within the wait's timeout."""


def _detail(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text[:500]
    detail = body.get("detail") if isinstance(body, dict) else body
    return str(detail)
