"""The whole submit → poll → download path through a real server and ffmpeg."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from clipstitch.client import ApiError, AsyncClipstitchClient, ClipstitchClient
from service.conftest import REAL_CLIPS, ServerFactory
from service.helpers import API_KEY, SMALL_OUTPUT, probe_duration, wait_finished


def test_submit_poll_download(
    start_server: ServerFactory, clips: Path, tmp_path: Path
) -> None:
    server = start_server()
    spec = {
        "clips": [
            str(clips / "c0.mp4"),
            {"source": str(clips / "c1.mp4"), "start": 0.5},
        ],
        "output": SMALL_OUTPUT,
        "metadata": {"order": "A-1"},
    }
    with server.client() as client:
        submitted = client.post("/v1/compositions", json=spec)
        assert submitted.status_code == 202, submitted.text
        job = wait_finished(client, submitted.json()["id"])
        assert job["status"] == "succeeded", job
        assert job["progress"] == 1.0
        assert job["metadata"] == {"order": "A-1"}
        assert [clip["status"] for clip in job["clips"]] == ["done", "done"]
        assert job["peak_memory_bytes"] > 0
        output = client.get(job["output"]["url"])
    assert output.status_code == 200
    assert output.headers["content-type"] == "video/mp4"
    (tmp_path / "out.mp4").write_bytes(output.content)
    probed = probe_duration(tmp_path / "out.mp4")
    assert float(probed["format"]["duration"]) == pytest.approx(1.5, abs=0.05)
    video = next(s for s in probed["streams"] if s["codec_type"] == "video")
    assert (video["width"], video["height"]) == (320, 240)


def test_a_title_card_without_a_source_is_listed_by_its_text(
    start_server: ServerFactory,
) -> None:
    server = start_server()
    card = {"title": {"text": "Hello", "size": 32}, "duration": 1}
    with server.client() as client:
        submitted = client.post(
            "/v1/compositions", json={"clips": [card], "output": SMALL_OUTPUT}
        )
        assert submitted.status_code == 202, submitted.text
        job = wait_finished(client, submitted.json()["id"])
        listed = client.get("/v1/compositions", params={"limit": 5})
        refused = client.post(
            "/v1/compositions",
            json={"clips": [{**card, "title": {"text": "a\u0000b"}}]},
        )
    assert job["status"] == "succeeded", job
    assert job["clips"][0]["source"] == "title card 'Hello'"
    assert listed.status_code == 200, listed.text
    assert refused.status_code == 422
    assert "control character U+0000" in refused.text


def test_real_clips_and_a_bad_clip_named(
    start_server: ServerFactory, clips: Path
) -> None:
    server = start_server()
    good = [str(REAL_CLIPS / "sample_rotate_and_reflect.mp4"), str(clips / "c0.mp4")]
    bad = str(REAL_CLIPS / "sample_audio_only.mp4")
    with server.client() as client:
        ok = client.post(
            "/v1/compositions", json={"clips": good, "output": SMALL_OUTPUT}
        )
        failing = client.post(
            "/v1/compositions", json={"clips": [good[1], bad], "output": SMALL_OUTPUT}
        )
        assert wait_finished(client, ok.json()["id"])["status"] == "succeeded"
        job = wait_finished(client, failing.json()["id"])
    assert job["status"] == "failed"
    assert job["error"]["clip_index"] == 1
    assert job["error"]["source"] == bad
    assert job["error"]["reason"]
    assert job["output"] is None


def test_skip_policy_warns(start_server: ServerFactory, clips: Path) -> None:
    server = start_server()
    bad = str(REAL_CLIPS / "sample_audio_only.mp4")
    spec = {"clips": [str(clips / "c0.mp4"), bad], "output": SMALL_OUTPUT,
            "on_bad_clip": "skip"}  # fmt: skip
    with server.client() as client:
        job = wait_finished(
            client, client.post("/v1/compositions", json=spec).json()["id"]
        )
    assert job["status"] == "succeeded"
    assert job["clips"][1]["status"] == "skipped"
    assert any("clip 1" in warning for warning in job["warnings"])


def test_idempotency_key(start_server: ServerFactory, clips: Path) -> None:
    server = start_server()
    spec = {"clips": [str(clips / "c0.mp4")], "output": SMALL_OUTPUT}
    headers = {"Idempotency-Key": "order-42"}
    with server.client() as client:
        first = client.post("/v1/compositions", json=spec, headers=headers)
        again = client.post("/v1/compositions", json=spec, headers=headers)
        other = client.post(
            "/v1/compositions", json={**spec, "metadata": {"x": 1}}, headers=headers
        )
        listed = client.get("/v1/compositions").json()
    assert first.status_code == 202
    assert again.status_code == 200
    assert again.json()["id"] == first.json()["id"]
    assert other.status_code == 409
    assert listed["total"] == 1


def test_auth_health_metrics_list(start_server: ServerFactory, clips: Path) -> None:
    server = start_server()
    assert httpx.get(f"{server.url}/healthz").status_code == 200
    assert httpx.get(f"{server.url}/v1/compositions").status_code == 401
    wrong = {"Authorization": "Bearer nope"}
    assert httpx.get(f"{server.url}/metrics", headers=wrong).status_code == 401
    with server.client() as client:
        job = client.post(
            "/v1/compositions",
            json={"clips": [str(clips / "c0.mp4")], "output": SMALL_OUTPUT},
        ).json()
        wait_finished(client, job["id"])
        assert client.get("/v1/compositions/nope").status_code == 404
        succeeded = client.get(
            "/v1/compositions", params={"status": "succeeded"}
        ).json()
        failed = client.get("/v1/compositions", params={"status": "failed"}).json()
        metrics = client.get("/metrics").text
        schema = client.get("/openapi.json").json()
    assert [item["id"] for item in succeeded["items"]] == [job["id"]]
    assert failed["total"] == 0
    assert 'clipstitch_jobs{status="succeeded"} 1.0' in metrics
    assert "clipstitch_queue_depth" in metrics
    assert 'clipstitch_step_duration_seconds_count{kind="clip"} 1.0' in metrics
    for stage in ("fetching", "probing", "normalizing", "joining", "uploading"):
        counted = f'clipstitch_stage_duration_seconds_count{{stage="{stage}"}} 1.0'
        assert counted in metrics
    assert "clipstitch_peak_memory_bytes" in metrics
    assert "/v1/compositions/{job_id}/cancel" in schema["paths"]


def test_python_clients(
    start_server: ServerFactory, clips: Path, tmp_path: Path
) -> None:
    server = start_server()
    spec = {"clips": [str(clips / "c0.mp4")], "output": SMALL_OUTPUT}
    seen: list[float] = []
    with ClipstitchClient(server.url, api_key=API_KEY) as client:
        job = client.submit(spec, idempotency_key="sync-1")
        done = client.wait(
            job.id, poll_seconds=0.2, on_progress=lambda j: seen.append(j.progress)
        )
        path = client.download(done.id, tmp_path / "sync.mp4")
        with pytest.raises(ApiError) as refused:
            client.submit({"clips": ["/etc/passwd"]})
    assert done.status == "succeeded" and seen[-1] == 1.0
    assert path.stat().st_size == done.output.bytes if done.output else False
    assert refused.value.status_code == 422

    async def use_async() -> str:
        async with AsyncClipstitchClient(server.url, api_key=API_KEY) as client:
            job = await client.submit(spec, idempotency_key="async-1")
            await client.wait(job.id, poll_seconds=0.2)
            await client.download(job.id, tmp_path / "async.mp4")
            return (await client.get(job.id)).status.value

    assert asyncio.run(use_async()) == "succeeded"
    assert (tmp_path / "async.mp4").stat().st_size > 0


def test_cli_submit_wait_and_status(
    start_server: ServerFactory, clips: Path, tmp_path: Path
) -> None:
    server = start_server()
    spec = tmp_path / "spec.json"
    spec.write_text(
        json.dumps({"clips": [str(clips / "c0.mp4")], "output": SMALL_OUTPUT})
    )
    env = {"CLIPSTITCH_SERVER": server.url, "CLIPSTITCH_API_KEY": API_KEY}
    command = [sys.executable, "-m", "clipstitch.cli.main"]
    submitted = subprocess.run(
        [*command, "submit", str(spec), "--wait", "-o", str(tmp_path / "cli.mp4")],
        capture_output=True, text=True, env={**_environ(), **env}, check=False,
    )  # fmt: skip
    assert submitted.returncode == 0, submitted.stderr
    assert '"status": "succeeded"' in submitted.stdout
    assert (tmp_path / "cli.mp4").stat().st_size > 0
    job_id = submitted.stdout.split('"id": "')[1].split('"')[0]
    status = subprocess.run(
        [*command, "status", job_id], capture_output=True, text=True,
        env={**_environ(), **env}, check=False,
    )  # fmt: skip
    assert status.returncode == 0 and job_id in status.stdout


def _environ() -> dict[str, str]:
    return dict(os.environ)
