"""The embedded runner: claims steps under leases and runs them in threads.

Three loops share one MemoryBudget and the job store:
- the scheduler claims ready steps while a worker slot is free;
- the heartbeat renews leases, stops steps whose job ended or was cancelled, and
  samples memory;
- the janitor takes back expired leases, ends jobs past their deadline, and drops
  stale cached segments.
"""

from __future__ import annotations

import logging
import os
import shutil
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import psutil

from clipstitch.errors import CancelledError, ClipError
from clipstitch.jobs.callbacks import CallbackDispatcher
from clipstitch.jobs.execute import MissingSegmentsError, StepExecutor
from clipstitch.jobs.leases import StepLeases, reopen_clips
from clipstitch.jobs.metrics import ServiceMetrics
from clipstitch.jobs.orphans import mark_owner, reap_orphans
from clipstitch.jobs.records import JsonObject, StepRecord
from clipstitch.jobs.segment_cache import SegmentCache
from clipstitch.jobs.settings import ServiceSettings
from clipstitch.jobs.states import JobStatus, StepKind
from clipstitch.jobs.store import JobStore
from clipstitch.media.processes import PROCESS_OWNER
from clipstitch.net.outbound import OutboundPolicy, safe_client
from clipstitch.pipeline.budget import MemoryBudget, plan_work
from clipstitch.pipeline.fetch import FetchSettings
from clipstitch.pipeline.memory import job_rss, tree_rss
from clipstitch.pipeline.progress import Stage
from clipstitch.pipeline.steps import StepContext
from clipstitch.spec import BadClipPolicy, Composition

logger = logging.getLogger(__name__)

HEARTBEAT_SECONDS = 0.5
JANITOR_SECONDS = 1.0
PROGRESS_SECONDS = 0.5


@dataclass
class RunningStep:
    """A claimed step and the means to stop it."""

    step: StepRecord
    cancel: threading.Event = field(default_factory=threading.Event)
    stage: Stage | None = None
    stage_started: float = 0.0
    progress: float = 0.0
    reported_at: float = 0.0


