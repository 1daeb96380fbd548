"""Prometheus metrics: jobs by status, queue depth, stage and step times, memory."""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client import CollectorRegistry, Gauge, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from clipstitch.jobs.records import JobRecord
from clipstitch.jobs.states import JobStatus, StepKind
from clipstitch.jobs.store import JobStore
from clipstitch.pipeline.progress import Stage

STEP_BUCKETS = (0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600, 1800)
JOB_BUCKETS = (1, 5, 10, 30, 60, 120, 300, 600, 1800, 3600)


class _StoreCollector(Collector):
    """Reads job counts and queue depth from the store at scrape time."""

    def __init__(self, store: JobStore) -> None:
        self.store = store

    def collect(self) -> Iterator[GaugeMetricFamily]:
        jobs = GaugeMetricFamily(
            "clipstitch_jobs", "Jobs in the store by status.", labels=["status"]
        )
        counts = self.store.counts_by_status()
        for status in JobStatus:
            jobs.add_metric([status.value], counts.get(status.value, 0))
        yield jobs
        yield GaugeMetricFamily(
            "clipstitch_queue_depth",
            "Steps ready and waiting for a worker.",
            value=self.store.ready_steps(),
        )


class ServiceMetrics:
    """The service's metrics registry and the events that feed it."""

    def __init__(self, store: JobStore, budget_bytes: int) -> None:
        self.registry = CollectorRegistry()
        self.registry.register(_StoreCollector(store))
        self.stage_seconds = Histogram(
            "clipstitch_stage_duration_seconds",
            "Wall time of a stage within a step (fetching ... uploading).",
            ["stage"],
            buckets=STEP_BUCKETS,
            registry=self.registry,
        )
        self.step_seconds = Histogram(
            "clipstitch_step_duration_seconds",
            "Wall time of steps: clip = fetch+probe+normalize, join = join+upload.",
            ["kind"],
            buckets=STEP_BUCKETS,
            registry=self.registry,
        )
        self.job_seconds = Histogram(
            "clipstitch_job_duration_seconds",
            "Wall time from submit to the end of a job.",
            ["status"],
            buckets=JOB_BUCKETS,
            registry=self.registry,
        )
        self.memory = Gauge(
            "clipstitch_memory_bytes",
            "Resident memory of the server's process tree (last sample).",
            registry=self.registry,
        )
        self.peak_memory = Gauge(
            "clipstitch_peak_memory_bytes",
            "Highest resident memory of the server's process tree seen.",
            registry=self.registry,
        )
        budget = Gauge(
            "clipstitch_memory_budget_bytes",
            "Memory budget shared by all running steps.",
            registry=self.registry,
        )
        budget.set(budget_bytes)
        self._peak = 0

    def observe_stage(self, stage: Stage, seconds: float) -> None:
        self.stage_seconds.labels(stage.value).observe(seconds)

    def observe_step(self, kind: StepKind, seconds: float) -> None:
        self.step_seconds.labels(kind.value).observe(seconds)

    def job_finished(self, job: JobRecord) -> None:
        if job.finished_at is not None:
            self.job_seconds.labels(job.status.value).observe(
                job.finished_at - job.created_at
            )

    def memory_sample(self, rss: int) -> None:
        self.memory.set(rss)
        if rss > self._peak:
            self._peak = rss
            self.peak_memory.set(rss)

    def render(self) -> bytes:
        """The metrics in Prometheus' text format."""
        return generate_latest(self.registry)
