"""What else a composition delivers beside the MP4: posters, other formats, previews."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field


class ExtraOutput(StrEnum):
    """Other renditions of the finished video, written beside it."""

    H265_MP4 = "h265_mp4"  # out.h265.mp4
    VP9_WEBM = "vp9_webm"  # out.webm (VP9 + Opus)
    PREVIEW_GIF = "preview_gif"  # out.preview.gif, short and small
    PREVIEW_WEBP = "preview_webp"  # out.preview.webp


class Poster(BaseModel):
    """A JPEG still of the output (out.poster.jpg), and optionally one per clip."""

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)

    time: float | None = Field(default=None, ge=0, description="None: the middle.")
    per_clip: bool = False


class Deliverables(BaseModel):
    """Posters and extra renditions; none by default."""

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)

    poster: Poster | None = None
    extra_outputs: list[ExtraOutput] = Field(default_factory=list)
