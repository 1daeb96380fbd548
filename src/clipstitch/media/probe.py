"""Probe a media file into typed, frozen data (ffprobe's own names)."""

from __future__ import annotations

import dataclasses
import itertools
import json
import re
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

from clipstitch.errors import FFmpegError, UnusableClipError
from clipstitch.media.ffmpeg import input_options, run_ffprobe
from clipstitch.media.images import IMAGE_DEMUXERS, exif_orientation
from clipstitch.media.orientation import Orientation, orientation_from_matrix

HDR_TRANSFERS = frozenset({"smpte2084", "arib-std-b67"})
FULL_RANGE_PIX_FMTS = frozenset({"yuvj420p", "yuvj422p", "yuvj444p"})
# Frame durations that differ by more than this share make a clip variable-rate;
# WebM stores milliseconds, so up to a millisecond of jitter is only rounding.
VFR_TOLERANCE = 0.05
TIMESTAMP_ROUNDING = 0.0015


@dataclass(frozen=True)
class VideoStream:
    index: int
    codec: str
    profile: str
    level: int
    width: int
    height: int
    sar: Fraction
    orientation: Orientation
    pix_fmt: str
    bit_depth: int
    has_alpha: bool
    frame_rate: Fraction
    variable_frame_rate: bool
    color_range: str
    color_space: str
    color_transfer: str
    color_primaries: str
    start_time: float
    duration: float
    frame_count: int
    # Seconds between the first packet's decoding and its showing (B-frames):
    # a copy of this video starts with the same delay.
    decode_lead: float = 0.0

    @property
    def hdr(self) -> bool:
        return self.color_transfer in HDR_TRANSFERS

    @property
    def full_range(self) -> bool:
        return self.color_range == "pc" or self.pix_fmt in FULL_RANGE_PIX_FMTS

    @property
    def display_size(self) -> tuple[float, float]:
        """Width and height as shown: square pixels, rotation applied."""
        width = self.width * float(self.sar)
        if self.orientation.swaps_axes:
            return float(self.height), width
        return width, float(self.height)


@dataclass(frozen=True)
class AudioStream:
    index: int
    codec: str
    sample_rate: int
    channels: int
    layout: str
    start_time: float
    duration: float | None


@dataclass(frozen=True)
class MediaInfo:
    path: Path
    format_name: str
    size_bytes: int
    start_time: float
    duration: float
    video: VideoStream | None
    audio: AudioStream | None
    dropped_streams: tuple[str, ...]
    still: bool = False  # a JPEG, PNG or WebP picture, shown for a set duration


def probe(path: Path) -> MediaInfo:
    """Probe `path`; the video's duration and frame count come from its packets."""
    size = path.stat().st_size
    if size == 0:
        raise UnusableClipError("empty file (0 bytes)")
    data = _probe_json(path)
    streams: list[dict[str, Any]] = data.get("streams", [])
    container = data.get("format", {})
    video_data = _main_video(streams)
    audio_data = next((s for s in streams if s.get("codec_type") == "audio"), None)
    timings = _scan_packets(path) if video_data else {}
    video = _video_stream(video_data, timings) if video_data else None
    audio = _audio_stream(audio_data, timings) if audio_data else None
    kept = {id(video_data), id(audio_data)}
    still = container.get("format_name") in IMAGE_DEMUXERS
    if still and video is not None:
        video = dataclasses.replace(video, orientation=exif_orientation(path))
    return MediaInfo(
        path=path,
        format_name=str(container.get("format_name", "")),
        size_bytes=size,
        start_time=_float(container.get("start_time")),
        duration=_container_duration(container, video),
        video=video,
        audio=audio,
        dropped_streams=tuple(_describe(s) for s in streams if id(s) not in kept),
        still=still,
    )


def _probe_json(path: Path) -> dict[str, Any]:
    try:
        output = run_ffprobe(
            [
                *input_options(path),
                "-show_format",
                "-show_streams",
                "-of",
                "json",
                str(path),
            ]
        )
    except FFmpegError as exc:
        raise UnusableClipError(
            f"unreadable media file ({_reason(exc.log_tail)})"
        ) from exc
    result: dict[str, Any] = json.loads(output)
    return result


def _reason(log_tail: str) -> str:
    lines = [line for line in log_tail.strip().splitlines() if line.strip()]
    if not lines:
        return "ffprobe failed"
    return re.sub(r"^\S+: ", "", lines[-1]).strip()


