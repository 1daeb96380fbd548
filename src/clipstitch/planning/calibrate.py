"""Measure this machine with short ffmpeg runs and fit the planner's cost model.

Each run is one ffmpeg on a synthetic clip (testsrc2 with temporal noise, so the
encoder has real work); its peak RSS and CPU time come from the kernel (wait4).
Memory is fitted per process, per pixel and per thread; time per megapixel, with
a term for how busy the picture is (the input's bits per pixel).
"""

from __future__ import annotations

import os
import platform
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import psutil

from clipstitch.errors import ClipstitchError
from clipstitch.media.encoding import h264_options
from clipstitch.media.ffmpeg import find_tools
from clipstitch.pipeline.costs import CostModel, cost_model
from clipstitch.planning.overheads import (
    PYTHON_IMPORTS,
    Overheads,
    measure_overheads,
)
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

Report = Callable[[str], None]


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


def copy(source: Source, out: Path) -> Run:
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


def measure(folder: Path, report: Report) -> Measurements:
    """Make the sources, then run every measured ffmpeg, one at a time."""
    report("making synthetic clips")
    tiny = make_source(folder, "h264", TINY)
    sources = {size: make_source(folder, "h264", size) for size in SIZES}
    by_codec = {codec: make_source(folder, codec, FULL_HD) for codec in DECODE_CODECS}
    grainy = make_source(folder, "h264", FULL_HD, HEAVY_NOISE)
    report("decoding h264, hevc, vp9")
    decodes = {codec: decode(source) for codec, source in by_codec.items()}
    report("encoding at 3 sizes and 2 thread counts")
    encodes = [
        encode(
            sources[size],
            size,
            threads,
            folder / f"out-{size[1]}-{threads}.mp4",
            tries=SLOPE_TRIES if (size, threads) == (FULL_HD, 1) else 1,
        )
        for size in SIZES
        for threads in THREADS
    ]
    report("copying and joining")
    full_hd = sources[FULL_HD]
    joined = join(full_hd, folder / "join.mp4")
    tiny_decode = decode(tiny)
    report("preparing and joining a tiny clip through the pipeline")
    rate = _join_rate(joined, tiny_decode)
    overheads = measure_overheads(tiny.path, TINY, FPS, rate, folder)
    return Measurements(
        tiny=encode(tiny, TINY, 1, folder / "out-tiny.mp4"),
        tiny_decode=tiny_decode,
        decodes=decodes,
        decode_threaded=decode(by_codec["h264"], threads=2),
        encodes=encodes,
        heavy=encode(grainy, FULL_HD, 1, folder / "out-heavy.mp4", SLOPE_TRIES),
        copy=copy(full_hd, folder / "copy.mp4"),
        copy_source=full_hd,
        join=joined,
        python_bytes=python_bytes(),
        overheads=overheads,
    )


def fit(runs: Measurements, base: CostModel) -> CostModel:
    """The cost model these runs imply; fields not measured here come from `base`."""
    decode_bytes = _decode_bytes_per_pixel(runs)
    encode_bytes, thread_bytes = _encode_bytes_per_pixel(runs, decode_bytes)
    decode_single, decode_thread = decode_bytes
    decode_seconds = _decode_seconds(runs)
    encode_seconds, busy_seconds = _encode_seconds(runs, decode_seconds["h264"])
    return replace(
        base,
        measured_on=describe_machine(),
        python_bytes=runs.python_bytes,
        ffmpeg_base_bytes=runs.tiny.run.peak_rss_bytes,
        copy_process_bytes=runs.copy.peak_rss_bytes,
        decode_bytes_per_pixel=round(decode_single, 2),
        decode_bytes_per_pixel_per_thread=round(decode_thread, 2),
        encode_bytes_per_pixel=round(encode_bytes, 2),
        encode_bytes_per_pixel_per_thread=round(thread_bytes, 2),
        encode_seconds_per_megapixel=round(encode_seconds, 5),
        encode_seconds_per_megapixel_per_bit=round(busy_seconds, 5),
        decode_seconds_per_megapixel=decode_seconds,
        process_seconds=round(runs.overheads.clip_seconds, 3),
        job_seconds=round(runs.overheads.job_seconds, 3),
        copy_seconds_per_megabyte=round(_copy_seconds_per_megabyte(runs), 5),
        join_seconds_per_output_second=round(
            _join_rate(runs.join, runs.tiny_decode), 5
        ),
        segment_bits_per_pixel=round(_segment_bits_per_pixel(runs), 4),
    )


def _decode_bytes_per_pixel(runs: Measurements) -> tuple[float, float]:
    """Decoder bytes per input pixel with one thread, and per extra thread."""
    pixels = FULL_HD[0] * FULL_HD[1]
    start = runs.tiny_decode.peak_rss_bytes
    single = (runs.decodes["h264"].peak_rss_bytes - start) / pixels
    double = (runs.decode_threaded.peak_rss_bytes - start) / pixels
    return max(0.0, single), max(0.0, double - single)


