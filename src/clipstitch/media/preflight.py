"""Preflight: what a clip needs fixed, and whether it can be used at all."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from clipstitch.errors import UnusableClipError
from clipstitch.media.filters import HD_HEIGHT, frames_for, samples_for
from clipstitch.media.orientation import Orientation
from clipstitch.media.probe import MediaInfo, VideoStream
from clipstitch.spec import Clip, KenBurns, OutputSettings, TitleCard

COPYABLE_PROFILES = frozenset({"High"})
BT709_OR_UNSET = frozenset({"bt709", "unknown", ""})
# How long a still image or a title card lasts when its clip states no duration.
DEFAULT_STILL_SECONDS = 3.0


@dataclass(frozen=True)
class Limits:
    """Inputs beyond these are refused before any decoding."""

    max_width: int = 8192
    max_height: int = 8192
    max_duration: float = 3 * 3600.0
    max_frame_rate: float = 1000.0


@dataclass(frozen=True)
class ClipReport:
    """What will happen to one clip, decided from its probe alone."""

    seek: float  # where the segment starts, from the file's own start time
    lead: float  # seconds of audio before the first picture: the picture waits
    duration: float
    frames: int
    samples: int
    audio_shift: float  # for copied video, which cannot seek: audio to cut first
    copy_video: bool
    fixes: tuple[str, ...]
    warnings: tuple[str, ...]
    speed: float = 1.0  # the video's playback speed; `frames` already counts it
    ken_burns: KenBurns | None = None
    title: TitleCard | None = None
    keyframes: tuple[int, ...] = ()  # frames that must start a GOP (transitions)


def preflight(
    info: MediaInfo,
    clip: Clip,
    output: OutputSettings,
    limits: Limits = Limits(),
    allow_copy: bool = True,
) -> ClipReport:
    """Check `info` against the limits and decide how it becomes a segment.

    Raises UnusableClipError with the reason when the clip cannot be used.
    """
    video = _usable_video(info, limits)
    if info.still:
        return _still_report(info, video, clip, output)
    origin = _origin(info, video, output)
    lead = video.start_time - origin
    start, duration = _trimmed_span(video.duration + lead, clip)
    if clip.title is not None and clip.duration is not None:
        duration = clip.duration * clip.speed  # a card over its source, timed
    copy_video = (
        allow_copy
        and not clip.trimmed
        and lead == 0
        and clip.speed == 1
        and clip.title is None
        and video_matches(video, output)
    )
    # A copied stream keeps its own frames; a re-encoded one gets exactly these.
    frames = (
        video.frame_count
        if copy_video
        else frames_for(duration / clip.speed, output.frame_rate)
    )
    fixes = _fixes(info, video, output, lead)
    if clip.speed != 1:
        fixes.append(f"play at {clip.speed:g}x speed")
    return ClipReport(
        seek=origin - info.start_time + start,
        lead=lead,
        duration=duration,
        frames=frames,
        samples=samples_for(frames, output.frame_rate, output.audio.sample_rate),
        audio_shift=max(0.0, origin - info.start_time),
        copy_video=copy_video,
        fixes=tuple(fixes),
        warnings=tuple(_warnings(info, video, clip)),
        speed=clip.speed,
        title=clip.title,
    )


def title_report(clip: Clip, output: OutputSettings) -> ClipReport:
    """The report of a title card drawn over a solid colour (it has no source)."""
    duration, warnings = _still_duration(clip)
    return _drawn_report(clip, output, duration, ["title card, silent"], warnings)


def _still_report(
    info: MediaInfo, video: VideoStream, clip: Clip, output: OutputSettings
) -> ClipReport:
    duration, warnings = _still_duration(clip)
    if clip.trimmed or clip.speed != 1:
        warnings.append("trim and speed do not apply to a still image; ignored")
    fixes = [f"still image shown for {duration:g} s", *_fixes(info, video, output, 0.0)]
    if clip.ken_burns is not None:
        fixes.append("slow zoom and pan (Ken Burns)")
    still_fixes = [fix for fix in fixes if "fps" not in fix]
    return _drawn_report(clip, output, duration, still_fixes, warnings)


def _drawn_report(
    clip: Clip,
    output: OutputSettings,
    duration: float,
    fixes: list[str],
    warnings: list[str],
) -> ClipReport:
    """A picture held or drawn for `duration` (a still or a title): always encoded."""
    frames = frames_for(duration, output.frame_rate)
    return ClipReport(
        seek=0.0,
        lead=0.0,
        duration=duration,
        frames=frames,
        samples=samples_for(frames, output.frame_rate, output.audio.sample_rate),
        audio_shift=0.0,
        copy_video=False,
        fixes=tuple(fixes),
        warnings=tuple(warnings),
        ken_burns=clip.ken_burns,
        title=clip.title,
    )


def _still_duration(clip: Clip) -> tuple[float, list[str]]:
    if clip.duration is not None:
        return clip.duration, []
    return DEFAULT_STILL_SECONDS, [
        f"no duration given; shown for {DEFAULT_STILL_SECONDS:g} s"
    ]


def _usable_video(info: MediaInfo, limits: Limits) -> VideoStream:
    video = info.video
    if video is None:
        raise UnusableClipError("no video stream (audio-only or not a video file)")
    if video.width <= 0 or video.height <= 0:
        raise UnusableClipError("the video stream has no picture size")
    if video.width > limits.max_width or video.height > limits.max_height:
        raise UnusableClipError(
            f"picture {video.width}x{video.height} is larger than the limit "
            f"{limits.max_width}x{limits.max_height}"
        )
    if video.duration > limits.max_duration:
        raise UnusableClipError(
            f"duration {video.duration:.0f} s is longer than the limit "
            f"{limits.max_duration:.0f} s"
        )
    if video.frame_rate > limits.max_frame_rate:
        raise UnusableClipError(f"frame rate {float(video.frame_rate):.0f} is absurd")
    return video


def _origin(info: MediaInfo, video: VideoStream, output: OutputSettings) -> float:
    """Where the clip begins: its first picture, or earlier sound (an edit list may
    delay the picture); a lead shorter than half a frame is only timestamp noise.
    """
    half_frame = 0.5 / float(output.frame_rate)
    audio = info.audio
    if audio is not None and audio.start_time < video.start_time - half_frame:
        return max(audio.start_time, info.start_time)
    return video.start_time


def _trimmed_span(length: float, clip: Clip) -> tuple[float, float]:
    start = clip.start or 0.0
    end = length if clip.end is None else min(clip.end, length)
    if start >= length:
        raise UnusableClipError(
            f"trim start {start:g} s is at or after the clip's end ({length:.3f} s)"
        )
    return start, end - start


def video_matches(video: VideoStream, output: OutputSettings) -> bool:
    """Whether the clip's video can be copied into the output without re-encoding."""
    return (
        video.codec == "h264"
        and video.profile in COPYABLE_PROFILES
        and video.pix_fmt == "yuv420p"
        and not video.full_range
        and (video.width, video.height) == (output.width, output.height)
        and video.sar == 1
        and video.orientation is Orientation.UPRIGHT
        and video.frame_rate == output.frame_rate
        and not video.variable_frame_rate
        and _colour_is_bt709(video)
    )


