"""Segments are reused across jobs only while the clip's content is the same."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path

from clipstitch.pipeline.joins import CUTS
from clipstitch.pipeline.steps import ClipAudio, segment_key
from clipstitch.spec import Clip, OutputSettings
from service.conftest import ServerFactory
from service.helpers import SMALL_OUTPUT, Peer, make_clip, wait_finished


def _compose_seconds(client, source: str) -> float:  # type: ignore[no-untyped-def]
    spec = {"clips": [source], "output": SMALL_OUTPUT}
    job = wait_finished(client, client.post("/v1/compositions", json=spec).json()["id"])
    assert job["status"] == "succeeded", job
    return float(job["output"]["duration"])


def test_local_file_rewritten_is_normalized_again(
    start_server: ServerFactory, clips: Path
) -> None:
    server = start_server()
    path = make_clip(clips / "rewritten.mp4", 1)
    with server.client() as client:
        first = _compose_seconds(client, str(path))
        again = _compose_seconds(client, str(path))
        make_clip(path, 2, tone=660)
        changed = _compose_seconds(client, str(path))
    assert round(first) == round(again) == 1
    assert server.log().count("segment reused") == 1  # the unchanged second job
    assert round(changed) == 2


def test_url_content_changed_is_normalized_again(
    start_server: ServerFactory, clips: Path, media: Peer
) -> None:
    server = start_server(CLIPSTITCH_OUTBOUND_ALLOW=f"127.0.0.1:{media.port}")
    path = make_clip(clips / "served.mp4", 1)
    with server.client() as client:
        first = _compose_seconds(client, f"{media.url}/served.mp4")
        make_clip(path, 2, tone=660)
        changed = _compose_seconds(client, f"{media.url}/served.mp4")
    assert round(first) == 1
    assert round(changed) == 2


def test_idle_segments_over_the_size_cap_are_evicted_oldest_first(
    start_server: ServerFactory, clips: Path
) -> None:
    # One second of 320x240: ~190 KB of WAV and some video; the cap holds one.
    server = start_server(CLIPSTITCH_SEGMENT_CACHE_BYTES=str(400 * 1024))
    segments = server.data_dir / "segments"
    sources = [str(clips / f"c{index}.mp4") for index in range(3)]
    with server.client() as client:
        for source in sources:
            _compose_seconds(client, source)
        _wait_for(lambda: _folder_bytes(segments) <= 400 * 1024)
        _compose_seconds(client, sources[2])  # the newest: still kept
        _compose_seconds(client, sources[0])  # the oldest: evicted, made again
    assert server.log(tail=None).count("segment reused") == 1
    _wait_for(lambda: len(list(segments.glob("*.video.mp4"))) == 1)


def _folder_bytes(folder: Path) -> int:
    return sum(path.stat().st_size for path in folder.iterdir() if path.is_file())


def _wait_for(condition: Callable[[], bool], seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "the janitor did not evict in time"
        time.sleep(0.1)


def test_rewrite_keeping_size_and_mtime_changes_the_key(tmp_path: Path) -> None:
    # cp -p and rsync -t restore the old modification time; the change time moves.
    path = tmp_path / "clip.mp4"
    path.write_bytes(b"a" * 100)
    before = _key(path)
    kept = path.stat()
    time.sleep(0.01)
    path.write_bytes(b"b" * 100)
    os.utime(path, ns=(kept.st_atime_ns, kept.st_mtime_ns))
    assert path.stat().st_mtime_ns == kept.st_mtime_ns
    assert _key(path) != before
    assert _key(path) == _key(path)  # unchanged content: the same key, reused


def _key(path: Path) -> str:
    clip = Clip(source=str(path))
    output = OutputSettings(**SMALL_OUTPUT)
    return segment_key(clip, output, ClipAudio(), CUTS, scope="job-a")
