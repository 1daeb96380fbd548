"""Text and placement in ffmpeg filters: the bundled font, colours, escaping."""

from __future__ import annotations

import re

from clipstitch.errors import SpecError
from clipstitch.media.text_layout import fit, font_path, line_metrics

_HEX_COLOR = r"(?:#|0x)?[0-9a-fA-F]{6}(?:[0-9a-fA-F]{2})?"
_NAMED_COLOR = r"[A-Za-z]{3,30}"
_ALPHA = r"(?:@(?:0(?:\.\d+)?|1(?:\.0+)?|\.\d+))?"
_COLOR = re.compile(rf"(?:{_HEX_COLOR}|{_NAMED_COLOR}){_ALPHA}")

# Where an item of size (item_w, item_h) goes in a frame of (frame_w, frame_h),
# as ffmpeg expressions; "m" is the margin.
_ANCHORS = {
    "top-left": ("m", "m"),
    "top": ("(fw-iw)/2", "m"),
    "top-right": ("fw-iw-m", "m"),
    "left": ("m", "(fh-ih)/2"),
    "center": ("(fw-iw)/2", "(fh-ih)/2"),
    "right": ("fw-iw-m", "(fh-ih)/2"),
    "bottom-left": ("m", "fh-ih-m"),
    "bottom": ("(fw-iw)/2", "fh-ih-m"),
    "bottom-right": ("fw-iw-m", "fh-ih-m"),
}


def color(value: str) -> str:
    """A colour as ffmpeg writes it (name, #rrggbb[aa], optional @alpha), checked.

    Raises SpecError for anything else, which could inject filter syntax.
    """
    if not _COLOR.fullmatch(value):
        raise SpecError(f"colour {value!r} is not a name, #rrggbb or #rrggbbaa")
    return value


def escape(value: str) -> str:
    """Escape a filter option value for use inside a -filter_complex graph.

    Two levels, as ffmpeg parses them: the option value, then the graph.
    """
    option = re.sub(r"([\\':])", r"\\\1", value)
    return re.sub(r"([\\'\[\],;])", r"\\\1", option)


def position(
    anchor: str, margin: int, frame: tuple[str, str], item: tuple[str, str]
) -> tuple[str, str]:
    """x and y expressions placing an item at `anchor`, `margin` pixels in."""
    x, y = _ANCHORS[anchor]
    names = {"fw": frame[0], "fh": frame[1], "iw": item[0], "ih": item[1]}
    names["m"] = str(margin)
    return _substitute(x, names), _substitute(y, names)


def _substitute(expression: str, names: dict[str, str]) -> str:
    return re.sub(r"[a-z]+", lambda match: names[match.group(0)], expression)


def drawtext(
    text: str,
    *,
    size: int,
    text_color: str,
    anchor: str,
    margin: int,
    frame: tuple[int, int],
    box_color: str | None = None,
    outline: int = 0,
    outline_color: str = "black",
    enable: str | None = None,
) -> str:
    """drawtext filters, one a line, that place `text` at `anchor` in the frame.

    The text is broken into lines that fit between the margins, made smaller
    when they would not fit in the frame's height; each line is aligned by the
    anchor (left, centred or right) on a common baseline grid.
    """
    boxed = box_color is not None
    padding = _box_padding(size, boxed)
    inset = 2 * (margin + padding + outline)
    width, height = (max(1, side - inset) for side in frame)
    size, lines = fit(text, size, width, height + 2 * padding, 2 * padding)
    padding = _box_padding(size, boxed)
    metrics = line_metrics(size)
    step = metrics.height + 2 * padding  # boxes of neighbouring lines do not overlap
    block = step * len(lines) - 2 * padding
    x, top = position(anchor, margin, ("w", "h"), ("text_w", str(block)))
    style = _style(size, text_color, box_color, padding, outline, outline_color)
    if enable is not None:
        style.append(f"enable='{enable}'")
    filters = []
    for number, line in enumerate(lines):
        if not line:
            continue  # an empty line keeps its place; drawtext needs text
        # drawtext's y is the top of the line's glyphs: its baseline less `ascent`.
        y = f"{top}+{number * step + metrics.ascent}-ascent"
        options = [f"text={escape(line)}", *style, f"x={x}", f"y={y}"]
        filters.append("drawtext=" + ":".join(options))
    return ",".join(filters) or "null"  # blank text draws nothing


def _box_padding(size: int, boxed: bool) -> int:
    """Pixels a line's box reaches past its glyphs."""
    return max(4, size // 4) if boxed else 0


def _style(
    size: int,
    text_color: str,
    box_color: str | None,
    padding: int,
    outline: int,
    outline_color: str,
) -> list[str]:
    options = [
        f"fontfile={escape(str(font_path()))}",
        "expansion=none",
        f"fontsize={size}",
        f"fontcolor={color(text_color)}",
    ]
    if box_color is not None:
        options += ["box=1", f"boxcolor={color(box_color)}", f"boxborderw={padding}"]
    if outline:
        options += [f"borderw={outline}", f"bordercolor={color(outline_color)}"]
    return options


def between(start: float, end: float | None) -> str | None:
    """An `enable` expression for output times start..end; None for always."""
    if start <= 0 and end is None:
        return None
    if end is None:
        return f"gte(t,{start:.3f})"
    return f"between(t,{start:.3f},{end:.3f})"
