"""Fit the planner's cost model to measured runs.

Memory is fitted per process, per pixel and per thread; time per megapixel, with
a term for how busy the picture is (the input's bits per pixel).
"""

from __future__ import annotations

import os
import platform
import subprocess
import time
from collections.abc import Callable, Sequence
from dataclasses import replace

import psutil

from clipstitch.media.ffmpeg import find_tools
from clipstitch.pipeline.costs import CostModel
from clipstitch.planning.runs import (
    FPS,
    FULL_HD,
    HEAVY_NOISE,
    LOOPS,
    MEGABYTE,
    MILD_NOISE,
    SECONDS,
    Encode,
    Measurements,
    join_rate,
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
        join_seconds_per_output_second=round(join_rate(runs.join, runs.tiny_decode), 5),
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
