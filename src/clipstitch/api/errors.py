"""Turning domain errors into HTTP answers; nothing deeper knows HTTP."""

from __future__ import annotations

from fastapi import FastAPI, Request, status
from fastapi.responses import JSONResponse

from clipstitch.errors import SpecError
from clipstitch.jobs.errors import (
    IdempotencyConflictError,
    JobNotFinishedError,
    JobNotFoundError,
    SourceRefusedError,
)
from clipstitch.storage import StorageError

STATUS_OF: dict[type[Exception], int] = {
    JobNotFoundError: status.HTTP_404_NOT_FOUND,
    IdempotencyConflictError: status.HTTP_409_CONFLICT,
    JobNotFinishedError: status.HTTP_409_CONFLICT,
    SourceRefusedError: status.HTTP_422_UNPROCESSABLE_CONTENT,
    SpecError: status.HTTP_422_UNPROCESSABLE_CONTENT,
    StorageError: status.HTTP_502_BAD_GATEWAY,
}


def install(app: FastAPI) -> None:
    """Register a handler for each domain error."""
    for error, code in STATUS_OF.items():
        app.add_exception_handler(error, _handler(code))


def _handler(code: int):  # type: ignore[no-untyped-def]
    async def handle(_request: Request, exc: Exception) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=code)

    return handle