def _main_video(streams: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The first real video stream: cover art and thumbnails are not video."""
    for stream in streams:
        disposition = stream.get("disposition", {})
        if stream.get("codec_type") == "video" and not disposition.get("attached_pic"):
            return stream
    return None


def _video_stream(data: dict[str, Any], timings: Timings) -> VideoStream:
    index = int(data["index"])
    timing = timings.get(index)
    if timing is None:
        raise UnusableClipError("the video stream has no frames")
    frame_rate = _frame_rate(data, timing)
    pix_fmt = str(data.get("pix_fmt", ""))
    return VideoStream(
        index=index,
        codec=str(data.get("codec_name", "")),
        profile=str(data.get("profile", "")),
        level=int(data.get("level", 0) or 0),
        width=int(data.get("width", 0)),
        height=int(data.get("height", 0)),
        sar=_sar(data.get("sample_aspect_ratio")),
        orientation=orientation_from_matrix(_display_matrix(data)),
        pix_fmt=pix_fmt,
        bit_depth=_bit_depth(data, pix_fmt),
        has_alpha=_has_alpha(data, pix_fmt),
        frame_rate=frame_rate,
        variable_frame_rate=timing.variable,
        color_range=str(data.get("color_range", "unknown")),
        color_space=str(data.get("color_space", "unknown")),
        color_transfer=str(data.get("color_transfer", "unknown")),
        color_primaries=str(data.get("color_primaries", "unknown")),
        start_time=timing.start,
        duration=timing.duration,
        frame_count=timing.count,
        decode_lead=timing.lead,
    )


@dataclass(frozen=True)
class _PacketTiming:
    start: float
    duration: float
    count: int
    variable: bool
    lead: float  # the first packet's presentation minus decoding time


Timings = dict[int, _PacketTiming]  # by stream index


def _scan_packets(path: Path) -> Timings:
    """Read every packet's timestamps (no decoding): each stream's real length.

    Containers state lengths that are wrong or missing (MPEG-TS audio, files cut
    short, edit lists); the packets are what will be shown and heard.
    """
    output = run_ffprobe(
        [
            *input_options(path),
            "-show_entries",
            "packet=stream_index,pts_time,dts_time,duration_time,flags",
            "-of",
            "csv=p=0",
            str(path),
        ]
    )
    starts: dict[int, list[float]] = {}
    ends: dict[int, float] = {}
    leads: dict[int, float] = {}
    for line in output.splitlines():
        fields = line.split(",")
        if len(fields) < 5:
            continue
        stream = int(fields[0])
        if stream not in leads:  # the first packet, shown or not, starts a copy
            leads[stream] = _lead(fields[1], fields[2])
        if "D" in fields[4]:
            continue  # packets an edit list discards are never shown
        moment = _float(fields[1]) if _known(fields[1]) else _float(fields[2])
        starts.setdefault(stream, []).append(moment)
        ends[stream] = max(ends.get(stream, moment), moment + _float(fields[3]))
    return {
        stream: _timing(sorted(moments), ends[stream], leads[stream])
        for stream, moments in starts.items()
    }


def _known(field: str) -> bool:
    return field not in ("", "N/A")


def _lead(pts: str, dts: str) -> float:
    return max(0.0, _float(pts) - _float(dts)) if _known(pts) and _known(dts) else 0.0


def _timing(starts: list[float], end: float, lead: float) -> _PacketTiming:
    gaps = [later - earlier for earlier, later in itertools.pairwise(starts)]
    if gaps:
        typical = sorted(gaps)[len(gaps) // 2]
        variable = typical > 0 and any(
            abs(gap - typical) > max(typical * VFR_TOLERANCE, TIMESTAMP_ROUNDING)
            for gap in gaps
        )
        # A last packet without a duration ends one typical frame after it starts.
        end = max(end, starts[-1] + typical)
    else:
        variable = False
    return _PacketTiming(
        start=starts[0],
        duration=max(0.0, end - starts[0]),
        count=len(starts),
        variable=variable,
        lead=lead,
    )


def _frame_rate(data: dict[str, Any], timing: _PacketTiming) -> Fraction:
    for key in ("avg_frame_rate", "r_frame_rate"):
        rate = _fraction(data.get(key))
        if 0 < rate <= 1000:
            return rate
    if timing.duration > 0 and timing.count > 1:
        return Fraction(timing.count / timing.duration).limit_denominator(1001)
    return Fraction(30)


def _display_matrix(data: dict[str, Any]) -> tuple[int, ...] | None:
    for side_data in data.get("side_data_list", []):
        if side_data.get("side_data_type") == "Display Matrix":
            numbers = re.findall(
                r":\s+(-?\d+)\s+(-?\d+)\s+(-?\d+)", side_data["displaymatrix"]
            )
            return tuple(int(value) for row in numbers for value in row)
    return None


def _bit_depth(data: dict[str, Any], pix_fmt: str) -> int:
    raw = data.get("bits_per_raw_sample")
    if raw and str(raw).isdigit():
        return int(raw)
    match = re.search(r"p(\d+)(le|be)$", pix_fmt)
    return int(match.group(1)) if match else 8


def _has_alpha(data: dict[str, Any], pix_fmt: str) -> bool:
    tags = {key.lower(): value for key, value in data.get("tags", {}).items()}
    return (
        pix_fmt.startswith(("yuva", "rgba", "bgra", "argb", "abgr"))
        or tags.get("alpha_mode") == "1"
    )


def _audio_stream(data: dict[str, Any], timings: Timings) -> AudioStream:
    channels = int(data.get("channels", 0) or 0)
    timing = timings.get(int(data["index"]))
    duration = timing.duration if timing else data.get("duration")
    return AudioStream(
        index=int(data["index"]),
        codec=str(data.get("codec_name", "")),
        sample_rate=int(data.get("sample_rate", 0) or 0),
        channels=channels,
        layout=str(data.get("channel_layout", "")) or f"{channels} channels",
        start_time=_float(data.get("start_time")),
        duration=_float(duration) if duration not in (None, "N/A") else None,
    )


def _container_duration(container: dict[str, Any], video: VideoStream | None) -> float:
    stated = container.get("duration")
    if stated not in (None, "N/A"):
        return _float(stated)
    return video.duration if video else 0.0


def _describe(stream: dict[str, Any]) -> str:
    kind = stream.get("codec_type", "unknown")
    if stream.get("disposition", {}).get("attached_pic"):
        kind = "cover art"
    codec = stream.get("codec_name") or stream.get("codec_tag_string", "")
    return f"#{stream.get('index')} {kind} {codec}".strip()


def _sar(value: Any) -> Fraction:
    ratio = _fraction(value, separator=":")
    return ratio if ratio > 0 else Fraction(1)


def _fraction(value: Any, separator: str = "/") -> Fraction:
    if not value or separator not in str(value):
        return Fraction(0)
    numerator, _, denominator = str(value).partition(separator)
    try:
        return (
            Fraction(int(numerator), int(denominator))
            if int(denominator)
            else Fraction(0)
        )
    except ValueError:
        return Fraction(0)


def _float(value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return 0.0
