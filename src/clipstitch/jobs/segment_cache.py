"""Normalized segments kept on disk for reuse, within an age and a size.

A job's steps keep their segments here until its join; later jobs with the same
clip, settings and content reuse them. Segments no unfinished job needs are
dropped once unused for `max_age_seconds`, and, least recently used first,
while the idle ones hold more than `max_bytes`.
"""

from __future__ import annotations

import time
from pathlib import Path

from clipstitch.jobs.store import JobStore

SUFFIXES = (".video.mp4", ".audio.wav")


def segment_files(folder: Path, key: str) -> tuple[Path, Path]:
    """The video and audio files of the segment kept under `key`."""
    video, audio = (folder / f"{key}{suffix}" for suffix in SUFFIXES)
    return video, audio


class SegmentCache:
    """Evicts kept segments by age and by the disk they hold."""

    def __init__(
        self, store: JobStore, folder: Path, max_age_seconds: float, max_bytes: int
    ) -> None:
        self.store = store
        self.folder = folder
        self.max_age_seconds = max_age_seconds
        self.max_bytes = max_bytes
        # A kept segment's files are written once: their size is read once, not
        # at every sweep of the janitor.
        self._sizes: dict[str, int] = {}

    def evict(self, now: float | None = None) -> list[str]:
        """Drop what is too old, then the oldest while over size; returns the keys."""
        horizon = (now if now is not None else time.time()) - self.max_age_seconds
        idle = self.store.idle_segments()  # least recently used first
        sizes = {key: self._sizes.get(key) or self._bytes(key) for key, _ in idle}
        self._sizes = sizes  # only idle segments: forgotten keys do not pile up
        held = sum(sizes.values())
        dropped = []
        for key, used_at in idle:
            if used_at >= horizon and held <= self.max_bytes:
                break  # the rest were used later and fit
            self.forget(key)
            held -= sizes[key]
            dropped.append(key)
        return dropped

    def forget(self, key: str) -> None:
        """Remove a segment's record and its files."""
        self.store.forget_segment(key)
        for path in segment_files(self.folder, key):
            path.unlink(missing_ok=True)

    def _bytes(self, key: str) -> int:
        return sum(
            path.stat().st_size
            for path in segment_files(self.folder, key)
            if path.exists()
        )
