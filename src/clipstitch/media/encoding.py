"""The one set of codec parameters every segment and the output share."""

from __future__ import annotations

import math
from fractions import Fraction

from clipstitch.spec import OutputSettings

MIN_TIMESCALE = 10_000


def video_timescale(rate: Fraction) -> int:
    """An MP4 track timescale in which every frame lasts a whole number of ticks."""
    ticks = rate.numerator
    return ticks * math.ceil(MIN_TIMESCALE / ticks)


def h264_options(output: OutputSettings, threads: int) -> list[str]:
    """libx264 options; equal settings give all segments one set of parameters."""
    keyframe_interval = max(1, round(2 * output.frame_rate))
    return [
        "-c:v", "libx264",
        "-preset", output.video.preset,
        "-crf", str(output.video.crf),
        "-profile:v", "high",
        "-pix_fmt", "yuv420p",
        "-g", str(keyframe_interval),
        "-threads", str(threads),
        "-color_primaries", "bt709",
        "-color_trc", "bt709",
        "-colorspace", "bt709",
        "-color_range", "tv",
        "-video_track_timescale", str(video_timescale(output.frame_rate)),
    ]  # fmt: skip


def aac_options(output: OutputSettings) -> list[str]:
    return [
        "-c:a", "aac",
        "-b:a", f"{output.audio.bitrate_kbps}k",
        "-ar", str(output.audio.sample_rate),
        "-ac", str(output.audio.channels),
    ]  # fmt: skip
