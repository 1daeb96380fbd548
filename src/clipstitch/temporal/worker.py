"""`clipstitch worker --engine temporal`: run clip and join activities for any job.

A worker takes only as many steps at once as its own memory budget holds, so a
worker in a 512 MB container never runs out of memory whatever the queue holds.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import socket
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

from temporalio.client import Client
from temporalio.worker import Worker
from temporalio.worker.workflow_sandbox import (
    SandboxedWorkflowRunner,
    SandboxRestrictions,
)

from clipstitch.api.service import storage_from_settings
from clipstitch.jobs.database import open_database
from clipstitch.jobs.orphans import reap_orphans
from clipstitch.jobs.settings import ServiceSettings
from clipstitch.jobs.store import JobStore
from clipstitch.net.outbound import OutboundPolicy, safe_client
from clipstitch.pipeline.budget import (
    MemoryBudget,
    WorkPlan,
    default_budget,
    plan_work,
)
from clipstitch.pipeline.fetch import FetchSettings
from clipstitch.spec import OutputSettings
from clipstitch.temporal.activities import CompositionActivities, WorkerTools
from clipstitch.temporal.settings import TemporalSettings
from clipstitch.temporal.workflow import CompositionWorkflow

logger = logging.getLogger(__name__)

# Cancellation reaches an activity on a heartbeat's reply: beat often.
HEARTBEAT_THROTTLE = timedelta(seconds=1)
SHUTDOWN_GRACE = timedelta(seconds=10)


def worker_cores(temporal: TemporalSettings) -> int:
    """Cores this worker may use: configured, else its CPU affinity (taskset)."""
    if temporal.cpus:
        return temporal.cpus
    return len(os.sched_getaffinity(0)) or 1


def worker_plan(budget_bytes: int, cores: int) -> WorkPlan:
    """How many clips this worker normalizes at once, sized for 1080p output.

    plan_work lets small clips run beside a lone encoder inside one process; a
    Temporal slot holds a whole clip, so a worker takes only the encoders that fit
    together, and leaves the rest of the queue to other workers.
    """
    plan = plan_work(budget_bytes, OutputSettings(), cores)
    return WorkPlan(
        workers=plan.encoders,
        encoders=plan.encoders,
        threads=plan.threads,
        budget_bytes=budget_bytes,
    )


async def run_worker(
    settings: ServiceSettings,
    temporal: TemporalSettings,
    stop: asyncio.Event | None = None,
) -> None:
    """Poll the task queue until `stop` is set (or SIGTERM/SIGINT)."""
    stop = stop or _stop_on_signals()
    budget_bytes = settings.max_memory or default_budget()
    plan = worker_plan(budget_bytes, worker_cores(temporal))
    slots = temporal.max_concurrent or plan.workers
    identity = f"{socket.gethostname()}-{os.getpid()}"
    work_dir = settings.work_dir / "temporal"
    work_dir.mkdir(parents=True, exist_ok=True)
    # Step folders are work_dir/temporal/<step>, the two levels reap_orphans reads.
    reap_orphans(settings.work_dir)
    client = await Client.connect(temporal.address, namespace=temporal.namespace)
    with ThreadPoolExecutor(slots + 2, thread_name_prefix="step") as executor:
        tools = _tools(settings, plan, work_dir, identity, executor)
        activities = CompositionActivities(tools)
        worker = Worker(
            client,
            task_queue=temporal.task_queue,
            workflows=[CompositionWorkflow],
            workflow_runner=_sandbox(),
            activities=[
                activities.normalize_clip,
                activities.join_clips,
                activities.finish_job,
            ],
            max_concurrent_activities=slots,
            identity=identity,
            max_heartbeat_throttle_interval=HEARTBEAT_THROTTLE,
            default_heartbeat_throttle_interval=HEARTBEAT_THROTTLE,
            graceful_shutdown_timeout=SHUTDOWN_GRACE,
        )
        logger.info(
            "worker %s: %d steps at once, %d threads each, budget %d MiB",
            identity,
            slots,
            plan.threads,
            budget_bytes >> 20,
        )
        async with worker:
            await stop.wait()
        if tools.http_client is not None:
            tools.http_client.close()


def _tools(
    settings: ServiceSettings,
    plan: WorkPlan,
    work_dir: Path,
    identity: str,
    executor: ThreadPoolExecutor,
) -> WorkerTools:
    return WorkerTools(
        store=JobStore(open_database(settings.resolved_database_url)),
        storage=storage_from_settings(settings),
        budget=MemoryBudget.for_processes(plan.budget_bytes),
        threads=plan.threads,
        work_dir=work_dir,
        identity=identity,
        executor=executor,
        fetch_settings=FetchSettings(
            read_timeout=settings.download_timeout,
            max_bytes=settings.max_download_bytes,
        ),
        http_client=safe_client(
            OutboundPolicy.from_strings(settings.outbound_allow),
            timeout=settings.download_timeout,
        ),
    )


def _sandbox() -> SandboxedWorkflowRunner:
    # The workflow imports only plain dataclasses from clipstitch; importing the
    # package runs module-level code (cost model, settings) the sandbox forbids.
    restrictions = SandboxRestrictions.default.with_passthrough_modules("clipstitch")
    return SandboxedWorkflowRunner(restrictions=restrictions)


def _stop_on_signals() -> asyncio.Event:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for number in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(number, stop.set)
    return stop
