"""A segment: one clip normalized to the output's exact parameters."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Segment:
    """A clip's video (MP4, video only) and audio (PCM WAV) of exactly equal length."""

    index: int
    source: str
    video_path: Path
    audio_path: Path
    frames: int
    samples: int
    copied_video: bool
    fixes: tuple[str, ...] = field(default=())
    warnings: tuple[str, ...] = field(default=())
    # Frames shared with the clip before and after (transitions): the segment has
    # keyframes there, and the join splits it into head, body and tail parts.
    head_frames: int = 0
    tail_frames: int = 0
    # Frames between the first packet's decoding and its showing, when the step
    # knew it (a copy keeps its source's); the join measures the others.
    decode_delay: int | None = None

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["video_path"] = str(self.video_path)
        data["audio_path"] = str(self.audio_path)
        data["fixes"] = list(self.fixes)
        data["warnings"] = list(self.warnings)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Segment:
        return cls(
            index=int(data["index"]),
            source=str(data["source"]),
            video_path=Path(data["video_path"]),
            audio_path=Path(data["audio_path"]),
            frames=int(data["frames"]),
            samples=int(data["samples"]),
            copied_video=bool(data["copied_video"]),
            fixes=tuple(data.get("fixes", ())),
            warnings=tuple(data.get("warnings", ())),
            head_frames=int(data.get("head_frames", 0)),
            tail_frames=int(data.get("tail_frames", 0)),
            decode_delay=_optional_int(data.get("decode_delay")),
        )

    def paths(self) -> tuple[Path, Path]:
        return self.video_path, self.audio_path

    def part_video(self, name: str) -> Path:
        return self.video_path.with_name(f"{self.video_path.stem}.{name}.mp4")

    def part_audio(self, name: str) -> Path:
        return self.audio_path.with_name(f"{self.audio_path.stem}.{name}.wav")


def _optional_int(value: Any) -> int | None:
    return None if value is None else int(value)
