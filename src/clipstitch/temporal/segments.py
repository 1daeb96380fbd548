"""Segments in object storage, keyed by `segment_key` so a retried clip overwrites.

A segment is three objects: its video, its audio, and a JSON manifest written last.
A manifest therefore means the media are complete, and a retry reuses them.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

from clipstitch.media.segment import Segment
from clipstitch.storage import ObjectStorage
from clipstitch.temporal.contracts import SegmentRef

PREFIX = "segments"


def segment_keys(key: str) -> tuple[str, str, str]:
    """The video, audio and manifest keys of a segment."""
    stem = f"{PREFIX}/{key}"
    return f"{stem}.video.mp4", f"{stem}.audio.wav", f"{stem}.json"


def upload_segment(storage: ObjectStorage, key: str, segment: Segment) -> SegmentRef:
    """Store a segment's media, then its manifest."""
    video_key, audio_key, manifest_key = segment_keys(key)
    storage.upload(video_key, segment.video_path)
    storage.upload(audio_key, segment.audio_path)
    ref = SegmentRef(
        index=segment.index,
        key=key,
        video_key=video_key,
        audio_key=audio_key,
        segment=segment.to_dict(),
    )
    manifest = segment.video_path.with_suffix(".json")
    manifest.write_text(json.dumps(ref.segment))
    storage.upload(manifest_key, manifest)
    return ref


def find_segment(
    storage: ObjectStorage, key: str, index: int, source: str
) -> SegmentRef | None:
    """A complete segment stored by an earlier attempt (or job), or None."""
    video_key, audio_key, manifest_key = segment_keys(key)
    if storage.size(manifest_key) is None:
        return None
    data = json.loads(b"".join(storage.stream(manifest_key)))
    data.update(index=index, source=source)
    return SegmentRef(index, key, video_key, audio_key, data)


def download_segment(storage: ObjectStorage, ref: SegmentRef, workdir: Path) -> Segment:
    """Fetch a segment's media into `workdir` for the join."""
    video = workdir / f"join-{ref.index:05d}.video.mp4"
    audio = workdir / f"join-{ref.index:05d}.audio.wav"
    storage.download(ref.video_key, video)
    storage.download(ref.audio_key, audio)
    segment = Segment.from_dict(ref.segment)
    return replace(segment, index=ref.index, video_path=video, audio_path=audio)
