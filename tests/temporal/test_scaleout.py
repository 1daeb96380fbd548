"""Compositions on Temporal workers: shared work, crash recovery, cancel, output."""

from __future__ import annotations

import time
from pathlib import Path

import psutil
import pytest
from sqlalchemy import create_engine, select

from clipstitch import Composition, compose
from clipstitch.jobs.tables import steps
from service.helpers import wait_for
from temporal.checks import (
    SLOW_OUTPUT,
    TINY_OUTPUT,
    bucket,
    object_keys,
    probe,
)
from temporal.cluster import WorkerProcess
from temporal.conftest import Cluster

pytestmark = pytest.mark.timeout(300)


def _spec(clips: list[Path], output: dict[str, object]) -> dict[str, object]:
    return {"clips": [str(clip) for clip in clips], "output": output}


def _running_clip_on(worker: WorkerProcess) -> bool:
    return bool(worker.ffmpeg())


def _stopped(processes: list[psutil.Process]) -> bool:
    return not any(process.is_running() and process.status() != "zombie"
                   for process in processes)  # fmt: skip


def test_two_workers_share_a_24_clip_composition(
    cluster: Cluster, tiny_clips: list[Path], tmp_path: Path
) -> None:
    server = cluster.api(tiny_clips[0].parent)
    workers = [cluster.worker(), cluster.worker()]
    spec = _spec(tiny_clips, TINY_OUTPUT)
    with server.client() as client:
        job = client.post("/v1/compositions", json=spec).json()
        done = cluster.wait_finished(job["id"])
        assert done["status"] == "succeeded", done
        assert [clip["status"] for clip in done["clips"]] == ["done"] * 24
        # Sampled on the workers: a worker's Python and the job's own ffmpeg.
        assert done["peak_memory_bytes"] > 50 << 20
        output = tmp_path / "temporal.mp4"
        response = client.get(f"/v1/compositions/{job['id']}/output")
        assert response.status_code == 307
    storage = bucket(cluster.env)
    storage.download(done["output"]["key"], output)

    owners = _clip_owners(cluster, job["id"])
    assert {worker.pid for worker in workers} <= owners, owners

    embedded = tmp_path / "embedded.mp4"
    compose(Composition.model_validate(spec), embedded)
    assert probe(output) == probe(embedded)


def _clip_steps(cluster: Cluster, job_id: str) -> list[dict[str, object]]:
    engine = create_engine(cluster.env["CLIPSTITCH_DATABASE_URL"])
    query = (
        select(steps)
        .where(steps.c.job_id == job_id, steps.c.kind == "clip")
        .order_by(steps.c.position)
    )
    with engine.connect() as connection:
        rows = [dict(row) for row in connection.execute(query).mappings()]
    engine.dispose()
    return rows


def _clip_owners(cluster: Cluster, job_id: str) -> set[int]:
    owners = {str(step["lease_owner"]) for step in _clip_steps(cluster, job_id)}
    return {int(owner.rsplit("-", 1)[1]) for owner in owners}


def test_kill_9_of_a_worker_mid_clip_still_finishes_once(
    cluster: Cluster, tiny_clips: list[Path], long_clip: Path, tmp_path: Path
) -> None:
    server = cluster.api(long_clip.parent.parent)
    victim = cluster.worker(CLIPSTITCH_TEMPORAL_MAX_CONCURRENT="1")
    clips = [long_clip, *tiny_clips[:3]]
    spec = _spec(clips, SLOW_OUTPUT)
    with server.client() as client:
        job = client.post("/v1/compositions", json=spec).json()
        wait_for(lambda: _running_clip_on(victim), timeout=60)
        orphans = victim.ffmpeg()
        victim.kill9()
        for process in orphans:
            process.kill()
        killed_at = time.monotonic()
        cluster.worker()
        done = cluster.wait_finished(job["id"])
    assert done["status"] == "succeeded", done
    assert time.monotonic() - killed_at < 120
    attempts = [step["attempts"] for step in _clip_steps(cluster, job["id"])]
    # The clip killed mid-run ran again, once; no other clip ran twice.
    assert sorted(attempts) == [1] * (len(clips) - 1) + [2], attempts

    storage = bucket(cluster.env)
    keys = object_keys(storage)
    assert [key for key in keys if key.startswith("outputs/")] == [
        f"outputs/{job['id']}.mp4"
    ]
    assert len([key for key in keys if key.endswith(".json")]) == len(clips)
    output = tmp_path / "out.mp4"
    storage.download(done["output"]["key"], output)
    embedded = tmp_path / "embedded.mp4"
    compose(Composition.model_validate(spec), embedded)
    assert probe(output) == probe(embedded)


def test_cancel_mid_job_stops_ffmpeg(cluster: Cluster, long_clip: Path) -> None:
    server = cluster.api(long_clip.parent)
    worker = cluster.worker()
    spec = _spec([long_clip] * 4, SLOW_OUTPUT)
    with server.client() as client:
        job = client.post("/v1/compositions", json=spec).json()
        wait_for(lambda: _running_clip_on(worker), timeout=60)
        running = worker.ffmpeg()
        asked = time.monotonic()
        assert client.post(f"/v1/compositions/{job['id']}/cancel").status_code == 200
        wait_for(lambda: _stopped(running), timeout=15)
        stopped_in = time.monotonic() - asked
        done = cluster.wait_finished(job["id"], timeout=30)
    assert done["status"] == "cancelled", done["error"]
    assert stopped_in < 10
    assert worker.process is not None and worker.process.poll() is None
    assert not worker.ffmpeg()
