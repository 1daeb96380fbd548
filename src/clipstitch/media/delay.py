"""Give every segment the same decode delay, so the join's timestamps stay in order.

A stream with B-frames is decoded a frame or two before it is shown (its first
DTS is negative); a clip too short for B-frames, or a copied clip from another
encoder, may have less delay. Joined after one with more, its DTS would run
backwards, the muxer would nudge them, and the video track would declare frames
less than it holds. Such segments are remuxed with their DTS moved earlier.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from fractions import Fraction
from pathlib import Path

from clipstitch.media.encoding import video_timescale
from clipstitch.media.ffmpeg import Cancellation, run_ffmpeg, run_ffprobe
from clipstitch.media.segment import Segment

# Encoded segments at least this long carry the encoder's full B-frame delay.
STEADY_FRAMES = 16


def align_decode_delays(
    segments: Sequence[Segment], rate: Fraction, cancel: Cancellation | None = None
) -> None:
    """Remux (in place) the segments whose decode delay is below the others'."""
    suspects = [s for s in segments if s.copied_video or s.frames < STEADY_FRAMES]
    if not suspects:
        return
    steady = next((s for s in segments if s not in suspects), None)
    delays = {id(s): _known_or_measured(s, rate) for s in suspects}
    target = max([*delays.values(), _known_or_measured(steady, rate) if steady else 0])
    for segment in suspects:
        if delays[id(segment)] < target:
            _delay(segment.video_path, target - delays[id(segment)], rate, cancel)


def _known_or_measured(segment: Segment, rate: Fraction) -> int:
    """The delay the step recorded; a probe of the file when it did not know it."""
    if segment.decode_delay is not None:
        return segment.decode_delay
    return decode_delay(segment.video_path, rate)


def decode_delay(path: Path, rate: Fraction) -> int:
    """Frames between the first packet's decoding and its showing."""
    output = run_ffprobe(
        ["-select_streams", "v:0", "-read_intervals", "%+#1",
         "-show_entries", "packet=pts,dts", "-of", "csv=p=0", str(path)]
    )  # fmt: skip
    first = output.strip().splitlines()[0].split(",") if output.strip() else []
    if len(first) < 2 or not first[0].lstrip("-").isdigit():
        return 0
    ticks = int(first[0]) - int(first[1])
    return round(Fraction(ticks, video_timescale(rate)) * rate)


def _delay(
    path: Path, frames: int, rate: Fraction, cancel: Cancellation | None
) -> None:
    timescale = video_timescale(rate)
    ticks = frames * timescale * rate.denominator // rate.numerator
    moved = path.with_name(path.stem + ".delayed.mp4")
    run_ffmpeg(
        ["-i", str(path), "-map", "0:v:0", "-c", "copy",
         "-bsf:v", f"setts=dts=DTS-{ticks}",
         "-video_track_timescale", str(timescale), "-f", "mp4", "-y", str(moved)],
        cancel=cancel,
    )  # fmt: skip
    os.replace(moved, path)
