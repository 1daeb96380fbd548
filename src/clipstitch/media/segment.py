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
        )

    def paths(self) -> tuple[Path, Path]:
        return self.video_path, self.audio_path
