"""What the scale-out tests look at: probed outputs, objects, job records."""

from __future__ import annotations

import json
import subprocess
from datetime import timedelta
from pathlib import Path
from typing import Any

import obstore

from clipstitch.storage import ObjectStorage

TINY_OUTPUT = {"width": 160, "height": 90, "fps": "30"}
SLOW_OUTPUT = {"width": 320, "height": 240, "fps": "30", "video": {"preset": "slower"}}


def probe(path: Path) -> dict[str, Any]:
    """The properties two equal compositions share (ffprobe)."""
    output = subprocess.run(
        ["ffprobe", "-v", "error", "-count_frames", "-show_entries",
         "stream=codec_type,codec_name,profile,width,height,pix_fmt,r_frame_rate,"
         "sample_rate,channels,channel_layout,nb_read_frames:format=duration",
         "-of", "json", str(path)],
        check=True, capture_output=True, text=True,
    ).stdout  # fmt: skip
    data = json.loads(output)
    streams = {stream.pop("codec_type"): stream for stream in data["streams"]}
    duration = round(float(data["format"]["duration"]), 1)
    return {"streams": streams, "duration": duration}


def bucket(env: dict[str, str]) -> ObjectStorage:
    return ObjectStorage.s3(
        env["CLIPSTITCH_STORAGE_URL"],
        endpoint=env["CLIPSTITCH_S3_ENDPOINT"],
        region="us-east-1",
        access_key_id=env["CLIPSTITCH_S3_ACCESS_KEY_ID"],
        secret_access_key=env["CLIPSTITCH_S3_SECRET_ACCESS_KEY"],
        presign=timedelta(minutes=5),
    )


def object_keys(storage: ObjectStorage) -> list[str]:
    keys: list[str] = []
    for batch in obstore.list(storage.store):
        keys.extend(str(item["path"]) for item in batch)
    return sorted(keys)
