"""Measured ffmpeg runs on synthetic clips: what calibration fits the model from.

Each run is one ffmpeg on a synthetic clip (testsrc2 with temporal noise, so the
encoder has real work); its peak RSS and CPU time come from the kernel (wait4).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from clipstitch.errors import ClipstitchError
from clipstitch.media.encoding import h264_options
from clipstitch.media.ffmpeg import find_tools
from clipstitch.planning.overheads import PYTHON_IMPORTS, Overheads
from clipstitch.spec import OutputSettings

FPS = 30
SECONDS = 1.0
MILD_NOISE = 6  # busy like handheld footage; x264 at CRF 23 keeps little of it
HEAVY_NOISE = 15  # grain the encoder must keep: the cost of a busy picture
TINY = (160, 90)
SIZES = ((640, 360), (1280, 720), (1920, 1080))
FULL_HD = SIZES[-1]
THREADS = (1, 2)
DECODE_CODECS = ("h264", "hevc", "vp9")
LOOPS = 10  # copies and joins read the 1080p clip this many times over
SLOPE_TRIES = 3  # runs of the two 1080p encodes that set the busy-picture slope
MEGABYTE = 1_000_000
SOURCE_CODECS = {
    "h264": ["-c:v", "libx264", "-preset", "veryfast", "-crf", "23"],
    "hevc": ["-c:v", "libx265", "-preset", "ultrafast", "-crf", "24",
             "-x265-params", "log-level=error"],
    "vp9": ["-c:v", "libvpx-vp9", "-deadline", "realtime", "-cpu-used", "8",
            "-crf", "32", "-b:v", "0", "-row-mt", "1"],
}  # fmt: skip


@dataclass(frozen=True)
class Run:
    """What one ffmpeg cost, as the kernel counted it."""

    cpu_seconds: float
    wall_seconds: float
    peak_rss_bytes: int


@dataclass(frozen=True)
class Source:
    """A synthetic clip the runs read."""

    path: Path
    codec: str
    width: int
    height: int
    size_bytes: int

    @property
    def pixels(self) -> int:
        return self.width * self.height

    @property
    def frames(self) -> int:
        return round(SECONDS * FPS)

    @property
    def megapixels(self) -> float:
        """Megapixels over all frames."""
        return self.pixels * self.frames / 1e6

    @property
    def bits_per_pixel(self) -> float:
        return self.size_bytes * 8 / (self.pixels * self.frames)


@dataclass(frozen=True)
class Encode:
    """One normalize-like run: decode, scale, encode with the output's settings."""

    source: Source
    threads: int
    run: Run
    output_bytes: int


def run_ffmpeg_measured(arguments: Sequence[str]) -> Run:
    """Run ffmpeg to completion; raise with its log tail when it fails."""
    command = [find_tools().ffmpeg, "-hide_banner", "-nostdin", "-loglevel", "error",
               "-y", *arguments]  # fmt: skip
    return _measured(command)


def _measured(command: Sequence[str]) -> Run:
    with tempfile.TemporaryFile() as log:
        started = time.monotonic()
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=log)
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.monotonic() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        if process.returncode != 0:
            log.seek(0)
            tail = log.read().decode(errors="replace")[-1500:]
            raise ClipstitchError(f"calibration run failed: {command}\n{tail}")
    return Run(
        cpu_seconds=usage.ru_utime + usage.ru_stime,
        wall_seconds=wall,
        peak_rss_bytes=usage.ru_maxrss * 1024,  # Linux counts kilobytes
    )


