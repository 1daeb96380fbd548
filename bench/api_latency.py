"""Time to first byte of job status and progress while 4 jobs render.

A real `clipstitch serve` on 127.0.0.1; 4 compositions are submitted at once and
their status (which carries stage, progress and ETA) is polled round-robin with
httpx until all finish, within a bounded number of requests and seconds.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import httpx

from bench.clipset import CACHE

API_KEY = "bench-key"
JOBS = 4
MAX_REQUESTS = 4000
MAX_SECONDS = 300.0
PAUSE_SECONDS = 0.05
DONE = ("succeeded", "failed", "cancelled")


@dataclass(frozen=True)
class Latency:
    """Percentiles in milliseconds, over every request of one kind."""

    kind: str
    requests: int
    first_byte_p50: float
    first_byte_p99: float
    whole_p50: float
    whole_p99: float


def percentile(values: Sequence[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def summarize(kind: str, samples: list[tuple[float, float]]) -> Latency:
    first = [first for first, _ in samples]
    whole = [whole for _, whole in samples]
    return Latency(
        kind,
        len(samples),
        round(percentile(first, 0.5) * 1000, 1),
        round(percentile(first, 0.99) * 1000, 1),
        round(percentile(whole, 0.5) * 1000, 1),
        round(percentile(whole, 0.99) * 1000, 1),
    )


def timed_get(client: httpx.Client, url: str) -> tuple[float, float, dict[str, object]]:
    """Seconds to the response headers, to the whole body, and the body."""
    started = time.perf_counter()
    with client.stream("GET", url) as response:
        first_byte = time.perf_counter() - started
        response.read()
    whole = time.perf_counter() - started
    response.raise_for_status()
    body: dict[str, object] = response.json()
    return first_byte, whole, body


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_server(folder: Path, sources: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    environment = os.environ | {
        "CLIPSTITCH_DATA_DIR": str(folder / "data"),
        "CLIPSTITCH_API_KEYS": API_KEY,
        "CLIPSTITCH_LOCAL_SOURCE_ROOTS": str(sources),
    }
    log = (folder / "server.log").open("wb")
    server = subprocess.Popen(
        [sys.executable, "-m", "clipstitch.cli.main", "serve", "--port", str(port)],
        env=environment,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    _wait_healthy(server, url)
    return server, url


def _wait_healthy(server: subprocess.Popen[bytes], url: str) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and server.poll() is None:
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.1)
    raise RuntimeError("clipstitch serve did not become healthy")


def poll(
    client: httpx.Client, job_ids: list[str]
) -> dict[str, list[tuple[float, float]]]:
    """Round-robin GETs until every job is done; latencies per kind of answer."""
    samples: dict[str, list[tuple[float, float]]] = {"status": [], "progress": []}
    pending = list(job_ids)
    deadline = time.monotonic() + MAX_SECONDS
    for request in range(MAX_REQUESTS):
        if not pending or time.monotonic() > deadline:
            break
        job_id = pending[request % len(pending)]
        first, whole, job = timed_get(client, f"/v1/compositions/{job_id}")
        # A running job's answer carries live progress; a queued one only status.
        kind = "progress" if job["status"] == "running" else "status"
        samples[kind].append((first, whole))
        if job["status"] in DONE:
            pending.remove(job_id)
        time.sleep(PAUSE_SECONDS)
    return samples


def measure_latency(clips: Sequence[Path], output: dict[str, object]) -> list[Latency]:
    """Start a server, submit JOBS compositions of `clips`, poll, stop the server."""
    folder = CACHE / "api-latency"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    server, url = start_server(folder, clips[0].parent)
    headers = {"Authorization": f"Bearer {API_KEY}"}
    try:
        with httpx.Client(base_url=url, headers=headers, timeout=30) as client:
            spec = {"clips": [str(path) for path in clips], "output": output}
            submitted = [
                client.post("/v1/compositions", json=spec) for _ in range(JOBS)
            ]
            job_ids = [response.json()["id"] for response in submitted]
            samples = poll(client, job_ids)
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(30)
    shutil.rmtree(folder, ignore_errors=True)
    return [summarize(kind, found) for kind, found in samples.items() if found]
