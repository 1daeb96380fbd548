"""Helpers for the service tests: clips, a server subprocess, local HTTP peers."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import psutil

API_KEY = "test-key"
CALLBACK_SECRET = "test-callback-secret"
SMALL_OUTPUT = {"width": 320, "height": 240, "fps": "30"}
# A slow preset makes ffmpeg run for seconds on a small clip, so tests can act
# while it runs without needing large files.
SLOW_OUTPUT = {"width": 320, "height": 240, "fps": "30", "video": {"preset": "slower"}}


def make_clip(
    path: Path, seconds: float, tone: int = 440, size: str = "320x240"
) -> Path:
    """A synthetic H.264 + AAC clip made with ffmpeg's lavfi sources."""
    video = f"testsrc2=size={size}:rate=30:duration={seconds}"
    audio = f"sine=frequency={tone}:sample_rate=48000:duration={seconds}"
    subprocess.run(
        [
            "ffmpeg", "-v", "error", "-y",
            "-f", "lavfi", "-i", video,
            "-f", "lavfi", "-i", audio,
            "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p",
            "-c:a", "aac", "-shortest", str(path),
        ],
        check=True,
    )  # fmt: skip
    return path


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def probe_duration(path: Path) -> dict[str, Any]:
    """Streams and duration of a media file."""
    output = subprocess.run(
        ["ffprobe", "-v", "error", "-show_entries",
         "format=duration:stream=codec_type,width,height", "-of", "json", str(path)],
        check=True, capture_output=True, text=True,
    ).stdout  # fmt: skip
    data: dict[str, Any] = json.loads(output)
    return data


@dataclass
class Server:
    """`clipstitch serve` in a subprocess, on 127.0.0.1."""

    data_dir: Path
    env: dict[str, str]
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> Server:
        environment = {
            **os.environ,
            "CLIPSTITCH_DATA_DIR": str(self.data_dir),
            "CLIPSTITCH_API_KEYS": API_KEY,
            "CLIPSTITCH_CALLBACK_SECRET": CALLBACK_SECRET,
            "CLIPSTITCH_POLL_SECONDS": "0.1",
            **self.env,
        }
        log = (self.data_dir.parent / f"server-{self.port}.log").open("ab")
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "clipstitch.cli.main",
                "serve",
                "--port",
                str(self.port),
            ],
            env=environment,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        self._wait_healthy()
        return self

    def _wait_healthy(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.process is not None and self.process.poll() is None, self.log()
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise AssertionError(f"server did not start:\n{self.log()}")

    def log(self, tail: int | None = 4000) -> str:
        """The end of the server's log (all of it when `tail` is None)."""
        path = self.data_dir.parent / f"server-{self.port}.log"
        text = path.read_text(errors="replace") if path.exists() else ""
        return text if tail is None else text[-tail:]

    def client(self) -> httpx.Client:
        return httpx.Client(
            base_url=self.url,
            headers={"Authorization": f"Bearer {API_KEY}"},
            timeout=30,
        )

    def ffmpeg_children(self) -> list[psutil.Process]:
        assert self.process is not None
        try:
            children = psutil.Process(self.process.pid).children(recursive=True)
        except psutil.NoSuchProcess:
            return []
        return [child for child in children if _is_ffmpeg(child)]

    def kill9(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def _is_ffmpeg(process: psutil.Process) -> bool:
    try:
        return process.name() == "ffmpeg"
    except psutil.Error:
        return False


def kill_orphans(root: Path) -> None:
    """Kill ffmpeg processes working under `root` (left by a kill -9)."""
    for process in psutil.process_iter(["cmdline"]):
        if any(str(root) in argument for argument in process.info["cmdline"] or []):
            with contextlib.suppress(psutil.Error):
                process.kill()


def wait_for(
    check: Callable[[], Any], timeout: float = 60, interval: float = 0.1
) -> Any:
    """Poll until `check` returns something truthy."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError("condition not met in time")


def wait_finished(client: httpx.Client, job_id: str, timeout: float = 120) -> Any:
    def finished() -> Any:
        job = client.get(f"/v1/compositions/{job_id}").json()
        return job if job["status"] in ("succeeded", "failed", "cancelled") else None

    return wait_for(finished, timeout, 0.2)


class Peer(ThreadingHTTPServer):
    """A local HTTP server in a thread (media host or callback receiver)."""

    daemon_threads = True

    def __init__(self, handler: type[BaseHTTPRequestHandler]) -> None:
        super().__init__(("127.0.0.1", 0), handler)
        self.thread = threading.Thread(target=self.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    @property
    def port(self) -> int:
        return int(self.server_address[1])

    def close(self) -> None:
        self.shutdown()
        self.server_close()


def media_host(folder: Path) -> Peer:
    """Serves files from `folder`; /redirect?to=URL answers 302 to URL."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            if parts.path == "/redirect":
                self.send_response(302)
                self.send_header("Location", parse_qs(parts.query)["to"][0])
                self.end_headers()
                return
            path = folder / parts.path.lstrip("/")
            if not path.is_file():
                self.send_error(404)
                return
            body = path.read_bytes()
            self.send_response(200)
            self.send_header("Content-Type", "video/mp4")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    return Peer(Handler)


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes
    answered: int


def callback_receiver(answers: list[int]) -> tuple[Peer, list[Received]]:
    """Records POSTs; answers the given statuses in turn, then 200.

    Like a Trigger.dev waitpoint URL it requires Content-Length (411) and refuses
    bodies over 3 MB (413).
    """
    received: list[Received] = []
    pending = list(answers)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = self.headers.get("Content-Length")
            if length is None:
                status, body = 411, b""
            else:
                body = self.rfile.read(int(length))
                status = (
                    413
                    if len(body) > 3_000_000
                    else (pending.pop(0) if pending else 200)
                )
            received.append(Received(dict(self.headers.items()), body, status))
            self.send_response(status)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"{}")

        def log_message(self, *args: object) -> None:
            pass

    return Peer(Handler), received
