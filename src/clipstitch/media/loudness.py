"""EBU R128 loudness: measure a mix or a clip's sound, and bring it to a target.

Measuring and correcting are two passes over streamed audio (ebur128, then
loudnorm's linear mode), so memory does not grow with the length of the video.
ebur128 measures, not loudnorm: loudnorm's own first pass reads short mixes
about 1 LU low.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from clipstitch.errors import ClipstitchError
from clipstitch.media.ffmpeg import Cancellation, run_ffmpeg
from clipstitch.spec import Loudness

# Quieter than this is silence to EBU R128 (its absolute gate).
SILENCE_LUFS = -70.0
# A matched clip's sample peak stays this far under full scale (s16 WAV).
MATCH_PEAK_DB = -1.0
# The loudness range loudnorm may keep if it has to fall back to dynamic mode.
MIN_RANGE_LU = 7.0
MAX_RANGE_LU = 50.0
# loudnorm takes a measured range of 0 (a short mix) as unmeasured and goes
# dynamic; the smallest value it treats as measured keeps it linear.
MIN_MEASURED_RANGE_LU = 0.1


@dataclass(frozen=True)
class LoudnessMeasure:
    """ebur128's measurement of a whole stream."""

    integrated: float  # LUFS; -70 for silence
    true_peak: float  # dBTP; -inf for silence
    range: float  # LU
    threshold: float  # LUFS, the relative gate of the integrated loudness

    @property
    def silent(self) -> bool:
        return not self.integrated > SILENCE_LUFS


# framelog=verbose keeps the per-100 ms lines out of the log at level info.
MEASURING_FILTER = "ebur128=peak=true:framelog=verbose"
_SUMMARY = re.compile(
    r"Integrated loudness:\s+I:\s+(?P<integrated>\S+) LUFS\s+"
    r"Threshold:\s+(?P<threshold>\S+) LUFS.*?"
    r"LRA:\s+(?P<range>\S+) LU.*?"
    r"Peak:\s+(?P<peak>\S+) dBFS",
    re.DOTALL,
)


def normalizing_filter(target: Loudness, measured: LoudnessMeasure) -> str:
    """The second pass: a linear gain to the target, true-peak limited if needed.

    loudnorm works at 192 kHz; the caller resamples its output.
    """
    if measured.silent:
        return "anull"
    spread = min(MAX_RANGE_LU, max(MIN_RANGE_LU, math.ceil(measured.range + 1)))
    return (
        f"loudnorm=I={target.target_lufs}:TP={target.true_peak_db}:LRA={spread}"
        f":measured_I={measured.integrated:.2f}"
        f":measured_TP={min(99.0, measured.true_peak):.2f}"
        f":measured_LRA={max(MIN_MEASURED_RANGE_LU, measured.range):.2f}"
        f":measured_thresh={max(SILENCE_LUFS, measured.threshold):.2f}"
        ":linear=true"
    )


def measure(
    inputs: Sequence[str],
    graph: str,
    *,
    cancel: Cancellation | None = None,
) -> LoudnessMeasure:
    """Measure the audio that `graph` (a -filter_complex ending in a filter) makes.

    `inputs` are ffmpeg input arguments; only audio is decoded.
    """
    arguments = [
        "-vn", *inputs,
        "-filter_complex", f"{graph},{MEASURING_FILTER}[measured]",
        "-map", "[measured]", "-f", "null", "-",
    ]  # fmt: skip
    log = run_ffmpeg(arguments, cancel=cancel, loglevel="info")
    return parse_measure(log)


def parse_measure(log: str) -> LoudnessMeasure:
    """ebur128's summary from the end of ffmpeg's log."""
    found = _SUMMARY.search(log.rpartition("Summary:")[2])
    if found is None:
        raise ClipstitchError("no loudness measurement in ffmpeg's log")
    return LoudnessMeasure(
        integrated=float(found["integrated"]),
        true_peak=float(found["peak"]),
        range=float(found["range"]),
        threshold=float(found["threshold"]),
    )


def match_loudness(
    wav: Path, target_lufs: float, *, cancel: Cancellation | None = None
) -> float:
    """Bring a segment's WAV to `target_lufs` in place; returns the gain in dB.

    The gain is held back where it would clip, and silence is left alone.
    """
    measured = measure(["-i", str(wav)], "[0:a]anull", cancel=cancel)
    if measured.silent:
        return 0.0
    gain = min(target_lufs - measured.integrated, MATCH_PEAK_DB - measured.true_peak)
    if abs(gain) < 0.05:
        return 0.0
    matched = wav.with_name(wav.name + ".matched.wav")
    try:
        run_ffmpeg(
            ["-i", str(wav), "-af", f"volume={gain:.2f}dB", "-c:a", "pcm_s16le",
             "-f", "wav", "-y", str(matched)],
            cancel=cancel,
        )  # fmt: skip
        os.replace(matched, wav)
    finally:
        matched.unlink(missing_ok=True)
    return gain
