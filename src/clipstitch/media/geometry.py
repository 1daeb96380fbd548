"""Where a clip's picture goes in the output frame, per fit mode."""

from __future__ import annotations

import math
from dataclasses import dataclass

from clipstitch.spec import FitMode


@dataclass(frozen=True)
class Placement:
    """The picture scaled to `width`x`height`, then padded or cropped to the frame."""

    width: int
    height: int
    frame_width: int
    frame_height: int

    @property
    def x(self) -> int:
        return (self.frame_width - self.width) // 2

    @property
    def y(self) -> int:
        return (self.frame_height - self.height) // 2

    @property
    def fills_frame(self) -> bool:
        return self.width == self.frame_width and self.height == self.frame_height


def place(
    display: tuple[float, float], frame: tuple[int, int], fit: FitMode
) -> Placement:
    """Scale a picture of `display` shape (square pixels) into `frame`, never stretched.

    `contain` and `blur` keep the whole picture inside the frame; `cover` makes it
    at least as large as the frame (the overflow is cropped).
    """
    width, height = display
    frame_width, frame_height = frame
    if fit is FitMode.COVER:
        scale = max(frame_width / width, frame_height / height)
        return Placement(
            width=max(frame_width, _even(width * scale, math.ceil)),
            height=max(frame_height, _even(height * scale, math.ceil)),
            frame_width=frame_width,
            frame_height=frame_height,
        )
    scale = min(frame_width / width, frame_height / height)
    return Placement(
        width=min(frame_width, _even(width * scale, round)),
        height=min(frame_height, _even(height * scale, round)),
        frame_width=frame_width,
        frame_height=frame_height,
    )


def _even(value: float, rounding: object) -> int:
    """The nearest even size of at least 2: the encoder needs even dimensions."""
    halved = rounding(value / 2)  # type: ignore[operator]
    return max(2, int(halved) * 2)