def make_source(
    folder: Path, codec: str, size: tuple[int, int], noise: int = MILD_NOISE
) -> Source:
    """Encode a short testsrc2 clip with noise and a tone."""
    width, height = size
    path = folder / f"{codec}-{width}x{height}-n{noise}.mp4"
    picture = (
        f"testsrc2=s={width}x{height}:r={FPS}:d={SECONDS},"
        f"noise=alls={noise}:allf=t+u:all_seed=7"
    )
    run_ffmpeg_measured([
        "-f", "lavfi", "-i", picture,
        "-f", "lavfi", "-i", f"sine=f=440:r=48000:d={SECONDS}",
        *SOURCE_CODECS[codec], "-pix_fmt", "yuv420p", "-g", str(2 * FPS),
        "-c:a", "aac", "-b:a", "160k", "-ac", "2", str(path),
    ])  # fmt: skip
    return Source(path, codec, width, height, path.stat().st_size)


def encode(
    source: Source, size: tuple[int, int], threads: int, out: Path, tries: int = 1
) -> Encode:
    """Decode, fit, and encode like a re-encoding normalize (video and WAV audio).

    With several `tries`, the run with the least CPU time counts: the busy-picture
    slope comes from the difference of two such runs, and noise in either moves it.
    """
    width, height = size
    picture = (
        f"scale={width}:{height}:force_original_aspect_ratio=decrease,"
        f"pad={width}:{height}:(ow-iw)/2:(oh-ih)/2,setsar=1,fps={FPS},"
        "format=yuv420p"
    )
    output = OutputSettings(width=width, height=height, fps=str(FPS))
    arguments = [
        "-threads", str(threads), "-i", str(source.path),
        "-filter_threads", str(threads), "-map", "0:v", "-vf", picture,
        *h264_options(output, threads), "-an", "-f", "mp4", str(out),
        "-map", "0:a", "-c:a", "pcm_s16le", "-f", "wav", str(out.with_suffix(".wav")),
    ]  # fmt: skip
    runs = [run_ffmpeg_measured(arguments) for _ in range(tries)]
    run = min(runs, key=lambda item: item.cpu_seconds)
    return Encode(source, threads, run, out.stat().st_size)


def decode(source: Source, threads: int = 1) -> Run:
    """Decode the video only, discarding frames."""
    return run_ffmpeg_measured([
        "-threads", str(threads), "-i", str(source.path),
        "-map", "0:v", "-f", "null", "-",
    ])  # fmt: skip


def copy_clip(source: Source, out: Path) -> Run:
    """Copy the video and write the audio as WAV, like a matching clip's segment."""
    return run_ffmpeg_measured([
        "-stream_loop", str(LOOPS - 1), "-i", str(source.path),
        "-map", "0:v", "-c:v", "copy", "-f", "mp4", str(out),
        "-map", "0:a", "-c:a", "pcm_s16le", "-f", "wav", str(out.with_suffix(".wav")),
    ])  # fmt: skip


def join(source: Source, out: Path) -> Run:
    """Copy the video and encode the audio to AAC with faststart, like the join."""
    return run_ffmpeg_measured([
        "-stream_loop", str(LOOPS - 1), "-i", str(source.path),
        "-f", "lavfi", "-i", f"sine=f=440:r=48000:d={LOOPS * SECONDS}",
        "-map", "0:v", "-map", "1:a", "-c:v", "copy",
        "-c:a", "aac", "-b:a", "160k", "-ac", "2",
        "-movflags", "+faststart", str(out),
    ])  # fmt: skip


def python_bytes() -> int:
    """Peak RSS of a Python that has imported the compose pipeline and the CLI."""
    return _measured([sys.executable, "-c", PYTHON_IMPORTS]).peak_rss_bytes


def join_rate(join_run: Run, start: Run) -> float:
    """CPU seconds per output second to copy the video and encode the AAC."""
    return max(0.0, join_run.cpu_seconds - start.cpu_seconds) / (LOOPS * SECONDS)


@dataclass
class Measurements:
    """Every run calibration fits from."""

    tiny: Encode
    tiny_decode: Run
    decodes: dict[str, Run]
    decode_threaded: Run
    encodes: list[Encode]
    heavy: Encode
    copy: Run
    copy_source: Source
    join: Run
    python_bytes: int
    overheads: Overheads
