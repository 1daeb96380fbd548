"""The bundled font, and text broken into lines that fit a width in it.

drawtext draws one long line past the frame's edges; titles and captions are
broken between words instead (and a word wider than a line between letters).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from PIL import ImageFont

FONT_FAMILY = "DejaVu Sans"
FONT_FILE = "DejaVuSans.ttf"


def fonts_dir() -> Path:
    """The folder of the font bundled with clipstitch (DejaVu Sans, its licence)."""
    return Path(str(resources.files("clipstitch.media").joinpath("fonts")))


def font_path() -> Path:
    return fonts_dir() / FONT_FILE


@dataclass(frozen=True)
class LineMetrics:
    """Pixels from a line's top to its baseline, and from one line to the next."""

    ascent: int
    height: int


def line_metrics(size: int) -> LineMetrics:
    ascent, descent = _font(size).getmetrics()
    return LineMetrics(ascent=ascent, height=ascent + descent)


def wrap(text: str, size: int, width: int) -> list[str]:
    """The lines of `text` at `size` pixels, each at most `width` pixels wide.

    Line breaks written in the text are kept.
    """
    lines: list[str] = []
    for paragraph in text.splitlines() or [""]:
        lines += _wrap_paragraph(paragraph.split(), size, width) or [""]
    return lines


MIN_SIZE = 8  # pixels: text is not made smaller than this to fit
SHRINK = 0.9  # each try at fitting is this much smaller


def fit(
    text: str, size: int, width: int, height: int, spacing: int = 0
) -> tuple[int, list[str]]:
    """The largest size up to `size` at which `text`'s lines fit in the box.

    Lines are `spacing` pixels further apart than the font's line height. Below
    MIN_SIZE nothing is tried: the lines are returned at that size as they are.
    """
    while True:
        lines = wrap(text, size, width)
        tall = len(lines) * (line_metrics(size).height + spacing) > height
        wide = any(text_width(line, size) > width for line in lines)
        if size <= MIN_SIZE or not (tall or wide):
            return size, lines
        size = max(MIN_SIZE, int(size * SHRINK))


def text_width(text: str, size: int) -> float:
    return float(_font(size).getlength(text))


def _wrap_paragraph(words: list[str], size: int, width: int) -> list[str]:
    lines: list[str] = []
    line = ""
    for word in words:
        candidate = f"{line} {word}" if line else word
        if text_width(candidate, size) <= width:
            line = candidate
            continue
        if line:
            lines.append(line)
        pieces = _broken_word(word, size, width)
        lines += pieces[:-1]
        line = pieces[-1]
    if line:
        lines.append(line)
    return lines


def _broken_word(word: str, size: int, width: int) -> list[str]:
    """A word wider than `width` in pieces that fit (at least a letter each)."""
    pieces = [""]
    for letter in word:
        if pieces[-1] and text_width(pieces[-1] + letter, size) > width:
            pieces.append("")
        pieces[-1] += letter
    return pieces


@functools.lru_cache(maxsize=32)
def _font(size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(font_path()), size)
