"""The composition spec: what the user asks clipstitch to make."""

from __future__ import annotations

import json
from enum import StrEnum
from fractions import Fraction
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from clipstitch.errors import SpecError
from clipstitch.spec.audio import Loudness, MusicBed
from clipstitch.spec.deliverables import Deliverables
from clipstitch.spec.effects import KenBurns, TitleCard, Transition
from clipstitch.spec.overlays import ImageOverlay, Subtitles, TextOverlay


class FitMode(StrEnum):
    """How a clip whose shape differs from the output is fitted into it."""

    CONTAIN = "contain"  # whole picture visible, black bars (letterbox/pillarbox)
    COVER = "cover"  # fills the frame, the overflow cropped
    BLUR = "blur"  # whole picture over a blurred, enlarged copy of itself


class BadClipPolicy(StrEnum):
    """What to do with a clip that cannot be used."""

    FAIL = "fail"  # the whole composition fails, naming the clip
    SKIP = "skip"  # the clip is left out and a warning names it


class Clip(BaseModel):
    """One clip: a video, a still image, or a title card; trimmed, sped, faded."""

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)

    source: str | None = Field(
        default=None,
        examples=["https://example.com/a.mp4", "clips/b.mov", "photos/c.jpg"],
        description="Video or image; may be left out only for a title card.",
    )
    start: float | None = Field(default=None, ge=0, description="Trim start, seconds.")
    end: float | None = Field(default=None, gt=0, description="Trim end, seconds.")
    duration: float | None = Field(
        default=None, gt=0, le=3600, description="Seconds an image or title lasts."
    )
    speed: float = Field(default=1.0, ge=0.25, le=4, description="Playback speed.")
    volume: float = Field(default=1.0, ge=0, le=4, description="Linear audio gain.")
    mute: bool = False
    ken_burns: KenBurns | None = None
    title: TitleCard | None = None
    transition: Transition | None = Field(
        default=None, description="The join after this clip (default: a cut)."
    )

    @model_validator(mode="after")
    def _end_after_start(self) -> Clip:
        if self.start is not None and self.end is not None and self.end <= self.start:
            raise ValueError(f"trim end {self.end} must be after start {self.start}")
        return self

    @model_validator(mode="after")
    def _has_something_to_show(self) -> Clip:
        if not self.source and self.title is None:
            raise ValueError("a clip needs a source, or a title card")
        if (
            self.title is not None
            and self.title.background == "blur"
            and not self.source
        ):
            raise ValueError("a title card with a blurred background needs a source")
        return self

    @property
    def label(self) -> str:
        """How errors and reports name the clip."""
        if self.source:
            return self.source
        return f"title card {self.title.text[:40]!r}" if self.title else "clip"

    @property
    def trimmed(self) -> bool:
        return bool(self.start) or self.end is not None


Preset = Literal[
    "ultrafast", "superfast", "veryfast", "faster", "fast", "medium", "slow", "slower"
]


class VideoSettings(BaseModel):
    """H.264 encoder settings of the output."""

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)

    codec: Literal["h264"] = "h264"
    crf: int = Field(default=23, ge=0, le=51)
    preset: Preset = "veryfast"


class AudioSettings(BaseModel):
    """AAC settings of the output; 48 kHz stereo is fixed."""

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)

    codec: Literal["aac"] = "aac"
    sample_rate: Literal[48000] = 48000
    channels: Literal[2] = 2
    bitrate_kbps: int = Field(default=160, ge=32, le=512)


EvenSize = Annotated[int, Field(ge=16, le=7680, multiple_of=2)]


class OutputSettings(BaseModel):
    """Size, rate, fit and codecs of the finished video."""

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)

    width: EvenSize = 1920
    height: EvenSize = 1080
    fps: str = Field(default="30", examples=["30", "25", "30000/1001"])
    fit: FitMode = FitMode.CONTAIN
    video: VideoSettings = VideoSettings()
    audio: AudioSettings = AudioSettings()

    @field_validator("fps", mode="before")
    @classmethod
    def _fps_is_rational(cls, value: Any) -> str:
        try:
            rate = Fraction(str(value))
        except (ValueError, ZeroDivisionError):
            raise ValueError(f"fps {value!r} is not a number or a ratio") from None
        if not 1 <= rate <= 120:
            raise ValueError(f"fps {value} is outside 1..120")
        return str(rate)

    @property
    def frame_rate(self) -> Fraction:
        return Fraction(self.fps)


class Composition(BaseModel):
    """An ordered list of clips and how to render them into one video."""

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)

    clips: list[Clip] = Field(min_length=1, max_length=2000)
    output: OutputSettings = OutputSettings()
    on_bad_clip: BadClipPolicy = BadClipPolicy.FAIL
    declick: bool = Field(
        default=False, description="A few ms of audio fade at every plain cut."
    )
    music: MusicBed | None = None
    loudness: Loudness | None = None
    overlays: list[
        Annotated[TextOverlay | ImageOverlay, Field(discriminator="type")]
    ] = Field(default_factory=list)
    subtitles: Subtitles | None = None
    deliverables: Deliverables = Deliverables()

    def asset_sources(self) -> list[tuple[str, str]]:
        """The sources beside the clips (overlays, subtitles, music), each named."""
        found = [
            (f"overlay {number}", overlay.source)
            for number, overlay in enumerate(self.overlays)
            if isinstance(overlay, ImageOverlay)
        ]
        if self.subtitles is not None:
            found.append(("subtitles", self.subtitles.source))
        if self.music is not None:
            found.append(("music", self.music.source))
        return found

    @field_validator("clips", mode="before")
    @classmethod
    def _plain_strings_are_sources(cls, value: Any) -> Any:
        if isinstance(value, list):
            return [
                {"source": item} if isinstance(item, str) else item for item in value
            ]
        return value


def validation_summary(error: ValidationError) -> str:
    """pydantic's many-line report as one line: field: problem; field: problem."""
    problems = []
    for detail in error.errors():
        where = ".".join(str(part) for part in detail["loc"]) or "spec"
        problems.append(f"{where}: {detail['msg']}")
    return "; ".join(problems)


def load_composition(path: Path) -> Composition:
    """Read a composition from JSON; relative local sources are from its folder."""
    try:
        data = json.loads(path.read_text())
        composition = Composition.model_validate(data)
    except ValidationError as exc:
        raise SpecError(f"{path}: {validation_summary(exc)}") from exc
    except (OSError, ValueError) as exc:
        raise SpecError(f"{path}: {exc}") from exc
    return _resolve_relative_sources(composition, path.parent)


def _resolve_relative_sources(composition: Composition, folder: Path) -> Composition:
    clips = [
        clip.model_copy(update={"source": _resolved(clip.source, folder)})
        for clip in composition.clips
    ]
    overlays = [
        overlay.model_copy(update={"source": _resolved(overlay.source, folder)})
        if isinstance(overlay, ImageOverlay)
        else overlay
        for overlay in composition.overlays
    ]
    subtitles = composition.subtitles
    if subtitles is not None:
        subtitles = subtitles.model_copy(
            update={"source": _resolved(subtitles.source, folder)}
        )
    return composition.model_copy(
        update={"clips": clips, "overlays": overlays, "subtitles": subtitles}
    )


def _resolved(source: str | None, folder: Path) -> str | None:
    """A relative local path made relative to `folder`; URLs and None kept."""
    if source is None or "://" in source or Path(source).is_absolute():
        return source
    return str(folder / source)


def composition_schema() -> dict[str, Any]:
    """The JSON Schema of a composition, as published in docs/."""
    return Composition.model_json_schema()
