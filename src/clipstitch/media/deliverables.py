"""What a composition delivers beside its MP4: posters, H.265, VP9 WebM, previews.

Each is made from the finished MP4 by one ffmpeg and appears beside it only when
complete (written as a hidden .part file, then renamed).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from clipstitch.errors import CancelledError, FFmpegError
from clipstitch.media.ffmpeg import Cancellation, run_ffmpeg
from clipstitch.spec import Deliverables, ExtraOutput

PREVIEW_SECONDS = 3.0
PREVIEW_WIDTH = 320
PREVIEW_FPS = 10
POSTER_QUALITY = "3"  # mjpeg qscale: 2 (best) .. 31
LAST_FRAME_MARGIN = 0.1


@dataclass(frozen=True)
class Rendition:
    """How one extra output is encoded and what its file is called."""

    suffix: str
    muxer: str
    options: tuple[str, ...]


RENDITIONS = {
    ExtraOutput.H265_MP4: Rendition(
        ".h265.mp4",
        "mp4",
        ("-c:v", "libx265", "-preset", "fast", "-crf", "28", "-tag:v", "hvc1",
         "-x265-params", "log-level=error", "-c:a", "copy", "-movflags", "+faststart"),
    ),
    ExtraOutput.VP9_WEBM: Rendition(
        ".webm",
        "webm",
        ("-c:v", "libvpx-vp9", "-b:v", "0", "-crf", "34", "-deadline", "realtime",
         "-cpu-used", "8", "-row-mt", "1", "-c:a", "libopus", "-b:a", "128k"),
    ),
    ExtraOutput.PREVIEW_GIF: Rendition(
        ".preview.gif",
        "gif",
        ("-filter_complex",
         f"[0:v]fps={PREVIEW_FPS},scale={PREVIEW_WIDTH}:-2:flags=lanczos,split[a][b];"
         "[a]palettegen=stats_mode=diff[p];[b][p]paletteuse=dither=bayer",
         "-an", "-loop", "0"),
    ),
    ExtraOutput.PREVIEW_WEBP: Rendition(
        ".preview.webp",
        "webp",
        ("-vf", f"fps={PREVIEW_FPS},scale={PREVIEW_WIDTH}:-2",
         "-c:v", "libwebp_anim", "-quality", "60", "-loop", "0", "-an"),
    ),
}  # fmt: skip
PREVIEWS = frozenset({ExtraOutput.PREVIEW_GIF, ExtraOutput.PREVIEW_WEBP})


def make_deliverables(
    video: Path,
    duration: float,
    wanted: Deliverables,
    clip_spans: Sequence[tuple[float, float]] = (),
    *,
    threads: int = 1,
    cancel: Cancellation | None = None,
) -> list[Path]:
    """Write the posters and extra outputs `wanted` beside `video`; their paths.

    `clip_spans` are each clip's (start, end) on the output timeline, for the
    per-clip posters.
    """
    made: list[Path] = []
    if wanted.poster is not None:
        time = duration / 2 if wanted.poster.time is None else wanted.poster.time
        # -ss at or past the end finds no frame: stay one tick inside the video.
        time = min(time, max(0.0, duration - LAST_FRAME_MARGIN))
        made.append(poster(video, time, _beside(video, ".poster.jpg"), cancel=cancel))
        if wanted.poster.per_clip:
            for number, (start, end) in enumerate(clip_spans):
                path = _beside(video, f".poster-{number:03d}.jpg")
                made.append(poster(video, (start + end) / 2, path, cancel=cancel))
    for kind in wanted.extra_outputs:
        made.append(render(video, kind, duration, threads=threads, cancel=cancel))
    return made


def poster(
    video: Path, time: float, path: Path, *, cancel: Cancellation | None = None
) -> Path:
    """A JPEG of the frame shown at `time` seconds."""
    arguments = [
        "-ss", f"{max(0.0, time):.3f}", "-i", str(video),
        "-frames:v", "1", "-q:v", POSTER_QUALITY, "-update", "1",
    ]  # fmt: skip
    return _write(arguments, path, "image2", None, cancel)


def render(
    video: Path,
    kind: ExtraOutput,
    duration: float,
    *,
    threads: int = 1,
    cancel: Cancellation | None = None,
) -> Path:
    """One extra rendition of `video` (a preview is its first few seconds)."""
    rendition = RENDITIONS[kind]
    length = min(duration, PREVIEW_SECONDS) if kind in PREVIEWS else duration
    span = ["-t", f"{length:.3f}"] if kind in PREVIEWS else []
    arguments = [
        "-threads", str(threads), *span, "-i", str(video),
        *rendition.options, "-threads", str(threads),
    ]  # fmt: skip
    path = _beside(video, rendition.suffix)
    return _write(arguments, path, rendition.muxer, length, cancel)


def _write(
    arguments: list[str],
    path: Path,
    muxer: str,
    duration: float | None,
    cancel: Cancellation | None,
) -> Path:
    work = path.with_name(f".{path.name}.part")
    try:
        run_ffmpeg(
            [*arguments, "-f", muxer, "-y", str(work)], duration=duration, cancel=cancel
        )
        os.replace(work, path)
    except (FFmpegError, CancelledError):
        work.unlink(missing_ok=True)
        raise
    return path


def _beside(video: Path, suffix: str) -> Path:
    return video.with_name(video.stem + suffix)
