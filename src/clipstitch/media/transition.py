"""Render the overlap of two clips at a join: xfade for the picture, a crossfade
for the sound. Only these frames are encoded again; the clips' bodies are copied.
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

from clipstitch.media.encoding import h264_options
from clipstitch.media.ffmpeg import Cancellation, run_ffmpeg
from clipstitch.media.pcm import crossfade_wav
from clipstitch.spec import OutputSettings, TransitionKind

XFADE_NAMES = {
    TransitionKind.FADE_BLACK: "fadeblack",
    TransitionKind.FADE_WHITE: "fadewhite",
    TransitionKind.CROSSFADE: "fade",
    TransitionKind.WIPE_LEFT: "wipeleft",
    TransitionKind.WIPE_RIGHT: "wiperight",
    TransitionKind.WIPE_UP: "wipeup",
    TransitionKind.WIPE_DOWN: "wipedown",
    TransitionKind.SLIDE_LEFT: "slideleft",
    TransitionKind.SLIDE_RIGHT: "slideright",
    TransitionKind.SLIDE_UP: "slideup",
    TransitionKind.SLIDE_DOWN: "slidedown",
}
DIPS = frozenset({TransitionKind.FADE_BLACK, TransitionKind.FADE_WHITE})


def transition_frames(seconds: float, rate: Fraction) -> int:
    """Frames two clips overlap for a transition of `seconds`: at least one."""
    return max(1, round(seconds * rate))


def render_transition(
    kind: TransitionKind,
    frames: int,
    tail: tuple[Path, Path],
    head: tuple[Path, Path],
    destination: tuple[Path, Path],
    output: OutputSettings,
    threads: int = 1,
    cancel: Cancellation | None = None,
) -> None:
    """Blend the outgoing clip's tail (video, audio) into the incoming clip's head.

    Both parts last exactly `frames`; so does the result, encoded with the
    segments' own settings so that it joins them by stream copy.
    """
    seconds = float(frames / output.frame_rate)
    graph = (
        f"[0:v][1:v]xfade=transition={XFADE_NAMES[kind]}"
        f":duration={seconds:.6f}:offset=0,format=yuv420p[v]"
    )
    run_ffmpeg(
        [
            "-i", str(tail[0]),
            "-i", str(head[0]),
            "-filter_complex", graph,
            "-map", "[v]",
            "-frames:v", str(frames),
            *h264_options(output, threads),
            "-an", "-f", "mp4", "-y", str(destination[0]),
        ],
        duration=seconds,
        cancel=cancel,
    )  # fmt: skip
    crossfade_wav(tail[1], head[1], destination[1], dip=kind in DIPS)
