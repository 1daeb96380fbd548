"""The floor: one ffmpeg encoding the same length of noisy 1080p30, no decoding."""

from __future__ import annotations

from pathlib import Path

from bench.clipset import NOISE, OUTPUT_H264
from bench.original import AAC


def floor_command(output: Path, seconds: float) -> list[str]:
    """One encode of `seconds` of noisy 1080p30 with AAC audio into `output`."""
    video = f"testsrc2=s=1920x1080:r=30,noise=alls={NOISE}:allf=t+u:all_seed=1"
    return [
        "ffmpeg", "-hide_banner", "-nostdin", "-loglevel", "error", "-y",
        "-f", "lavfi", "-i", video, "-f", "lavfi", "-i", "sine=f=440:r=48000",
        "-t", f"{seconds:.3f}", "-map", "0:v", "-map", "1:a",
        *OUTPUT_H264, "-g", "60", *AAC, "-movflags", "+faststart", str(output),
    ]  # fmt: skip
