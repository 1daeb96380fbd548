"""Probe composed outputs with ffprobe/ffmpeg: streams, durations, sync edges, pictures.

Independent of clipstitch's own probe: these helpers are the test's oracle.
"""

from __future__ import annotations

import json
import subprocess
from array import array
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

SAMPLE_RATE = 48000
# N00: black and silent for 0.5 s, then a test pattern and a 1 kHz tone.
N00_EDGE = 0.5
N00_DURATION = 1.5
BLACK_LUMA = 40  # limited-range black is 16; testsrc2 averages well above 60
TONE_LEVEL = 1500  # the tone peaks near 4096 (amplitude 1/8 of full scale)
SILENCE_LEVEL = 60
THUMB = (64, 36)


def run(command: list[str], *, binary: bool = False) -> Any:
    completed = subprocess.run(
        command, capture_output=True, check=False, text=not binary
    )
    if completed.returncode != 0:
        stderr = completed.stderr if not binary else completed.stderr.decode()
        raise AssertionError(f"{command[0]} failed: {stderr[-2000:]}")
    return completed.stdout


def ffprobe_json(path: Path, *entries: str) -> dict[str, Any]:
    command = ["ffprobe", "-v", "error", *entries, "-of", "json", str(path)]
    result: dict[str, Any] = json.loads(run(command))
    return result


def streams(path: Path) -> list[dict[str, Any]]:
    return list(ffprobe_json(path, "-show_streams")["streams"])


def decode_errors(path: Path) -> str:
    """Everything ffmpeg complains about while decoding the whole file."""
    command = ["ffmpeg", "-v", "error", "-nostdin", "-i", str(path), "-f", "null", "-"]
    completed = subprocess.run(command, capture_output=True, text=True, check=False)
    return completed.stderr.strip() or ("" if completed.returncode == 0 else "failed")


def frame_rate(stream: dict[str, Any]) -> Fraction:
    return Fraction(stream["avg_frame_rate"])


def video_frame_count(path: Path) -> int:
    data = ffprobe_json(
        path, "-count_packets", "-select_streams", "v:0", "-show_entries",
        "stream=nb_read_packets",
    )  # fmt: skip
    return int(data["streams"][0]["nb_read_packets"])


@dataclass(frozen=True)
class Durations:
    """Per-stream durations of an output, in seconds."""

    video: float  # frames / frame rate
    audio: float  # the audio track as the container presents it
    container: float


def durations(path: Path) -> Durations:
    by_type = {stream["codec_type"]: stream for stream in streams(path)}
    video = by_type["video"]
    container = ffprobe_json(path, "-show_format")["format"]
    return Durations(
        video=float(video_frame_count(path) / frame_rate(video)),
        audio=float(by_type["audio"]["duration"]),
        container=float(container["duration"]),
    )


def frame_lumas(path: Path) -> list[float]:
    """The mean luma of every decoded frame (on a 16x9 thumbnail)."""
    raw = run(
        ["ffmpeg", "-v", "error", "-i", str(path), "-map", "0:v:0",
         "-vf", "scale=16:9:flags=area,format=gray", "-f", "rawvideo", "-"],
        binary=True,
    )  # fmt: skip
    size = 16 * 9
    return [sum(raw[at : at + size]) / size for at in range(0, len(raw), size)]


