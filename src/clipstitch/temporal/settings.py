"""Settings of the Temporal engine: CLIPSTITCH_TEMPORAL_* variables."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class TemporalSettings(BaseSettings):
    """Where the Temporal server is and how steps are timed and retried."""

    model_config = SettingsConfigDict(env_prefix="CLIPSTITCH_TEMPORAL_", extra="ignore")

    address: str = Field(default="127.0.0.1:7233", description="Frontend host:port.")
    namespace: str = "default"
    task_queue: str = "clipstitch"
    heartbeat_seconds: float = Field(
        default=5.0, gt=0, description="A step silent this long is re-run elsewhere."
    )
    max_concurrent: int | None = Field(
        default=None, ge=1, description="Steps per worker; default: from the budget."
    )
    cpus: int | None = Field(
        default=None, ge=1, description="Cores this worker may use; default: affinity."
    )