class Runner:
    """Runs the steps of all jobs in this process, inside one memory budget."""

    def __init__(
        self,
        settings: ServiceSettings,
        store: JobStore,
        executor: StepExecutor,
        budget: MemoryBudget,
        metrics: ServiceMetrics,
        dispatcher: CallbackDispatcher,
    ) -> None:
        self.settings = settings
        self.store = store
        self.executor = executor
        self.budget = budget
        self.metrics = metrics
        self.dispatcher = dispatcher
        self.owner = f"{os.getpid()}-{uuid.uuid4().hex[:8]}"
        self.leases = StepLeases(store.engine, self.owner)
        self.segment_cache = SegmentCache(
            store,
            settings.segment_dir,
            settings.segment_cache_seconds,
            settings.segment_cache_bytes,
        )
        self.workers = settings.workers or os.cpu_count() or 1
        self.running: dict[int, RunningStep] = {}
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._beat_now = threading.Event()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._http = safe_client(
            OutboundPolicy.from_strings(settings.outbound_allow),
            timeout=settings.download_timeout,
        )

    def start(self) -> None:
        """Start the scheduler, heartbeat, janitor and callback loops."""
        reap_orphans(self.settings.work_dir)
        for name, loop in (
            ("scheduler", self._schedule),
            ("heartbeat", self._heartbeat),
            ("janitor", self._janitor),
            ("callbacks", self.dispatcher.run),
        ):
            thread = threading.Thread(target=loop, name=f"runner-{name}", daemon=True)
            thread.start()
            self._threads.append(thread)
        logger.info("runner %s started with %d workers", self.owner, self.workers)

    def stop(self, timeout: float = 10.0) -> None:
        """Stop claiming, cancel running steps and wait for them (they will retry)."""
        self._stop.set()
        self.dispatcher.stop()
        self._wake.set()
        self._beat_now.set()
        with self._lock:
            active = list(self.running.values())
        for running in active:
            running.cancel.set()
        deadline = time.monotonic() + timeout
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        self._http.close()

    def poke(self) -> None:
        """Something changed (a submit or a cancel): look again now."""
        self._wake.set()
        self._beat_now.set()

    def _schedule(self) -> None:
        while not self._stop.is_set():
            claimed = self._claim_one() if self._has_slot() else None
            if claimed is None:
                self._wake.wait(self.settings.poll_seconds)
                self._wake.clear()

    def _has_slot(self) -> bool:
        with self._lock:
            return len(self.running) < self.workers

    def _claim_one(self) -> StepRecord | None:
        step = self.leases.claim(self.settings.lease_seconds, lambda _step: True)
        if step is None:
            return None
        self.store.mark_started(step.job_id)
        running = RunningStep(step)
        with self._lock:
            self.running[step.id] = running
        thread = threading.Thread(
            target=self._run, args=(running,), name=f"step-{step.id}", daemon=True
        )
        thread.start()
        logger.info(
            "job %s step %d (%s) claimed, attempt %d",
            step.job_id,
            step.position,
            step.kind,
            step.attempts,
        )
        return step

    def _run(self, running: RunningStep) -> None:
        step = running.step
        PROCESS_OWNER.set(step.job_id)  # this thread's own context: no reset needed
        workdir = self.settings.work_dir / step.job_id / f"step-{step.position}"
        started = time.monotonic()
        try:
            shutil.rmtree(workdir, ignore_errors=True)
            workdir.mkdir(parents=True)
            mark_owner(workdir)
            self._execute(running, workdir)
        except Exception:
            logger.exception("job %s step %d crashed", step.job_id, step.position)
        finally:
            self._end_stage(running)
            self.metrics.observe_step(step.kind, time.monotonic() - started)
            shutil.rmtree(workdir, ignore_errors=True)
            with self._lock:
                del self.running[step.id]
            self._tidy_job(step.job_id)
            self._wake.set()

    def _execute(self, running: RunningStep, workdir: Path) -> None:
        step = running.step
        job = self.store.get(step.job_id)
        context = self._context(running, job.composition)
        # A sample now, so that a step quicker than the heartbeat still counts.
        self._sample_job_memory([job.id])
        try:
            if step.kind == StepKind.CLIP:
                segment = self.executor.run_clip(
                    job,
                    step,
                    workdir,
                    context,
                    lambda stage: self._stage(running, stage),
                )
                self._clip_done(step, segment.to_dict(), list(segment.warnings))
            else:
                steps = self.store.steps(job.id)
                summary = self.executor.run_join(
                    job,
                    steps,
                    workdir,
                    context,
                    lambda stage: self._stage(running, stage),
                )
                self._join_done(step, summary)
        except CancelledError:
            self._cancelled(running)
        except ClipError as exc:
            self._clip_failed(step, exc, job.composition)
        except MissingSegmentsError as exc:
            logger.warning("job %s: %s; redoing them", step.job_id, exc)
            reopen_clips(self.store.engine, step.job_id, exc.positions)
        except Exception as exc:
            self._step_failed(step, exc)

    def _context(self, running: RunningStep, composition: JsonObject) -> StepContext:
        output = Composition.model_validate(composition).output
        plan = plan_work(self.budget.total_bytes, output)
        threads = max(1, min(plan.threads, (os.cpu_count() or 1) // self.workers))
        return StepContext(
            threads=threads,
            cancel=running.cancel,
            on_progress=lambda fraction: self._progress(running, fraction),
            on_stage=lambda stage: self._stage(running, stage),
            budget=self.budget,
            fetch_settings=FetchSettings(
                read_timeout=self.settings.download_timeout,
                max_bytes=self.settings.max_download_bytes,
            ),
            http_client=self._http,
        )

    def _stage(self, running: RunningStep, stage: Stage) -> None:
        if stage == running.stage:
            return  # announced again by a lower layer: the stage goes on
        self._end_stage(running)
        running.stage = stage
        running.stage_started = time.monotonic()
        running.progress = 0.0
        self.leases.report(running.step.id, stage, 0.0)

    def _end_stage(self, running: RunningStep) -> None:
        if running.stage is not None and running.stage != Stage.DONE:
            seconds = time.monotonic() - running.stage_started
            self.metrics.observe_stage(running.stage, seconds)

    def _progress(self, running: RunningStep, fraction: float) -> None:
        running.progress = fraction
        now = time.monotonic()
        if running.stage is not None and now - running.reported_at >= PROGRESS_SECONDS:
            running.reported_at = now
            self.leases.report(running.step.id, running.stage, fraction)

    def _clip_done(
        self, step: StepRecord, result: JsonObject, warnings: list[str]
    ) -> None:
        if self.leases.complete(step, result, warnings):
            logger.info("job %s clip %d done", step.job_id, step.position)

    def _join_done(self, step: StepRecord, summary: JsonObject) -> None:
        if not self.leases.complete(step, summary, []):
            return
        self.store.finish(
            step.job_id,
            JobStatus.SUCCEEDED,
            progress=1.0,
            output_key=summary["key"],
            output_bytes=summary["bytes"],
            output_summary=summary,
        )
        self._ended(step.job_id, JobStatus.SUCCEEDED)

    def _cancelled(self, running: RunningStep) -> None:
        step = running.step
        if self._stop.is_set():
            self.leases.fail(step, {"message": "server stopped"}, retry=True)
            return
        job = self.store.get(step.job_id)
        if job.cancel_requested and self.store.finish(job.id, JobStatus.CANCELLED):
            self._ended(job.id, JobStatus.CANCELLED)

    def _clip_failed(
        self, step: StepRecord, exc: ClipError, composition: JsonObject
    ) -> None:
        error = _clip_error(exc)
        policy = Composition.model_validate(composition).on_bad_clip
        if step.kind == StepKind.CLIP and policy == BadClipPolicy.SKIP:
            if self.leases.skip(step, error):
                self.store.add_warning(step.job_id, f"skipped: {exc}")
            return
        if self.leases.fail(step, error, retry=False):
            self._fail_job(step.job_id, error)

    def _step_failed(self, step: StepRecord, exc: Exception) -> None:
        error = {"message": str(exc), "reason": str(exc), "type": type(exc).__name__}
        retry = step.attempts < self.settings.step_attempts
        logger.warning(
            "job %s step %d failed (attempt %d): %s",
            step.job_id,
            step.position,
            step.attempts,
            exc,
        )
        if self.leases.fail(step, error, retry=retry) and not retry:
            self._fail_job(step.job_id, error)

    def _fail_job(self, job_id: str, error: JsonObject) -> None:
        if self.store.finish(job_id, JobStatus.FAILED, error=error):
            self._ended(job_id, JobStatus.FAILED)

    def _ended(self, job_id: str, status: JobStatus) -> None:
        logger.info("job %s %s", job_id, status)
        self.metrics.job_finished(self.store.get(job_id))
        self._stop_job_steps(job_id)
        self.dispatcher.poke()

    def _stop_job_steps(self, job_id: str) -> None:
        with self._lock:
            for running in self.running.values():
                if running.step.job_id == job_id:
                    running.cancel.set()

    def _tidy_job(self, job_id: str) -> None:
        with self._lock:
            busy = any(r.step.job_id == job_id for r in self.running.values())
        if not busy and self.store.get(job_id).status.finished:
            shutil.rmtree(self.settings.work_dir / job_id, ignore_errors=True)

    def _heartbeat(self) -> None:
        process = psutil.Process()
        while not self._stop.is_set():
            self._beat_now.wait(HEARTBEAT_SECONDS)
            self._beat_now.clear()
            try:
                self._beat(process)
            except Exception:
                logger.exception("heartbeat failed")

    def _beat(self, process: psutil.Process) -> None:
        for job_id in self.store.cancel_requested():
            if self.store.finish(job_id, JobStatus.CANCELLED):
                self._ended(job_id, JobStatus.CANCELLED)
        with self._lock:
            active = dict(self.running)
        held = self.leases.renew(active, self.settings.lease_seconds)
        for step_id, running in active.items():
            if step_id not in held:
                running.cancel.set()
        job_ids = sorted({running.step.job_id for running in active.values()})
        if job_ids:
            self.metrics.memory_sample(tree_rss(process))
            self._sample_job_memory(job_ids)

    def _sample_job_memory(self, job_ids: list[str]) -> None:
        for job_id, rss in job_rss(job_ids, psutil.Process()).items():
            self.store.raise_peak_memory([job_id], rss)

    def _janitor(self) -> None:
        while not self._stop.wait(JANITOR_SECONDS):
            try:
                self._sweep()
            except Exception:
                logger.exception("janitor failed")

    def _sweep(self) -> None:
        for expired in self.leases.expire(self.settings.step_attempts):
            step = expired.step
            logger.warning(
                "job %s step %d: lease of %s expired",
                step.job_id,
                step.position,
                step.lease_owner,
            )
            if expired.exhausted:
                self._fail_job(
                    step.job_id, {"message": "step kept crashing its runner"}
                )
            self._wake.set()
        for job_id in self.store.end_past_deadline(time.time()):
            self._ended(job_id, JobStatus.FAILED)
        self.segment_cache.evict()


def _clip_error(exc: ClipError) -> JsonObject:
    return {
        "message": str(exc),
        "clip_index": exc.index,
        "source": exc.source,
        "reason": exc.reason,
        "type": type(exc).__name__,
    }