def _encode_bytes_per_pixel(
    runs: Measurements, decode_bytes: tuple[float, float]
) -> tuple[float, float]:
    """Encoder bytes per output pixel with one thread, and per extra thread."""
    base = runs.tiny.run.peak_rss_bytes
    single_thread, per_thread = decode_bytes

    def beyond_decode(item: Encode) -> float:
        decoded = (single_thread + per_thread * (item.threads - 1)) * item.source.pixels
        return item.run.peak_rss_bytes - base - decoded

    single = [item for item in runs.encodes if item.threads == 1]
    per_pixel = _ratio_of_sums(single, beyond_decode, lambda item: item.source.pixels)
    threaded = [item for item in runs.encodes if item.threads > 1]
    per_thread = _ratio_of_sums(
        threaded,
        lambda item: beyond_decode(item) - per_pixel * item.source.pixels,
        lambda item: item.source.pixels * (item.threads - 1),
    )
    return max(0.0, per_pixel), max(0.0, per_thread)


def _ratio_of_sums(
    items: Sequence[Encode],
    numerator: Callable[[Encode], float],
    denominator: Callable[[Encode], float],
) -> float:
    """A least-squares-like slope through the origin that weights big pictures."""
    return sum(map(numerator, items)) / max(sum(map(denominator, items)), 1.0)


def _decode_seconds(runs: Measurements) -> dict[str, float]:
    """Single-thread decode seconds per megapixel, per input codec."""
    start = runs.tiny_decode.cpu_seconds
    megapixels = FULL_HD[0] * FULL_HD[1] * SECONDS * FPS / 1e6
    table = {
        codec: round(max(0.0, run.cpu_seconds - start) / megapixels, 5)
        for codec, run in runs.decodes.items()
    }
    table["vp8"] = table["vp9"]
    table["other"] = round(max(table.values()), 5)
    return table


def _encode_seconds(runs: Measurements, decode_h264: float) -> tuple[float, float]:
    """Encode seconds per output megapixel at zero bits per input pixel, and per bit.

    Two 1080p runs of the same clip with mild and heavy grain give the slope; the
    three sizes with mild grain give the level.
    """
    start = runs.tiny.run.cpu_seconds

    def encode_only(item: Encode) -> float:
        decoding = item.source.megapixels * decode_h264
        return max(0.0, item.run.cpu_seconds - start - decoding)

    single = [item for item in runs.encodes if item.threads == 1]
    mild = _ratio_of_sums(single, encode_only, lambda item: item.source.megapixels)
    mild_hd = next(item for item in single if item.source.pixels == max_pixels(runs))
    heavy = encode_only(runs.heavy) / runs.heavy.source.megapixels
    level = encode_only(mild_hd) / mild_hd.source.megapixels
    spread = runs.heavy.source.bits_per_pixel - mild_hd.source.bits_per_pixel
    slope = max(0.0, (heavy - level) / max(spread, 1e-3))
    return max(0.0, mild - slope * mild_hd.source.bits_per_pixel), slope


def max_pixels(runs: Measurements) -> int:
    return max(item.source.pixels for item in runs.encodes)


def _copy_seconds_per_megabyte(runs: Measurements) -> float:
    megabytes = LOOPS * runs.copy_source.size_bytes / MEGABYTE
    return max(0.0, runs.copy.cpu_seconds - runs.tiny_decode.cpu_seconds) / megabytes


def _join_rate(join_run: Run, start: Run) -> float:
    """CPU seconds per output second to copy the video and encode the AAC."""
    return max(0.0, join_run.cpu_seconds - start.cpu_seconds) / (LOOPS * SECONDS)


def _segment_bits_per_pixel(runs: Measurements) -> float:
    single = [item for item in runs.encodes if item.threads == 1]
    return _ratio_of_sums(
        single,
        lambda item: item.output_bytes * 8.0,
        lambda item: item.source.pixels * item.source.frames,
    )


def describe_machine() -> str:
    """Cores, RAM, ffmpeg version and content: what the figures depend on."""
    version = subprocess.run(
        [find_tools().ffmpeg, "-version"], capture_output=True, text=True, check=False
    ).stdout.split(" ", 3)[2]
    memory = psutil.virtual_memory().total / (1 << 30)
    return (
        f"{os.cpu_count()}-core {platform.machine()}, {memory:.0f} GiB, "
        f"ffmpeg {version}, libx264 veryfast, testsrc2 + noise {MILD_NOISE} "
        f"(heavy {HEAVY_NOISE}), {time.strftime('%Y-%m-%d')}"
    )


def calibrate(report: Report = lambda message: None) -> CostModel:
    """Measure this machine and return the fitted model (not yet saved)."""
    with tempfile.TemporaryDirectory(prefix="clipstitch-calibrate-") as folder:
        runs = measure(Path(folder), report)
    return fit(runs, cost_model())


def save(model: CostModel, path: Path) -> Path:
    """Write the model where `cost_model()` will find it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(model.to_json())
    return path