def _colour_is_bt709(video: VideoStream) -> bool:
    """BT.709 as stated, or as the re-encode would assume for an unlabelled clip.

    An unlabelled SD clip is taken as BT.601 when re-encoded, so copying it into
    the BT.709 output would shift its colours.
    """
    if video.color_space not in BT709_OR_UNSET:
        return False
    if video.color_transfer not in BT709_OR_UNSET:
        return False
    return video.color_space == "bt709" or min(video.width, video.height) >= HD_HEIGHT


def _fixes(
    info: MediaInfo, video: VideoStream, output: OutputSettings, lead: float
) -> list[str]:
    fixes = []
    if lead > 0:
        fixes.append(f"picture starts {lead:.2f} s after the sound: first frame held")
    if video.orientation is not Orientation.UPRIGHT:
        fixes.append(f"turn upright: {video.orientation.value}")
    if video.sar != 1:
        fixes.append(
            f"square pixels (SAR {video.sar.numerator}:{video.sar.denominator})"
        )
    if (video.width, video.height) != (output.width, output.height):
        fixes.append(
            f"fit {video.width}x{video.height} into {output.width}x{output.height}"
            f" ({output.fit.value})"
        )
    if video.variable_frame_rate:
        fixes.append(f"variable frame rate to constant {_rate(output.frame_rate)} fps")
    elif video.frame_rate != output.frame_rate:
        fixes.append(f"{_rate(video.frame_rate)} fps to {_rate(output.frame_rate)} fps")
    if video.hdr:
        fixes.append(f"tone-map HDR ({video.color_transfer}) to SDR BT.709")
    elif video.bit_depth > 8 or video.pix_fmt not in ("yuv420p", "yuvj420p"):
        fixes.append(f"convert {video.pix_fmt} to 8-bit yuv420p")
    if video.full_range:
        fixes.append("full-range colour to limited range")
    if video.codec != "h264":
        fixes.append(f"re-encode {video.codec} as H.264")
    fixes.extend(_audio_fixes(info, output))
    if info.dropped_streams:
        fixes.append("drop " + ", ".join(info.dropped_streams))
    return fixes


def _audio_fixes(info: MediaInfo, output: OutputSettings) -> list[str]:
    audio = info.audio
    if audio is None:
        return ["add silence (no audio stream)"]
    fixes = []
    if audio.sample_rate != output.audio.sample_rate:
        fixes.append(
            f"resample audio {audio.sample_rate} Hz to {output.audio.sample_rate} Hz"
        )
    if audio.channels == 1:
        fixes.append("mono audio to both channels")
    elif audio.channels > 2:
        fixes.append(f"downmix {audio.layout} audio to stereo")
    return fixes


def _warnings(info: MediaInfo, video: VideoStream, clip: Clip) -> list[str]:
    warnings = []
    if video.has_alpha and not info.still:
        warnings.append("transparency is dropped (the picture is shown over black)")
    if clip.end is not None and clip.end > video.duration + 0.001:
        warnings.append(
            f"trim end {clip.end:g} s is past the clip's end "
            f"({video.duration:.3f} s); the clip ends there"
        )
    audio = info.audio
    if audio and audio.duration is not None and audio.duration + 0.05 < video.duration:
        warnings.append(
            f"audio ({audio.duration:.2f} s) is shorter than video "
            f"({video.duration:.2f} s); padded with silence"
        )
    return warnings


def _rate(rate: Fraction) -> str:
    return f"{float(rate):.3f}".rstrip("0").rstrip(".")
