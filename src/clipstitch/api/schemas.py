"""Request and response bodies of the compositions resource."""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from clipstitch.jobs.views import JobView
from clipstitch.spec import Composition

# Metadata travels back in every status and in the callback, which a
# Trigger.dev waitpoint caps at 3 MB: keep it far below that.
MAX_METADATA_BYTES = 64 * 1024

EXAMPLE: dict[str, Any] = {
    "clips": [
        {"source": "https://example.com/intro.mp4"},
        {"source": "https://example.com/talk.mov", "start": 2.5, "end": 30},
    ],
    "output": {"width": 1280, "height": 720, "fps": "30", "fit": "contain"},
    "callback_url": "https://api.example.com/hooks/clipstitch",
    "metadata": {"order": "A-1042"},
}


class CompositionCreate(Composition):
    """A composition to render, with where to report and what to remember."""

    model_config = ConfigDict(
        frozen=True, extra="forbid", json_schema_extra={"example": EXAMPLE}
    )

    callback_url: str | None = Field(
        default=None, description="POSTed the final job status, signed."
    )
    metadata: dict[str, Any] = Field(
        default_factory=dict, description="Kept with the job and returned as is."
    )
    deadline_seconds: float | None = Field(
        default=None, gt=0, le=7 * 24 * 3600, description="Fail the job after this."
    )

    @field_validator("metadata")
    @classmethod
    def _metadata_fits_a_callback(cls, value: dict[str, Any]) -> dict[str, Any]:
        size = len(json.dumps(value))
        if size > MAX_METADATA_BYTES:
            raise ValueError(
                f"metadata is {size} bytes of JSON; at most {MAX_METADATA_BYTES}"
            )
        return value

    def composition(self) -> Composition:
        """The spec alone, without the job's settings."""
        return Composition.model_validate(
            self.model_dump(exclude={"callback_url", "metadata", "deadline_seconds"})
        )


class JobList(BaseModel):
    """A page of jobs, newest first."""

    items: list[JobView]
    total: int
    limit: int
    offset: int


class Problem(BaseModel):
    """An error answer."""

    detail: str
