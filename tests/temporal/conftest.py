"""Fixtures of the scale-out tests: one Temporal dev server and one SeaweedFS per
session; per test a fresh PostgreSQL database, an API server and workers."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from service.helpers import Server, kill_orphans, make_clip
from service.seaweed import Seaweed, start_seaweed
from temporal.cluster import (
    Database,
    TemporalDev,
    WorkerProcess,
    cluster_env,
    start_temporal,
)


@pytest.fixture(scope="session")
def temporal_dev(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TemporalDev]:
    server = start_temporal(tmp_path_factory.mktemp("temporal"))
    yield server
    server.stop()


@pytest.fixture(scope="session")
def seaweed_s3(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Seaweed]:
    server = start_seaweed(tmp_path_factory.mktemp("seaweed"))
    yield server
    server.stop()


@pytest.fixture(scope="session")
def tiny_clips(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """24 clips of 1 s at 160x90, each with its own tone."""
    folder = tmp_path_factory.mktemp("tiny")
    return [
        make_clip(folder / f"t{index:02d}.mp4", 1, 300 + 20 * index, "160x90")
        for index in range(24)
    ]


@pytest.fixture(scope="session")
def long_clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """8 s at 320x240: with a slow preset, ffmpeg runs for seconds on it."""
    return make_clip(tmp_path_factory.mktemp("long") / "long.mp4", 8, 330)


class Cluster:
    """The API server and workers of one test, sharing database, bucket and queue."""

    def __init__(self, root: Path, env: dict[str, str]) -> None:
        self.root = root
        self.env = env
        self.workers: list[WorkerProcess] = []
        self.server: Server | None = None

    def api(self, sources: Path) -> Server:
        settings = {**self.env, "CLIPSTITCH_LOCAL_SOURCE_ROOTS": str(sources)}
        self.server = Server(self.root / "api", settings).start()
        return self.server

    def worker(self, **env: str) -> WorkerProcess:
        data_dir = self.root / f"worker-{len(self.workers)}"
        worker = WorkerProcess(data_dir, {**self.env, **env}).start()
        self.workers.append(worker)
        return worker

    def wait_finished(self, job_id: str, timeout: float = 240) -> Any:
        """Poll the API until the job ends; fail early if a live worker died."""
        assert self.server is not None
        deadline = time.monotonic() + timeout
        with self.server.client() as client:
            while time.monotonic() < deadline:
                job = client.get(f"/v1/compositions/{job_id}").json()
                if job["status"] in ("succeeded", "failed", "cancelled"):
                    return job
                for worker in self.workers:
                    assert worker.alive or worker.killed, worker.log()
                time.sleep(0.2)
        raise AssertionError(f"job {job_id} did not finish: {job}")

    def stop(self) -> None:
        for worker in self.workers:
            worker.stop()
        if self.server is not None:
            self.server.stop()
        kill_orphans(self.root)


@pytest.fixture
def cluster(
    tmp_path: Path, temporal_dev: TemporalDev, seaweed_s3: Seaweed
) -> Iterator[Cluster]:
    database = Database().create()
    prefix = uuid.uuid4().hex[:10]
    running = Cluster(tmp_path, cluster_env(temporal_dev, seaweed_s3, database, prefix))
    yield running
    running.stop()
    database.drop()


ClusterFactory = Callable[..., Cluster]
