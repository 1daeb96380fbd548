"""Join segments into one faststart MP4: video copied, audio encoded once."""

from __future__ import annotations

import os
from collections.abc import Sequence
from fractions import Fraction
from pathlib import Path

from clipstitch.errors import CancelledError, ClipstitchError, FFmpegError
from clipstitch.media.delay import align_decode_delays
from clipstitch.media.encoding import aac_options, h264_options, video_timescale
from clipstitch.media.ffmpeg import (
    Cancellation,
    ProgressCallback,
    run_ffmpeg,
    run_ffprobe,
)
from clipstitch.media.mix import AudioMix, MixGraph, mix_graph
from clipstitch.media.overlay import OverlayGraph, Overlays, overlay_graph
from clipstitch.media.segment import Segment
from clipstitch.spec import OutputSettings

# A joined segment is deleted once the output is this far past its end.
DELETE_MARGIN_SECONDS = 2.0


def concat(
    segments: Sequence[Segment],
    output: OutputSettings,
    destination: Path,
    *,
    delete_joined: bool = True,
    mix: AudioMix | None = None,
    overlays: Overlays | None = None,
    threads: int = 1,
    cancel: Cancellation | None = None,
    on_progress: ProgressCallback | None = None,
) -> float:
    """Join `segments` in order into `destination`; returns the output's duration.

    Audio is encoded in one pass over the whole timeline, so AAC priming and frame
    padding happen once, not at every join, and cannot drift. The file appears at
    `destination` only when complete. `mix` adds a music bed and loudness;
    `overlays` re-encode the video with text, logos and subtitles (with `threads`).
    """
    rate = output.frame_rate
    duration = float(sum(segment.frames for segment in segments) / rate)
    align_decode_delays(segments, rate, cancel)
    work = destination.parent / f".{destination.name}.part"
    video_list, audio_list = _write_lists(segments, rate, work)
    deleter = _SegmentDeleter(segments, rate, duration, on_progress, delete_joined)
    try:
        audio = _audio_mix(mix, segments, audio_list, output, cancel)
        video = _overlay(overlays, output, audio)
        run_ffmpeg(
            _arguments(video_list, audio_list, output, work, audio, video, threads),
            duration=duration,
            on_progress=deleter,
            cancel=cancel,
        )
        _check_frames(work, sum(segment.frames for segment in segments))
        os.replace(work, destination)
    except (FFmpegError, CancelledError, ClipstitchError):
        work.unlink(missing_ok=True)
        raise
    finally:
        video_list.unlink(missing_ok=True)
        audio_list.unlink(missing_ok=True)
    return duration


def _check_frames(path: Path, expected: int) -> None:
    """A join that lost or repeated frames must not pass as a finished video."""
    entries = ["-select_streams", "v:0", "-show_entries", "stream=nb_frames"]
    counted = run_ffprobe([*entries, "-of", "csv=p=0", str(path)]).strip()
    if counted.isdigit() and int(counted) != expected:
        raise ClipstitchError(f"the join wrote {counted} frames instead of {expected}")


def _write_lists(
    segments: Sequence[Segment], rate: Fraction, work: Path
) -> tuple[Path, Path]:
    video_lines = ["ffconcat version 1.0"]
    audio_lines = ["ffconcat version 1.0"]
    for segment in segments:
        # The stated duration places the next segment exactly `frames` frames later.
        video_lines += [
            _file_line(segment.video_path),
            f"duration {float(segment.frames / rate):.6f}",
        ]
        audio_lines.append(_file_line(segment.audio_path))
    video_list = work.with_name(work.name + ".video.ffconcat")
    audio_list = work.with_name(work.name + ".audio.ffconcat")
    video_list.write_text("\n".join(video_lines) + "\n")
    audio_list.write_text("\n".join(audio_lines) + "\n")
    return video_list, audio_list


def _file_line(path: Path) -> str:
    quoted = str(path.resolve()).replace("'", "'\\''")
    return f"file '{quoted}'"


def _audio_mix(
    mix: AudioMix | None,
    segments: Sequence[Segment],
    audio_list: Path,
    output: OutputSettings,
    cancel: Cancellation | None,
) -> MixGraph | None:
    """The audio graph of the join (its inputs after the two lists), if any."""
    return mix_graph(
        mix,
        [*CONCAT_INPUT, "-i", str(audio_list)],
        "1:a",
        2,
        sum(segment.samples for segment in segments),
        output.audio.sample_rate,
        cancel=cancel,
    )


CONCAT_INPUT = ("-f", "concat", "-safe", "0", "-protocol_whitelist", "file")


def _overlay(
    overlays: Overlays | None, output: OutputSettings, audio: MixGraph | None
) -> OverlayGraph | None:
    """The video graph of the join; its inputs come after the lists and the mix's."""
    if overlays is None:
        return None
    mix_inputs = audio.inputs.count("-i") if audio is not None else 0
    return overlay_graph(overlays, output, "0:v:0", 2 + mix_inputs)


def _arguments(
    video_list: Path,
    audio_list: Path,
    output: OutputSettings,
    work: Path,
    audio: MixGraph | None = None,
    video: OverlayGraph | None = None,
    threads: int = 1,
) -> list[str]:
    video_inputs: tuple[str, ...] = ()
    video_map = ["-map", "0:v:0", "-c:v", "copy"]
    if video is not None:
        video_inputs = video.inputs
        video_map = [
            "-filter_complex", video.graph, "-map", f"[{video.label}]",
            *h264_options(output, threads),
        ]  # fmt: skip
    audio_inputs: tuple[str, ...] = ()
    audio_map = ["-map", "1:a:0"]
    if audio is not None:
        audio_inputs = audio.inputs
        audio_map = ["-filter_complex", audio.graph, "-map", f"[{audio.label}]"]
    return [
        *CONCAT_INPUT, "-i", str(video_list),
        *CONCAT_INPUT, "-i", str(audio_list),
        *audio_inputs,
        *video_inputs,
        *video_map, *audio_map,
        *aac_options(output),
        "-video_track_timescale", str(video_timescale(output.frame_rate)),
        "-map_metadata", "-1",
        "-movflags", "+faststart",
        "-f", "mp4", "-y", str(work),
    ]  # fmt: skip


class _SegmentDeleter:
    """Progress hook that removes segments the join has already read past."""

    def __init__(
        self,
        segments: Sequence[Segment],
        rate: Fraction,
        duration: float,
        on_progress: ProgressCallback | None,
        enabled: bool,
    ) -> None:
        self._pending = list(segments)
        self._rate = rate
        self._duration = duration
        self._on_progress = on_progress
        self._enabled = enabled
        self._elapsed_frames = 0

    def __call__(self, fraction: float) -> None:
        if self._on_progress is not None:
            self._on_progress(fraction)
        if not self._enabled:
            return
        position = fraction * self._duration
        while self._pending:
            segment = self._pending[0]
            end = float((self._elapsed_frames + segment.frames) / self._rate)
            if end + DELETE_MARGIN_SECONDS > position:
                return
            for path in segment.paths():
                path.unlink(missing_ok=True)
            self._elapsed_frames += segment.frames
            self._pending.pop(0)
