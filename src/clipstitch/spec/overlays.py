"""Overlays on the output timeline: text, a logo or watermark, burned-in subtitles."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from clipstitch.spec.effects import DrawnText

Position = Literal[
    "top-left",
    "top",
    "top-right",
    "left",
    "center",
    "right",
    "bottom-left",
    "bottom",
    "bottom-right",
]


class _Timed(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)

    start: float = Field(default=0, ge=0, description="Output time, seconds.")
    end: float | None = Field(default=None, gt=0, description="None: to the end.")
    position: Position = "bottom"
    margin: int = Field(default=32, ge=0, le=2000, description="Pixels from the edge.")

    @model_validator(mode="after")
    def _end_after_start(self) -> _Timed:
        if self.end is not None and self.end <= self.start:
            raise ValueError(f"overlay end {self.end} must be after start {self.start}")
        return self


class TextOverlay(_Timed):
    """Text drawn over the video, with an optional box or outline."""

    type: Literal["text"] = "text"
    text: DrawnText
    size: int = Field(default=48, ge=8, le=400)
    color: str = "#ffffff"
    box: bool = False
    box_color: str = "#000000@0.5"
    outline: int = Field(default=0, ge=0, le=20)
    outline_color: str = "#000000"


class ImageOverlay(_Timed):
    """A logo or watermark image."""

    type: Literal["image"] = "image"
    source: str = Field(min_length=1)
    scale: float = Field(default=0.15, gt=0, le=1, description="Share of output width.")
    opacity: float = Field(default=1.0, ge=0, le=1)


class Subtitles(BaseModel):
    """SRT or WebVTT subtitles burned in, timed on the output timeline."""

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)

    source: str = Field(min_length=1)
    size: int = Field(default=0, ge=0, le=200, description="0: sized to the frame.")
