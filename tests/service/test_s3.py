"""S3 storage against a real SeaweedFS server: outputs, s3:// inputs, presigned GET."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest

from clipstitch.client import ClipstitchClient
from clipstitch.storage import ObjectStorage, StorageError
from service.conftest import ServerFactory
from service.helpers import API_KEY, SMALL_OUTPUT, probe_duration, wait_finished
from service.seaweed import ACCESS_KEY, BUCKET, SECRET_KEY, Seaweed, start_seaweed

PREFIX = f"s3://{BUCKET}/service"


@pytest.fixture(scope="module")
def seaweed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Seaweed]:
    server = start_seaweed(tmp_path_factory.mktemp("seaweed"))
    yield server
    server.stop()


def _storage(seaweed: Seaweed, secret: str = SECRET_KEY) -> ObjectStorage:
    return ObjectStorage.s3(
        PREFIX,
        endpoint=seaweed.endpoint,
        region="us-east-1",
        access_key_id=ACCESS_KEY,
        secret_access_key=secret,
        presign=timedelta(minutes=5),
    )


def test_multipart_upload_and_presigned_download(
    seaweed: Seaweed, tmp_path: Path
) -> None:
    large = tmp_path / "large.bin"
    large.write_bytes(os.urandom(1 << 20) * 20)  # 20 MiB: three parts of 8 MiB
    storage = _storage(seaweed)
    assert storage.upload("outputs/large.mp4", large) == large.stat().st_size
    assert storage.size("outputs/large.mp4") == large.stat().st_size
    fetched = httpx.get(storage.presigned_url("outputs/large.mp4"), timeout=30)
    assert fetched.status_code == 200
    assert fetched.content == large.read_bytes()
    with pytest.raises(StorageError):
        _storage(seaweed, secret="wrong").upload("outputs/denied.mp4", large)


def test_service_publishes_to_s3_and_reads_s3_inputs(
    start_server: ServerFactory, seaweed: Seaweed, clips: Path, tmp_path: Path
) -> None:
    _storage(seaweed).upload("inputs/c2.mp4", clips / "c2.mp4")
    server = start_server(
        CLIPSTITCH_STORAGE_URL=PREFIX,
        CLIPSTITCH_S3_ENDPOINT=seaweed.endpoint,
        CLIPSTITCH_S3_ACCESS_KEY_ID=ACCESS_KEY,
        CLIPSTITCH_S3_SECRET_ACCESS_KEY=SECRET_KEY,
    )
    spec = {"clips": [str(clips / "c0.mp4"), f"{PREFIX}/inputs/c2.mp4"],
            "output": SMALL_OUTPUT}  # fmt: skip
    with server.client() as client:
        job = wait_finished(
            client, client.post("/v1/compositions", json=spec).json()["id"]
        )
        assert job["status"] == "succeeded", job
        redirect = client.get(job["output"]["url"])
        outside = client.post(
            "/v1/compositions", json={"clips": [f"s3://{BUCKET}-other/x.mp4"]}
        )
    assert redirect.status_code == 307
    assert redirect.headers["location"].startswith(seaweed.endpoint)
    assert "X-Amz-Signature" in redirect.headers["location"]
    assert outside.status_code == 422
    with ClipstitchClient(server.url, api_key=API_KEY) as client:
        path = client.download(job["id"], tmp_path / "from-s3.mp4")
    assert float(probe_duration(path)["format"]["duration"]) == pytest.approx(
        2.0, abs=0.05
    )