def audio_samples(path: Path, channels: int = 1) -> array[int]:
    """The decoded audio as signed 16-bit samples at 48 kHz (interleaved)."""
    raw = run(
        ["ffmpeg", "-v", "error", "-i", str(path), "-map", "0:a:0",
         "-ac", str(channels), "-ar", str(SAMPLE_RATE), "-f", "s16le", "-"],
        binary=True,
    )  # fmt: skip
    samples = array("h")
    samples.frombytes(raw[: len(raw) // 2 * 2])
    return samples


@dataclass(frozen=True)
class Edges:
    """Where N00's picture and sound start, in seconds of the output."""

    picture: float
    sound: float

    @property
    def gap(self) -> float:
        return abs(self.picture - self.sound)


class Timeline:
    """A decoded output, to find N00's sync edges and measure levels anywhere."""

    def __init__(self, path: Path) -> None:
        video = next(s for s in streams(path) if s["codec_type"] == "video")
        self.fps = frame_rate(video)
        self.lumas = frame_lumas(path)
        self.mono = audio_samples(path)

    def edges(self, n00_start: float) -> Edges:
        """N00's edges, searched from inside its black, silent first half second."""
        begin, end = n00_start + 0.25, n00_start + 1.0
        return Edges(
            picture=self._picture_edge(begin, end), sound=self._sound_edge(begin, end)
        )

    def _picture_edge(self, begin: float, end: float) -> float:
        first, last = int(begin * self.fps), int(end * self.fps)
        for index in range(first, min(last, len(self.lumas))):
            if self.lumas[index] > BLACK_LUMA:
                return float(index / self.fps)
        raise AssertionError(f"no picture edge between {begin:.3f} s and {end:.3f} s")

    def _sound_edge(self, begin: float, end: float) -> float:
        first, last = int(begin * SAMPLE_RATE), int(end * SAMPLE_RATE)
        for index in range(first, min(last, len(self.mono))):
            if abs(self.mono[index]) > TONE_LEVEL:
                return index / SAMPLE_RATE
        raise AssertionError(f"no sound edge between {begin:.3f} s and {end:.3f} s")

    def peak(self, begin: float, end: float) -> int:
        """The loudest sample between two moments."""
        window = self.mono[int(begin * SAMPLE_RATE) : int(end * SAMPLE_RATE)]
        return max((abs(sample) for sample in window), default=0)


def channel_levels(path: Path, begin: float, end: float) -> tuple[float, float]:
    """Mean absolute level of the left and right channels between two moments."""
    stereo = audio_samples(path, channels=2)
    first, last = int(begin * SAMPLE_RATE) * 2, int(end * SAMPLE_RATE) * 2
    window = stereo[first:last]
    left, right = window[0::2], window[1::2]
    return sum(map(abs, left)) / max(1, len(left)), sum(map(abs, right)) / max(
        1, len(right)
    )


def thumbnail(
    path: Path, frame: int, filters: str = "", *, raw_input: bool = False
) -> bytes:
    """Frame `frame` of `path` as 64x36 RGB, after optional `filters`.

    RGB, not luma: a correct BT.601 to BT.709 conversion changes the coded luma.
    """
    chain = [f"select=eq(n\\,{frame})", *([filters] if filters else [])]
    chain.append(f"scale={THUMB[0]}:{THUMB[1]}:flags=area,format=rgb24")
    autorotate = ["-noautorotate"] if raw_input else []
    data: bytes = run(
        ["ffmpeg", "-v", "error", *autorotate, "-i", str(path), "-map", "0:v:0",
         "-vf", ",".join(chain), "-frames:v", "1", "-f", "rawvideo", "-"],
        binary=True,
    )  # fmt: skip
    assert len(data) == THUMB[0] * THUMB[1] * 3, f"no frame {frame} in {path}"
    return data


def difference(first: bytes, second: bytes) -> float:
    """Mean absolute difference of two pictures of the same size and format."""
    return sum(abs(a - b) for a, b in zip(first, second, strict=True)) / len(first)


def region_luma(path: Path, frame: int, box: tuple[int, int, int, int]) -> float:
    """Mean luma of `box` (x, y, width, height, output pixels) in frame `frame`."""
    x, y, width, height = box
    chain = f"select=eq(n\\,{frame}),crop={width}:{height}:{x}:{y}"
    plane = _luma_plane(path, chain, (width, height))
    return sum(plane) / len(plane)


def _luma_plane(path: Path, chain: str, size: tuple[int, int]) -> bytes:
    """The Y plane as coded (no range conversion) of the first frame `chain` passes."""
    data: bytes = run(
        ["ffmpeg", "-v", "error", "-i", str(path), "-map", "0:v:0",
         "-vf", f"{chain},format=yuv420p", "-frames:v", "1", "-f", "rawvideo", "-"],
        binary=True,
    )  # fmt: skip
    width, height = size
    assert len(data) >= width * height, f"no such frame in {path}"
    return data[: width * height]


def rotation(path: Path) -> int:
    """The display matrix's rotation in degrees, counter-clockwise (ffprobe's sign)."""
    data = ffprobe_json(path, "-select_streams", "v:0", "-show_streams")
    for side_data in data["streams"][0].get("side_data_list", []):
        if "rotation" in side_data:
            return int(side_data["rotation"]) % 360
    return 0


# counter-clockwise rotation -> filters that show the stored picture upright
UPRIGHT_FILTERS = {
    0: "null",
    90: "transpose=cclock",
    180: "hflip,vflip",
    270: "transpose=clock",
}
