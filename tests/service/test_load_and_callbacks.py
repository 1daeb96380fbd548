"""Twenty jobs inside a memory ceiling; signed callbacks with retries."""

from __future__ import annotations

import json
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import psutil
import pytest

from clipstitch.jobs.callbacks import callback_body
from clipstitch.jobs.states import JobStatus, StepStatus
from clipstitch.jobs.views import ClipView, JobView, OutputView
from clipstitch.net.callbacks import MAX_BODY_BYTES
from clipstitch.net.signing import SIGNATURE_HEADER, verify
from service.conftest import ServerFactory
from service.helpers import (
    CALLBACK_SECRET,
    SLOW_OUTPUT,
    SMALL_OUTPUT,
    callback_receiver,
    wait_finished,
    wait_for,
)

CEILING = 450 * 1024 * 1024


def test_twenty_jobs_queue_within_memory_ceiling(
    start_server: ServerFactory, clips: Path
) -> None:
    server = start_server(CLIPSTITCH_MAX_MEMORY=str(CEILING))
    assert server.process is not None
    peak = _PeakSampler(server.process.pid)
    sources = [str(clips / "c0.mp4"), str(clips / "c1.mp4")]
    with server.client() as client, peak:
        ids = [
            client.post(
                "/v1/compositions", json={"clips": sources, "output": SMALL_OUTPUT}
            ).json()["id"]
            for _ in range(20)
        ]
        queued = client.get("/v1/compositions", params={"status": "queued"}).json()
        jobs = [wait_finished(client, job_id, timeout=300) for job_id in ids]
    assert queued["total"] > 0, "submissions should wait for the runner"
    assert [job["status"] for job in jobs] == ["succeeded"] * 20
    assert 0 < peak.peak_bytes < CEILING
    assert max(job["peak_memory_bytes"] for job in jobs) < CEILING


class _PeakSampler:
    """Samples the RSS of a process tree from outside."""

    def __init__(self, pid: int) -> None:
        self.process = psutil.Process(pid)
        self.peak_bytes = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> _PeakSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.wait(0.05):
            total = 0
            for member in [self.process, *self.process.children(recursive=True)]:
                try:
                    total += member.memory_info().rss
                except psutil.Error:
                    continue
            self.peak_bytes = max(self.peak_bytes, total)


def test_callback_signed_retried_and_delivered(
    start_server: ServerFactory, clips: Path
) -> None:
    receiver, received = callback_receiver([500, 503])
    server = start_server(
        CLIPSTITCH_OUTBOUND_ALLOW=f"127.0.0.1:{receiver.port}",
        CLIPSTITCH_CALLBACK_BACKOFF_SECONDS="0.2",
    )
    url = f"{receiver.url}/api/v1/waitpoints/tokens/waitpoint_abc/callback/secret"
    spec = {
        "clips": [str(clips / "c0.mp4")],
        "output": SMALL_OUTPUT,
        "callback_url": url,
    }
    with server.client() as client:
        job_id = client.post("/v1/compositions", json=spec).json()["id"]
        wait_finished(client, job_id)
        wait_for(lambda: len(received) == 3, timeout=15)
        time.sleep(0.5)
        job = client.get(f"/v1/compositions/{job_id}").json()
    receiver.close()
    assert [call.answered for call in received] == [500, 503, 200]
    last = received[-1]
    assert int(last.headers["Content-Length"]) == len(last.body)
    verify(CALLBACK_SECRET.encode(), last.headers[SIGNATURE_HEADER], last.body)
    payload = json.loads(last.body)
    assert payload["id"] == job_id and payload["status"] == "succeeded"
    assert last.headers["Idempotency-Key"] == job_id
    assert job["callback"] == {"status": "delivered", "attempts": 3, "error": None}
    assert "waitpoint_abc" not in server.log(), "callback URL is a credential"


def test_callback_stops_on_4xx(start_server: ServerFactory, clips: Path) -> None:
    receiver, received = callback_receiver([404])
    server = start_server(CLIPSTITCH_OUTBOUND_ALLOW=f"127.0.0.1:{receiver.port}")
    spec = {"clips": [str(clips / "long.mp4")], "output": SLOW_OUTPUT,
            "callback_url": f"{receiver.url}/hook"}  # fmt: skip
    with server.client() as client:
        job_id = client.post("/v1/compositions", json=spec).json()["id"]
        client.post(f"/v1/compositions/{job_id}/cancel")
        wait_for(lambda: received, timeout=10)
        time.sleep(1.5)
        job = client.get(f"/v1/compositions/{job_id}").json()
    receiver.close()
    assert len(received) == 1
    assert json.loads(received[0].body)["status"] == "cancelled"
    assert job["callback"]["status"] == "failed"


def test_signature_rejects_tampering() -> None:
    from clipstitch.net.signing import SignatureError, sign

    header = sign(b"k", b'{"a":1}')
    verify(b"k", header, b'{"a":1}')
    with pytest.raises(SignatureError):
        verify(b"k", header, b'{"a":2}')
    with pytest.raises(SignatureError):
        verify(b"k", sign(b"k", b"x", timestamp=1), b"x")


def test_an_oversized_callback_keeps_status_and_output_without_warnings() -> None:
    now = datetime.now(UTC)
    many = [f"audio shorter than the video by 0.{index} s" for index in range(9)]
    clips = [
        ClipView(
            index=index,
            source=f"https://media.example.com/{index}.mp4",
            status=StepStatus.DONE,
            progress=1.0,
            warnings=many,
        )
        for index in range(10_000)
    ]
    view = JobView(
        id="job-1",
        status=JobStatus.SUCCEEDED,
        progress=1.0,
        created_at=now,
        deadline_at=now,
        clips=clips,
        warnings=many * 100,
        peak_memory_bytes=1 << 28,
        output=OutputView(url="/v1/compositions/job-1/output", key="k", bytes=10),
        metadata={"order": "A-1"},
    )
    assert len(view.model_dump_json()) > MAX_BODY_BYTES

    body = callback_body(view)
    sent = JobView.model_validate_json(body)

    assert len(body) <= MAX_BODY_BYTES
    assert sent.status is JobStatus.SUCCEEDED and sent.output == view.output
    assert len(sent.clips) == 10_000 and not sent.clips[0].warnings
    assert sent.warnings == [sent.warnings[0]] and "job-1" in sent.warnings[0]
    assert callback_body(sent) == sent.model_dump_json().encode()  # small: as is
