"""The asyncio client, the same calls as ClipstitchClient."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from types import TracebackType
from typing import Any

import httpx

from clipstitch.client import common
from clipstitch.client.errors import JobFailedError, WaitTimeoutError
from clipstitch.jobs.states import JobStatus
from clipstitch.jobs.views import JobView
from clipstitch.spec import Composition

ProgressHandler = Callable[[JobView], Awaitable[None] | None]


class AsyncClipstitchClient:
    """Talks to a clipstitch server from asyncio code."""

    def __init__(
        self,
        base_url: str,
        *,
        api_key: str | None = None,
        timeout: float = common.DEFAULT_TIMEOUT,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.http = httpx.AsyncClient(
            base_url=base_url,
            headers=common.headers(api_key),
            timeout=timeout,
            transport=transport,
        )

    async def __aenter__(self) -> AsyncClipstitchClient:
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.close()

    async def close(self) -> None:
        await self.http.aclose()

    async def submit(
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
        response = await self.http.post(
            "/v1/compositions",
            json=body,
            headers=common.idempotency_headers(idempotency_key),
        )
        return common.job(response)

    async def get(self, job_id: str) -> JobView:
        """The job's current state."""
        return common.job(await self.http.get(f"/v1/compositions/{job_id}"))

    async def cancel(self, job_id: str) -> JobView:
        """Ask the server to cancel the job."""
        return common.job(await self.http.post(f"/v1/compositions/{job_id}/cancel"))

    async def wait(
        self,
        job_id: str,
        *,
        poll_seconds: float = 1.0,
        timeout: float | None = None,
        on_progress: ProgressHandler | None = None,
        raise_on_failure: bool = False,
    ) -> JobView:
        """Poll until the job ends; `on_progress` (sync or async) sees every poll."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            job = await self.get(job_id)
            if on_progress is not None:
                outcome = on_progress(job)
                if outcome is not None:
                    await outcome
            if job.status.finished:
                if raise_on_failure and job.status != JobStatus.SUCCEEDED:
                    raise JobFailedError(job)
                return job
            if deadline is not None and time.monotonic() > deadline:
                raise WaitTimeoutError(f"job {job_id} still {job.status} after wait")
            await asyncio.sleep(poll_seconds)

    async def download(self, job_id: str, destination: Path | str) -> Path:
        """Save the output MP4 (following a presigned redirect) to `destination`."""
        target = Path(destination)
        partial = target.with_name(f".{target.name}.part")
        url = f"/v1/compositions/{job_id}/output"
        async with self.http.stream("GET", url, follow_redirects=True) as response:
            if response.is_error:
                await response.aread()
                common.checked(response)
            with partial.open("wb") as file:
                async for chunk in response.aiter_bytes():
                    file.write(chunk)
        partial.replace(target)
        return target
