"""Running ffmpeg and ffprobe: safe inputs, progress, cancellation, trimmed logs."""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import signal
import subprocess
import threading
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from clipstitch.errors import CancelledError, ClipstitchError, FFmpegError
from clipstitch.media.images import IMAGE_DEMUXERS, image_demuxer
from clipstitch.media.processes import owned

logger = logging.getLogger(__name__)

# Demuxers a clip may be read with. Playlists (hls, concat), devices and network
# formats are left out, so a "video" that is really a playlist cannot make ffmpeg
# open other files or URLs.
SAFE_DEMUXERS = (
    "mov,mp4,m4a,3gp,3g2,mj2",
    "matroska,webm",
    "mpegts",
    "avi",
    "flv",
    "mpeg",
    "ogg",
    "wav",
    "mp3",
    "aac",
    "flac",
    "asf",
    "h264",
    "hevc",
    "m4v",
    "ivf",
    "gif",
    *IMAGE_DEMUXERS,
)

# Options before every "-i" of a clip: only plain local files, only media demuxers.
SAFE_INPUT_OPTIONS = (
    "-protocol_whitelist",
    "file",
    "-format_whitelist",
    ",".join(SAFE_DEMUXERS),
)


def input_options(path: Path) -> list[str]:
    """The safe options before "-i path"; a still image gets its one-image demuxer.

    ffmpeg would open a JPEG with image2, which expands patterns into other files;
    naming the single-image demuxer keeps it to this one file.
    """
    demuxer = image_demuxer(path)
    forced = ["-f", demuxer] if demuxer else []
    return [*forced, *SAFE_INPUT_OPTIONS]


LOG_TAIL_LINES = 20
CANCEL_POLL_SECONDS = 0.1

ProgressCallback = Callable[[float], None]


class Cancellation(Protocol):
    """Anything that says whether work should stop, such as a threading.Event."""

    def is_set(self) -> bool: ...


class LinkedCancel:
    """Set on its own (one clip failed) or through the caller's cancellation."""

    def __init__(self, parent: Cancellation | None = None) -> None:
        self._own = threading.Event()
        self._parent = parent

    def set(self) -> None:
        self._own.set()

    def is_set(self) -> bool:
        return self._own.is_set() or (
            self._parent is not None and self._parent.is_set()
        )


@dataclass(frozen=True)
class Tools:
    """The ffmpeg and ffprobe binaries in use."""

    ffmpeg: str
    ffprobe: str


def find_tools() -> Tools:
    """Locate ffmpeg and ffprobe: $CLIPSTITCH_FFMPEG, $CLIPSTITCH_FFPROBE or PATH."""
    ffmpeg = os.environ.get("CLIPSTITCH_FFMPEG") or shutil.which("ffmpeg")
    ffprobe = os.environ.get("CLIPSTITCH_FFPROBE") or shutil.which("ffprobe")
    if not ffmpeg or not ffprobe:
        raise ClipstitchError(
            "ffmpeg and ffprobe were not found on PATH; install FFmpeg >= 5.1 "
            "(for example: apt-get install ffmpeg)"
        )
    return Tools(ffmpeg=ffmpeg, ffprobe=ffprobe)


def run_ffprobe(arguments: Sequence[str], *, timeout: float = 120) -> str:
    """Run ffprobe and return its standard output."""
    command = [find_tools().ffprobe, "-v", "error", "-hide_banner", *arguments]
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    with owned(process):
        try:
            stdout, stderr = process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired as exc:
            process.kill()
            process.communicate()
            message = f"timed out after {timeout:.0f} s"
            raise FFmpegError("ffprobe", -1, message) from exc
    if process.returncode != 0:
        raise FFmpegError("ffprobe", process.returncode, _tail(stderr))
    return stdout


def run_ffmpeg(
    arguments: Sequence[str],
    *,
    duration: float | None = None,
    on_progress: ProgressCallback | None = None,
    cancel: Cancellation | None = None,
    loglevel: str = "error",
) -> str:
    """Run ffmpeg to completion; report progress 0..1 when the output duration is known.

    Returns the end of ffmpeg's log (where filters such as loudnorm print their
    measurements at `loglevel` "info"). Raises FFmpegError with the end of the log,
    or CancelledError within a tenth of a second of `cancel` being set (the process
    is killed).
    """
    command = [
        find_tools().ffmpeg,
        "-hide_banner",
        "-nostdin",
        "-nostats",
        "-loglevel",
        loglevel,
        "-progress",
        "pipe:1",
        *arguments,
    ]
    logger.debug("running %s", " ".join(command))
    process = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    stderr_lines: deque[str] = deque(maxlen=LOG_TAIL_LINES)
    readers = [
        _start_reader(
            process.stdout, lambda line: _on_progress_line(line, duration, on_progress)
        ),
        _start_reader(process.stderr, stderr_lines.append),
    ]
    with owned(process):
        returncode = _wait(process, cancel)
    for reader in readers:
        reader.join()
    if returncode != 0:
        raise FFmpegError("ffmpeg", returncode, "".join(stderr_lines))
    return "".join(stderr_lines)


def _wait(process: subprocess.Popen[str], cancel: Cancellation | None) -> int:
    while True:
        try:
            return process.wait(timeout=CANCEL_POLL_SECONDS)
        except subprocess.TimeoutExpired:
            if cancel is not None and cancel.is_set():
                _kill(process)
                raise CancelledError("cancelled while ffmpeg was running") from None
        except BaseException:
            _kill(process)
            raise


def _kill(process: subprocess.Popen[str]) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()


def _start_reader(stream: object, handle: Callable[[str], None]) -> threading.Thread:
    def pump() -> None:
        for line in stream:  # type: ignore[attr-defined]
            handle(line)

    thread = threading.Thread(target=pump, daemon=True)
    thread.start()
    return thread


def _on_progress_line(
    line: str, duration: float | None, on_progress: ProgressCallback | None
) -> None:
    if on_progress is None or not duration or not line.startswith("out_time_us="):
        return
    value = line.partition("=")[2].strip()
    if value.lstrip("-").isdigit():
        on_progress(min(1.0, max(0.0, int(value) / 1e6 / duration)))


def _tail(text: str) -> str:
    return "\n".join(text.strip().splitlines()[-LOG_TAIL_LINES:])
