"""The job store's tables (SQLAlchemy Core); Alembic migrations create them."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    ColumnElement,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    case,
)

metadata = MetaData()

jobs = Table(
    "jobs",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("owner", String(64), nullable=False),
    Column("idempotency_key", String(255)),
    Column("request_hash", String(64), nullable=False),
    Column("status", String(16), nullable=False),
    Column("stage", String(16)),
    Column("composition", Text, nullable=False),
    Column("callback_url", Text),
    Column("metadata", Text, nullable=False),
    Column("progress", Float, nullable=False, default=0.0),
    Column("error", Text),
    Column("warnings", Text, nullable=False),
    Column("output_key", Text),
    Column("output_bytes", BigInteger),
    Column("output_summary", Text),
    Column("peak_memory_bytes", BigInteger, nullable=False, default=0),
    Column("cancel_requested", Boolean, nullable=False, default=False),
    Column("created_at", Float, nullable=False),
    Column("started_at", Float),
    Column("finished_at", Float),
    Column("deadline_at", Float, nullable=False),
    Column("callback_status", String(16), nullable=False),
    Column("callback_attempts", Integer, nullable=False, default=0),
    Column("callback_next_at", Float),
    Column("callback_error", Text),
    UniqueConstraint("owner", "idempotency_key", name="uq_jobs_idempotency"),
    Index("ix_jobs_status_created", "status", "created_at"),
    Index("ix_jobs_callback", "callback_status", "callback_next_at"),
)

steps = Table(
    "steps",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("job_id", String(32), ForeignKey("jobs.id"), nullable=False),
    Column("position", Integer, nullable=False),
    Column("kind", String(8), nullable=False),
    Column("status", String(16), nullable=False),
    Column("stage", String(16)),
    Column("cache_key", String(64)),
    Column("lease_owner", String(64)),
    Column("lease_expires_at", Float),
    Column("attempts", Integer, nullable=False, default=0),
    Column("progress", Float, nullable=False, default=0.0),
    Column("result", Text),
    Column("error", Text),
    Column("warnings", Text, nullable=False),
    Column("created_at", Float, nullable=False),
    Column("started_at", Float),
    Column("finished_at", Float),
    UniqueConstraint("job_id", "position", name="uq_steps_position"),
    Index("ix_steps_status", "status", "lease_expires_at"),
)

segments = Table(
    "segments",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("segment", Text, nullable=False),
    Column("created_at", Float, nullable=False),
    Column("used_at", Float, nullable=False),
)


def progress_at_least(progress: float) -> ColumnElement[float]:
    """A step's new progress, never below what it showed before.

    A step redone after its runner died starts again from zero; the job it
    belongs to should not be seen going backwards while it catches up.
    """
    return case((steps.c.progress > progress, steps.c.progress), else_=progress)
