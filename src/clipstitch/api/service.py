"""The parts of a running service, built once from settings and shared by routes."""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Literal, Protocol

from clipstitch.jobs.callbacks import CallbackDispatcher
from clipstitch.jobs.database import open_database
from clipstitch.jobs.execute import StepExecutor
from clipstitch.jobs.metrics import ServiceMetrics
from clipstitch.jobs.runner import Runner
from clipstitch.jobs.settings import ServiceSettings
from clipstitch.jobs.store import JobStore
from clipstitch.jobs.submit import SubmitPolicy
from clipstitch.net.outbound import OutboundPolicy
from clipstitch.pipeline.budget import MemoryBudget, default_budget
from clipstitch.storage import ObjectStorage

logger = logging.getLogger(__name__)

Engine = Literal["embedded", "temporal"]


class JobRunner(Protocol):
    """What the API needs of whatever runs the jobs: the embedded runner or Temporal."""

    def start(self) -> None: ...

    def stop(self, timeout: float = 10.0) -> None: ...

    def poke(self) -> None: ...


@dataclass
class Service:
    """Settings, store, storage, runner and metrics of one server process."""

    settings: ServiceSettings
    store: JobStore
    storage: ObjectStorage
    submit_policy: SubmitPolicy
    runner: JobRunner
    metrics: ServiceMetrics

    @classmethod
    def build(cls, settings: ServiceSettings, engine: Engine = "embedded") -> Service:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        store = JobStore(open_database(settings.resolved_database_url))
        storage = storage_from_settings(settings)
        outbound = OutboundPolicy.from_strings(settings.outbound_allow)
        budget_bytes = settings.max_memory or default_budget()
        budget = MemoryBudget.for_processes(budget_bytes)
        metrics = ServiceMetrics(store, budget_bytes)
        dispatcher = CallbackDispatcher(
            store,
            outbound,
            _callback_secret(settings),
            attempts=settings.callback_attempts,
            backoff_seconds=settings.callback_backoff_seconds,
            timeout=settings.callback_timeout,
        )
        runner: JobRunner
        if engine == "temporal":
            runner = _temporal_runner(settings, store, dispatcher)
        else:
            executor = StepExecutor(store, storage, settings.segment_dir)
            runner = Runner(settings, store, executor, budget, metrics, dispatcher)
        policy = SubmitPolicy(
            outbound,
            [Path(root) for root in settings.local_source_roots],
            settings.storage_url,
            settings.job_deadline_seconds,
        )
        return cls(settings, store, storage, policy, runner, metrics)


def _temporal_runner(
    settings: ServiceSettings, store: JobStore, dispatcher: CallbackDispatcher
) -> JobRunner:
    # Imported here: temporalio is an optional extra (clipstitch[temporal]).
    from clipstitch.temporal.dispatch import TemporalRunner
    from clipstitch.temporal.settings import TemporalSettings

    return TemporalRunner(settings, TemporalSettings(), store, dispatcher)


def storage_from_settings(settings: ServiceSettings) -> ObjectStorage:
    """The configured object storage: S3 when storage_url is set, else local."""
    if not settings.storage_url:
        return ObjectStorage.local(settings.data_dir / "objects")
    secret = settings.s3_secret_access_key
    return ObjectStorage.s3(
        settings.storage_url,
        endpoint=settings.s3_endpoint,
        region=settings.s3_region,
        access_key_id=settings.s3_access_key_id,
        secret_access_key=secret.get_secret_value() if secret else None,
        presign=timedelta(seconds=settings.presign_seconds),
    )


def _callback_secret(settings: ServiceSettings) -> bytes:
    if settings.callback_secret is not None:
        return settings.callback_secret.get_secret_value().encode()
    path = settings.data_dir / "callback-secret"
    if not path.exists():
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
        logger.warning("no callback secret configured; generated one in %s", path)
    return path.read_text().strip().encode()
