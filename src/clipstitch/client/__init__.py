"""Python client of the clipstitch job service (httpx, sync and async)."""

from clipstitch.client.asynchronous import AsyncClipstitchClient
from clipstitch.client.errors import ApiError, JobFailedError, WaitTimeoutError
from clipstitch.client.sync import ClipstitchClient

__all__ = [
    "ApiError",
    "AsyncClipstitchClient",
    "ClipstitchClient",
    "JobFailedError",
    "WaitTimeoutError",
]
