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
    # Frames shared with the clip before and after (transitions): such a segment
    # is stored as parts, head/body/tail, rather than as one file.
    head_frames: int = 0
    tail_frames: int = 0

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
        )

    def paths(self) -> tuple[Path, ...]:
        """Every file the segment holds: the whole, or its parts once split."""
        if not self.head_frames and not self.tail_frames:
            return self.video_path, self.audio_path
        names = ("head", "body", "tail")
        return tuple(
            path
            for name in names
            for path in (self.part_video(name), self.part_audio(name))
        )

    def part_video(self, name: str) -> Path:
        return self.video_path.with_name(f"{self.video_path.stem}.{name}.mp4")

    def part_audio(self, name: str) -> Path:
        return self.audio_path.with_name(f"{self.audio_path.stem}.{name}.wav")
