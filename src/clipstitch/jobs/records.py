"""Jobs and steps as read from the store: frozen data, JSON columns decoded."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from clipstitch.jobs.states import (
    CallbackStatus,
    JobStatus,
    StepKind,
    StepStatus,
)
from clipstitch.pipeline.progress import Stage

JsonObject = dict[str, Any]


@dataclass(frozen=True)
class JobRecord:
    """One row of the jobs table."""

    id: str
    owner: str
    idempotency_key: str | None
    request_hash: str
    status: JobStatus
    stage: Stage | None
    composition: JsonObject
    callback_url: str | None
    metadata: JsonObject
    progress: float
    error: JsonObject | None
    warnings: list[str]
    output_key: str | None
    output_bytes: int | None
    output_summary: JsonObject | None
    peak_memory_bytes: int
    cancel_requested: bool
    created_at: float
    started_at: float | None
    finished_at: float | None
    deadline_at: float
    callback_status: CallbackStatus
    callback_attempts: int
    callback_next_at: float | None
    callback_error: str | None

    @classmethod
    def from_row(cls, row: Mapping[Any, Any]) -> JobRecord:
        values = dict(row)
        for name in ("composition", "metadata", "error", "warnings", "output_summary"):
            values[name] = _decode(values[name])
        values["status"] = JobStatus(values["status"])
        values["stage"] = Stage(values["stage"]) if values["stage"] else None
        values["callback_status"] = CallbackStatus(values["callback_status"])
        values["cancel_requested"] = bool(values["cancel_requested"])
        return cls(**values)


@dataclass(frozen=True)
class StepRecord:
    """One row of the steps table."""

    id: int
    job_id: str
    position: int
    kind: StepKind
    status: StepStatus
    stage: Stage | None
    cache_key: str | None
    lease_owner: str | None
    lease_expires_at: float | None
    attempts: int
    progress: float
    result: JsonObject | None
    error: JsonObject | None
    warnings: list[str]
    created_at: float
    started_at: float | None
    finished_at: float | None

    @classmethod
    def from_row(cls, row: Mapping[Any, Any]) -> StepRecord:
        values = dict(row)
        for name in ("result", "error", "warnings"):
            values[name] = _decode(values[name])
        values["kind"] = StepKind(values["kind"])
        values["status"] = StepStatus(values["status"])
        values["stage"] = Stage(values["stage"]) if values["stage"] else None
        return cls(**values)


def encode(value: Any) -> str | None:
    """JSON text for a JSON column; None stays NULL."""
    return None if value is None else json.dumps(value, separators=(",", ":"))


def _decode(text: str | None) -> Any:
    return None if text is None else json.loads(text)
