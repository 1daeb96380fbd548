"""Exact cuts and crossfades of the segments' PCM audio (16-bit WAV)."""

from __future__ import annotations

import array
import math
import wave
from pathlib import Path

SAMPLE_BYTES = 2


def cut_wav(source: Path, destination: Path, first: int, count: int) -> None:
    """Copy `count` sample frames starting at `first` into a new WAV file."""
    with wave.open(str(source), "rb") as reader:
        reader.setpos(first)
        frames = reader.readframes(count)
        params = reader.getparams()
    with wave.open(str(destination), "wb") as writer:
        writer.setparams(params)
        writer.writeframes(frames)


def wav_frames(path: Path) -> int:
    with wave.open(str(path), "rb") as reader:
        return reader.getnframes()


def crossfade_wav(outgoing: Path, incoming: Path, destination: Path, dip: bool) -> None:
    """Mix two equally long WAVs, the first fading out as the second fades in.

    `dip` fades through silence (the sound of a fade through black); otherwise the
    curves keep equal power, so the mix does not sag in the middle.
    """
    with (
        wave.open(str(outgoing), "rb") as first,
        wave.open(str(incoming), "rb") as second,
    ):
        params = first.getparams()
        count = min(first.getnframes(), second.getnframes())
        older = array.array("h", first.readframes(count))
        newer = array.array("h", second.readframes(count))
    mixed = _mix(older, newer, params.nchannels, dip)
    with wave.open(str(destination), "wb") as writer:
        writer.setparams(params)
        writer.writeframes(mixed.tobytes())


def _mix(
    older: array.array[int], newer: array.array[int], channels: int, dip: bool
) -> array.array[int]:
    frames = len(older) // channels
    mixed = array.array("h", bytes(len(older) * SAMPLE_BYTES))
    for frame in range(frames):
        fade_out, fade_in = _gains(frame / max(1, frames - 1), dip)
        for channel in range(channels):
            at = frame * channels + channel
            value = older[at] * fade_out + newer[at] * fade_in
            mixed[at] = max(-32768, min(32767, round(value)))
    return mixed


def _gains(position: float, dip: bool) -> tuple[float, float]:
    """Gains of the outgoing and incoming sound at `position` (0..1) of the fade."""
    if dip:
        return max(0.0, 1 - 2 * position), max(0.0, 2 * position - 1)
    angle = position * math.pi / 2
    return math.cos(angle), math.sin(angle)
