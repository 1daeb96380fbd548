"""Cancel, kill -9 and restart, and the per-job deadline, with ffmpeg running."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

from service.conftest import ServerFactory
from service.helpers import SLOW_OUTPUT, SMALL_OUTPUT, wait_finished, wait_for


def _running_clip(client, job_id: str, index: int):  # type: ignore[no-untyped-def]
    job = client.get(f"/v1/compositions/{job_id}").json()
    clip = job["clips"][index]
    return job if clip["status"] == "running" and clip["progress"] > 0 else None


def test_cancel_stops_ffmpeg_within_two_seconds(
    start_server: ServerFactory, clips: Path
) -> None:
    server = start_server()
    spec = {"clips": [str(clips / "long.mp4")], "output": SLOW_OUTPUT}
    with server.client() as client:
        job_id = client.post("/v1/compositions", json=spec).json()["id"]
        wait_for(lambda: _running_clip(client, job_id, 0), timeout=30)
        assert server.ffmpeg_children()
        asked = time.monotonic()
        cancelled = client.post(f"/v1/compositions/{job_id}/cancel")
        assert cancelled.status_code == 200
        wait_for(lambda: not server.ffmpeg_children(), timeout=2, interval=0.05)
        stopped_after = time.monotonic() - asked
        job = wait_finished(client, job_id, timeout=5)
    assert stopped_after < 2
    assert job["status"] == "cancelled"
    assert job["output"] is None
    wait_for(lambda: not (server.data_dir / "work" / job_id).exists(), timeout=3)


def test_kill9_mid_job_then_restart_finishes_once(
    start_server: ServerFactory, clips: Path
) -> None:
    env = {"CLIPSTITCH_WORKERS": "1", "CLIPSTITCH_LEASE_SECONDS": "2"}
    first = start_server(**env)
    sources = [str(clips / name) for name in ("c0.mp4", "c1.mp4", "long.mp4")]
    spec = {"clips": sources, "output": SLOW_OUTPUT}
    with first.client() as client:
        job_id = client.post("/v1/compositions", json=spec).json()["id"]
        before = wait_for(lambda: _running_clip(client, job_id, 2), timeout=60)
    first.kill9()

    second = start_server(**env)
    with second.client() as client:
        seen = _progress_until_finished(client, job_id, timeout=120)
        job = wait_finished(client, job_id, timeout=5)
    assert job["status"] == "succeeded", job
    # The redone clip starts again from zero; the job's progress does not.
    assert min(seen) >= before["progress"]
    assert seen == sorted(seen)
    attempts = _attempts(second.data_dir / "jobs.db", job_id)
    assert attempts[:2] == [1, 1], "finished clips were redone"
    assert attempts[2] == 2
    outputs = list((second.data_dir / "objects" / "outputs").iterdir())
    assert [path.name for path in outputs] == [f"{job_id}.mp4"]


def test_deadline_ends_a_job(start_server: ServerFactory, clips: Path) -> None:
    server = start_server(CLIPSTITCH_WORKERS="1")
    # Six slow clips one after another: seconds of work even on an idle machine.
    spec = {"clips": [str(clips / "long.mp4")] * 6, "output": SLOW_OUTPUT,
            "deadline_seconds": 1.5}  # fmt: skip
    with server.client() as client:
        job_id = client.post("/v1/compositions", json=spec).json()["id"]
        job = wait_finished(client, job_id, timeout=10)
    assert job["status"] == "failed"
    assert job["error"]["reason"] == "deadline exceeded"
    assert "deadline of 1.5 s" in job["error"]["message"]
    wait_for(lambda: not server.ffmpeg_children(), timeout=3)


def test_cancel_queued_job_is_immediate(
    start_server: ServerFactory, clips: Path
) -> None:
    server = start_server(CLIPSTITCH_WORKERS="1")
    busy = {"clips": [str(clips / "long.mp4")], "output": SLOW_OUTPUT}
    queued = {"clips": [str(clips / "c0.mp4")], "output": SMALL_OUTPUT}
    with server.client() as client:
        first = client.post("/v1/compositions", json=busy).json()["id"]
        wait_for(lambda: _running_clip(client, first, 0), timeout=30)
        second = client.post("/v1/compositions", json=queued).json()["id"]
        job = client.post(f"/v1/compositions/{second}/cancel").json()
        client.post(f"/v1/compositions/{first}/cancel")
    assert job["status"] == "cancelled"


def _attempts(database: Path, job_id: str) -> list[int]:
    with sqlite3.connect(database) as connection:
        rows = connection.execute(
            "SELECT attempts FROM steps WHERE job_id = ? AND kind = 'clip' "
            "ORDER BY position",
            (job_id,),
        ).fetchall()
    return [row[0] for row in rows]


def _progress_until_finished(client, job_id: str, timeout: float) -> list[float]:  # type: ignore[no-untyped-def]
    """The job's progress, polled until it ends."""
    seen = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = client.get(f"/v1/compositions/{job_id}").json()
        seen.append(job["progress"])
        if job["status"] in ("succeeded", "failed", "cancelled"):
            return seen
        time.sleep(0.1)
    raise AssertionError(f"job {job_id} did not end in {timeout} s")
