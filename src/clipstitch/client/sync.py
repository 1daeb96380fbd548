"""The blocking client: submit, get, list, wait, cancel, download."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Any

import httpx

from clipstitch.client import common
from clipstitch.client.errors import JobFailedError, WaitTimeoutError
from clipstitch.jobs.states import JobStatus
from clipstitch.jobs.views import JobView
from clipstitch.spec import Composition

ProgressHandler = Callable[[JobView], None]


class ClipstitchClient:
    """Talks to a clipstitch server.

    with ClipstitchClient("http://127.0.0.1:8000", api_key="...") as client:
        job = client.submit({"clips": ["https://example.com/a.mp4"]})
        job = client.wait(job.id, on_progress=lambda j: print(j.progress))
        client.download(job.id, "out.mp4")
    """

    def __init__(
        self,
        base_url: str,
        *,
        api_key: str | None = None,
        timeout: float = common.DEFAULT_TIMEOUT,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.http = httpx.Client(
            base_url=base_url,
            headers=common.headers(api_key),
            timeout=timeout,
            transport=transport,
        )

    def __enter__(self) -> ClipstitchClient:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        self.http.close()

    def submit(
        self,
        composition: Composition | dict[str, Any],
        *,
        callback_url: str | None = None,
        metadata: dict[str, Any] | None = None,
        idempotency_key: str | None = None,
        deadline_seconds: float | None = None,
    ) -> JobView:
        """Queue a composition; the same idempotency key returns the same job."""
        body = common.submit_body(composition, callback_url, metadata, deadline_seconds)
        response = self.http.post(
            "/v1/compositions",
            json=body,
            headers=common.idempotency_headers(idempotency_key),
        )
        return common.job(response)

    def get(self, job_id: str) -> JobView:
        """The job's current state."""
        return common.job(self.http.get(f"/v1/compositions/{job_id}"))

    def list(
        self, status: JobStatus | str | None = None, limit: int = 50, offset: int = 0
    ) -> dict[str, Any]:
        """A page of jobs, newest first."""
        params: dict[str, Any] = {"limit": limit, "offset": offset}
        if status:
            params["status"] = str(status)
        response = self.http.get("/v1/compositions", params=params)
        page: dict[str, Any] = common.checked(response).json()
        return page

    def cancel(self, job_id: str) -> JobView:
        """Ask the server to cancel the job."""
        return common.job(self.http.post(f"/v1/compositions/{job_id}/cancel"))

    def wait(
        self,
        job_id: str,
        *,
        poll_seconds: float = 1.0,
        timeout: float | None = None,
        on_progress: ProgressHandler | None = None,
        raise_on_failure: bool = False,
    ) -> JobView:
        """Poll until the job ends; `on_progress` sees every poll."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            job = self.get(job_id)
            if on_progress is not None:
                on_progress(job)
            if job.status.finished:
                if raise_on_failure and job.status != JobStatus.SUCCEEDED:
                    raise JobFailedError(job)
                return job
            if deadline is not None and time.monotonic() > deadline:
                raise WaitTimeoutError(f"job {job_id} still {job.status} after wait")
            time.sleep(poll_seconds)

    def download(self, job_id: str, destination: Path | str) -> Path:
        """Save the output MP4 (following a presigned redirect) to `destination`."""
        target = Path(destination)
        partial = target.with_name(f".{target.name}.part")
        url = f"/v1/compositions/{job_id}/output"
        with self.http.stream("GET", url, follow_redirects=True) as response:
            if response.is_error:
                response.read()
                common.checked(response)
            with partial.open("wb") as file:
                for chunk in response.iter_bytes():
                    file.write(chunk)
        partial.replace(target)
        return target
