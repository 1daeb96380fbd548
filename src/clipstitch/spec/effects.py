"""Per-clip effects: transitions at joins, slow zoom on stills, title cards."""

from __future__ import annotations

import unicodedata
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

LINE_BREAKS = frozenset("\n\r\t")


def _drawable(text: str) -> str:
    """Text ffmpeg can be given to draw: no NUL or other control characters."""
    for character in text:
        if unicodedata.category(character) == "Cc" and character not in LINE_BREAKS:
            raise ValueError(
                f"control character U+{ord(character):04X} cannot be drawn; "
                "use \\n for a line break"
            )
    return text


# Drawn with the bundled font, broken into lines that fit the frame.
DrawnText = Annotated[
    str, Field(min_length=1, max_length=500), AfterValidator(_drawable)
]


class TransitionKind(StrEnum):
    """How one clip gives way to the next."""

    CUT = "cut"
    FADE_BLACK = "fade_black"  # through black
    FADE_WHITE = "fade_white"  # through white
    CROSSFADE = "crossfade"
    WIPE_LEFT = "wipe_left"
    WIPE_RIGHT = "wipe_right"
    WIPE_UP = "wipe_up"
    WIPE_DOWN = "wipe_down"
    SLIDE_LEFT = "slide_left"
    SLIDE_RIGHT = "slide_right"
    SLIDE_UP = "slide_up"
    SLIDE_DOWN = "slide_down"


class Transition(BaseModel):
    """The join after a clip: the two clips overlap by `duration` seconds."""

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)

    kind: TransitionKind = TransitionKind.CROSSFADE
    duration: float = Field(default=0.5, gt=0, le=5)


class KenBurns(BaseModel):
    """A slow zoom and pan over a still image."""

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)

    zoom_start: float = Field(default=1.0, ge=1, le=4)
    zoom_end: float = Field(default=1.2, ge=1, le=4)
    pan: Literal["center", "left", "right", "up", "down"] = "center"


class TitleCard(BaseModel):
    """Text over a solid colour, or over the clip's own source blurred."""

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)

    text: DrawnText
    color: str = Field(default="#ffffff", examples=["#ffffff", "yellow"])
    size: int = Field(default=72, ge=8, le=400, description="Font size, pixels.")
    background: str = Field(
        default="#000000",
        description="A colour, or 'blur': the clip's source blurred behind the text.",
    )
