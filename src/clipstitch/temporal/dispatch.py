"""The API side of the Temporal engine: jobs in the store become workflows.

`clipstitch serve --engine temporal` stores jobs as the embedded mode does; this
loop starts a workflow for each queued job, cancels the workflows of jobs whose
cancel was asked for, ends jobs past their deadline, and delivers callbacks.
Workers write progress into the same job store, so GET reads it as usual.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import threading
import time
from datetime import timedelta

from sqlalchemy import select
from temporalio.client import Client, WorkflowHandle
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RPCError

from clipstitch.jobs.callbacks import CallbackDispatcher
from clipstitch.jobs.settings import ServiceSettings
from clipstitch.jobs.states import FINISHED, JobStatus
from clipstitch.jobs.store import JobStore
from clipstitch.jobs.tables import jobs
from clipstitch.temporal.contracts import WORKFLOW_NAME, CompositionInput, workflow_id
from clipstitch.temporal.settings import TemporalSettings

logger = logging.getLogger(__name__)

CONNECT_RETRY_SECONDS = 1.0
MIN_EXECUTION_SECONDS = 1.0


class TemporalRunner:
    """Hands the store's jobs to Temporal; same start/stop/poke as the embedded one."""

    def __init__(
        self,
        settings: ServiceSettings,
        temporal: TemporalSettings,
        store: JobStore,
        dispatcher: CallbackDispatcher,
    ) -> None:
        self.settings = settings
        self.temporal = temporal
        self.store = store
        self.dispatcher = dispatcher
        self.started: set[str] = set()
        self.cancelled: set[str] = set()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wake: asyncio.Event | None = None
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    def start(self) -> None:
        """Start the dispatch loop and the callback loop."""
        for name, target in (
            ("temporal", lambda: asyncio.run(self._main())),
            ("callbacks", self.dispatcher.run),
        ):
            thread = threading.Thread(target=target, name=f"runner-{name}", daemon=True)
            thread.start()
            self._threads.append(thread)

    def stop(self, timeout: float = 10.0) -> None:
        """Stop both loops; running workflows go on without this process."""
        self._stop.set()
        self.dispatcher.stop()
        self.poke()
        deadline = time.monotonic() + timeout
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()))

    def poke(self) -> None:
        """A job was submitted or cancelled: look now."""
        loop, wake = self._loop, self._wake
        if loop is not None and wake is not None and not loop.is_closed():
            loop.call_soon_threadsafe(wake.set)

    async def _main(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._wake = asyncio.Event()
        client = await self._connect()
        while client is not None and not self._stop.is_set():
            try:
                await self._sweep(client)
            except Exception:
                logger.exception("temporal dispatch failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.settings.poll_seconds)
            self._wake.clear()

    async def _connect(self) -> Client | None:
        while not self._stop.is_set():
            try:
                return await Client.connect(
                    self.temporal.address, namespace=self.temporal.namespace
                )
            except RuntimeError as exc:
                logger.warning("temporal at %s: %s", self.temporal.address, exc)
                await asyncio.sleep(CONNECT_RETRY_SECONDS)
        return None

    async def _sweep(self, client: Client) -> None:
        for job_id, clips, deadline_at in self._queued():
            await self._start(client, job_id, clips, deadline_at)
        for job_id in self.store.cancel_requested():
            await self._cancel(client, job_id)
        for job_id in self.store.end_past_deadline(time.time()):
            self.dispatcher.poke()
            await self._cancel(client, job_id)
        for job_id in self._ended_since_start():
            if self.store.get(job_id).status == JobStatus.CANCELLED:
                await self._cancel(client, job_id)
            self.started.discard(job_id)
            self.cancelled.discard(job_id)

    def _queued(self) -> list[tuple[str, int, float]]:
        query = (
            select(jobs.c.id, jobs.c.composition, jobs.c.deadline_at)
            .where(jobs.c.status == JobStatus.QUEUED.value)
            .order_by(jobs.c.created_at)
        )
        with self.store.engine.connect() as connection:
            rows = connection.execute(query).all()
        return [
            (job_id, _clip_count(composition), deadline_at)
            for job_id, composition, deadline_at in rows
            if job_id not in self.started
        ]

    def _ended_since_start(self) -> list[str]:
        if not self.started:
            return []
        query = select(jobs.c.id).where(
            jobs.c.id.in_(self.started),
            jobs.c.status.in_([status.value for status in FINISHED]),
        )
        with self.store.engine.connect() as connection:
            return list(connection.execute(query).scalars())

    async def _start(
        self, client: Client, job_id: str, clips: int, deadline_at: float
    ) -> None:
        job = CompositionInput(
            job_id,
            clips,
            attempts=self.settings.step_attempts,
            heartbeat_seconds=self.temporal.heartbeat_seconds,
        )
        seconds = max(MIN_EXECUTION_SECONDS, deadline_at - time.time())
        try:
            await client.start_workflow(
                WORKFLOW_NAME,
                job,
                id=workflow_id(job_id),
                task_queue=self.temporal.task_queue,
                execution_timeout=timedelta(seconds=seconds),
            )
            logger.info("job %s: workflow started with %d clips", job_id, clips)
        except WorkflowAlreadyStartedError:
            logger.info("job %s: workflow already running", job_id)
        self.started.add(job_id)

    async def _cancel(self, client: Client, job_id: str) -> None:
        if job_id in self.cancelled:
            return
        handle: WorkflowHandle[object, object] = client.get_workflow_handle(
            workflow_id(job_id)
        )
        try:
            await handle.cancel()
            logger.info("job %s: workflow cancel requested", job_id)
        except RPCError as exc:
            logger.info("job %s: workflow not cancelled: %s", job_id, exc)
        self.cancelled.add(job_id)


def _clip_count(composition: str) -> int:
    return len(json.loads(composition).get("clips", []))
