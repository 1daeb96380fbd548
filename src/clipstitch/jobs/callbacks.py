"""The callback schedule: deliver each finished job's status at least once."""

from __future__ import annotations

import logging
import threading
import time

from clipstitch.jobs.records import JobRecord
from clipstitch.jobs.states import CallbackStatus
from clipstitch.jobs.store import JobStore
from clipstitch.jobs.views import JobView, job_view
from clipstitch.net.callbacks import (
    MAX_BODY_BYTES,
    Outcome,
    callback_client,
    deliver,
    redact_url,
)
from clipstitch.net.outbound import OutboundPolicy

logger = logging.getLogger(__name__)

MAX_BACKOFF_SECONDS = 300.0
IDLE_SECONDS = 1.0


def callback_body(view: JobView) -> bytes:
    """The job as JSON; without its warnings when they would make it too large.

    Thousands of clips with warnings can pass what a callback may carry; the
    status, output and errors still fit, and the job's page keeps every warning.
    """
    body = view.model_dump_json().encode()
    if len(body) <= MAX_BODY_BYTES:
        return body
    note = (
        f"warnings left out of this callback ({len(body)} bytes, over "
        f"{MAX_BODY_BYTES}); GET /v1/compositions/{view.id} lists them"
    )
    clips = [clip.model_copy(update={"warnings": []}) for clip in view.clips]
    trimmed = view.model_copy(update={"clips": clips, "warnings": [note]})
    return trimmed.model_dump_json().encode()


class CallbackDispatcher:
    """Finds due callbacks in the store, posts them, and schedules retries."""

    def __init__(
        self,
        store: JobStore,
        policy: OutboundPolicy,
        secret: bytes,
        *,
        attempts: int,
        backoff_seconds: float,
        timeout: float,
    ) -> None:
        self.store = store
        self.secret = secret
        self.attempts = attempts
        self.backoff_seconds = backoff_seconds
        self.client = callback_client(policy, timeout)
        self._wake = threading.Event()
        self._stop = threading.Event()

    def run(self) -> None:
        """Deliver due callbacks until stopped."""
        while not self._stop.is_set():
            try:
                due = self.store.due_callbacks(time.time())
                for job in due:
                    self.attempt(job)
            except Exception:
                logger.exception("callback loop failed")
                due = []
            if not due:
                self._wake.wait(IDLE_SECONDS)
                self._wake.clear()
        self.client.close()

    def poke(self) -> None:
        self._wake.set()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()

    def attempt(self, job: JobRecord) -> None:
        """One delivery attempt for a finished job."""
        url = job.callback_url or ""
        body = callback_body(job_view(job, self.store.steps(job.id)))
        result = deliver(self.client, url, body, self.secret, event_id=job.id)
        attempts = job.callback_attempts + 1
        logger.info(
            "job %s callback to %s: attempt %d, %s",
            job.id,
            redact_url(url),
            attempts,
            result.detail,
        )
        if result.outcome == Outcome.DELIVERED:
            self.store.record_callback(
                job.id, CallbackStatus.DELIVERED, attempts, None, None
            )
        elif result.outcome == Outcome.RETRY and attempts < self.attempts:
            delay = min(MAX_BACKOFF_SECONDS, self.backoff_seconds * 2 ** (attempts - 1))
            self.store.record_callback(
                job.id,
                CallbackStatus.PENDING,
                attempts,
                time.time() + delay,
                result.detail,
            )
        else:
            self.store.record_callback(
                job.id, CallbackStatus.FAILED, attempts, None, result.detail
            )
