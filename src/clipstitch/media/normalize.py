"""Normalize one probed clip into a segment with the output's exact parameters."""

from __future__ import annotations

from pathlib import Path

from clipstitch.errors import CancelledError, FFmpegError, UnusableClipError
from clipstitch.media.encoding import h264_options, video_timescale
from clipstitch.media.ffmpeg import (
    Cancellation,
    ProgressCallback,
    input_options,
    run_ffmpeg,
)
from clipstitch.media.filters import NO_EDIT, AudioEdit, audio_graph
from clipstitch.media.preflight import ClipReport
from clipstitch.media.probe import MediaInfo
from clipstitch.media.segment import Segment
from clipstitch.media.visuals import clip_video_graph
from clipstitch.spec import OutputSettings


def normalize(
    info: MediaInfo | None,
    report: ClipReport,
    output: OutputSettings,
    segment: Segment,
    *,
    audio: AudioEdit = NO_EDIT,
    threads: int = 1,
    cancel: Cancellation | None = None,
    on_progress: ProgressCallback | None = None,
) -> Segment:
    """Write `segment`'s video and audio files from the clip; returns the segment.

    `info` is None for a title card drawn without a source. Raises
    UnusableClipError when ffmpeg cannot decode the clip.
    """
    arguments = [
        *_input(info, report, threads),
        "-filter_complex", _graph(info, report, output, audio),
        *_video_output(info, report, output, threads, segment.video_path),
        "-map", "[a]", "-c:a", "pcm_s16le", "-f", "wav", "-y", str(segment.audio_path),
    ]  # fmt: skip
    try:
        run_ffmpeg(
            arguments,
            duration=float(report.frames / output.frame_rate),
            on_progress=on_progress,
            cancel=cancel,
        )
    except FFmpegError as exc:
        _remove(segment)
        raise UnusableClipError(f"cannot be decoded: {exc.last_line}") from exc
    except CancelledError:
        _remove(segment)
        raise
    return segment


def _input(info: MediaInfo | None, report: ClipReport, threads: int) -> list[str]:
    if info is None:
        return ["-threads", str(threads)]  # the graph draws the whole picture
    trim = [] if report.copy_video else _trim(report)
    # Some ffmpeg builds turn stills by their EXIF and some do not: the still
    # graph turns them itself, from the orientation read at probe time.
    upright = ["-noautorotate"] if info.still else []
    source = [*upright, *input_options(info.path), "-i", str(info.path)]
    arguments = ["-threads", str(threads), *trim, *source]
    if _separate_audio_input(info, report):
        arguments += [*trim, *input_options(info.path), "-i", str(info.path)]
    return arguments


def _separate_audio_input(info: MediaInfo | None, report: ClipReport) -> bool:
    """Read the audio through a second input when the video is decoded.

    With one input, ffmpeg needing audio reads on through the file and decodes
    every video packet it passes into the filter graph's queue. In a clip whose
    audio comes after its video (a phone clip written in two runs) that queue
    holds every decoded frame: 400 MB for a third of a second of 4K. A second
    input reads the audio packets without decoding the video it skips.
    """
    return info is not None and info.audio is not None and not report.copy_video


def _trim(report: ClipReport) -> list[str]:
    trim = [
        "-t",
        f"{report.duration + 1.0:.6f}",
    ]  # one spare second; -frames cuts exactly
    # Seeking makes the segment's start time zero for every stream alike.
    if report.seek > 0:
        trim = ["-ss", f"{report.seek:.6f}", *trim]
    return trim


def _graph(
    info: MediaInfo | None,
    report: ClipReport,
    output: OutputSettings,
    edit: AudioEdit,
) -> str:
    audio = audio_graph(
        info.audio if info is not None else None,
        report.samples,
        report.audio_shift if report.copy_video else 0.0,
        output.audio.sample_rate,
        edit,
        source_input=1 if _separate_audio_input(info, report) else 0,
    )
    if report.copy_video:
        return audio
    return clip_video_graph(info, report, output) + ";" + audio


def _video_output(
    info: MediaInfo | None,
    report: ClipReport,
    output: OutputSettings,
    threads: int,
    path: Path,
) -> list[str]:
    common = ["-an", "-sn", "-dn", "-map_metadata", "-1", "-f", "mp4", "-y", str(path)]
    if report.copy_video and info is not None and info.video is not None:
        # Every segment must share one time base, or the concat demuxer
        # misplaces the packets of the segments after the first.
        timescale = str(video_timescale(output.frame_rate))
        copy = ["-c:v", "copy", "-video_track_timescale", timescale, *BT709_LABEL]
        return ["-map", f"0:{info.video.index}", *copy, *common]
    return [
        "-map", "[v]",
        "-frames:v", str(report.frames),
        *_keyframe_options(report.keyframes),
        "-filter_threads", str(threads),
        *h264_options(output, threads),
        *common,
    ]  # fmt: skip


def _keyframe_options(frames: tuple[int, ...]) -> list[str]:
    """Start a closed GOP at each of `frames`, so the segment splits there by copy."""
    if not frames:
        return []
    expression = "+".join(f"eq(n,{frame})" for frame in frames)
    return ["-force_key_frames", f"expr:{expression}", "-forced-idr", "1"]


# A copied clip's parameter sets state BT.709 limited range like the encoded
# segments: the decoder keeps the colour of the previous segment's SPS otherwise.
BT709_LABEL = (
    "-bsf:v",
    "h264_metadata=colour_primaries=1:transfer_characteristics=1"
    ":matrix_coefficients=1:video_full_range_flag=0",
)


def _remove(segment: Segment) -> None:
    for path in segment.paths():
        path.unlink(missing_ok=True)
