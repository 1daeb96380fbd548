"""Subtitles: read SRT or WebVTT cues, write them as ASS for libass to burn in.

The file ffmpeg reads is always one clipstitch wrote from parsed cues, so a
subtitle "file" cannot make ffmpeg open anything else, and the style (the bundled
font, its size in output pixels) is ours.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from clipstitch.errors import SpecError
from clipstitch.media.text_layout import FONT_FAMILY

MAX_SUBTITLE_BYTES = 5_000_000
_TIME = re.compile(r"(?:(\d+):)?(\d{1,2}):(\d{2})[,.](\d{1,3})")
_TAG = re.compile(r"<[^>]*>")


@dataclass(frozen=True)
class Cue:
    """One subtitle: its text shown from `start` to `end` seconds."""

    start: float
    end: float
    text: str


def read_cues(path: Path) -> list[Cue]:
    """The cues of an SRT or WebVTT file, in file order.

    Raises SpecError when the file is too large or holds no cue.
    """
    if path.stat().st_size > MAX_SUBTITLE_BYTES:
        raise SpecError(f"subtitles {path.name}: larger than {MAX_SUBTITLE_BYTES} B")
    text = path.read_bytes().decode("utf-8-sig", errors="replace")
    blocks = re.split(r"\n\s*\n", text.replace("\r\n", "\n").replace("\r", "\n"))
    cues = [cue for block in blocks if (cue := _cue(block)) is not None]
    if not cues:
        raise SpecError(f"subtitles {path.name}: no SRT or WebVTT cue found")
    return cues


def _cue(block: str) -> Cue | None:
    lines = block.strip("\n").split("\n")
    timing = next((i for i, line in enumerate(lines) if "-->" in line), None)
    if timing is None:
        return None  # a header, a NOTE or a STYLE block
    start_text, _, end_text = lines[timing].partition("-->")
    start, end = _seconds(start_text), _seconds(end_text)
    words = "\n".join(_TAG.sub("", line) for line in lines[timing + 1 :]).strip()
    if start is None or end is None or end <= start or not words:
        return None
    return Cue(start=start, end=end, text=words)


def _seconds(text: str) -> float | None:
    match = _TIME.search(text)
    if match is None:
        return None
    hours, minutes, seconds, fraction = match.groups()
    return (
        int(hours or 0) * 3600
        + int(minutes) * 60
        + int(seconds)
        + int(fraction.ljust(3, "0")) / 1000
    )


def write_ass(
    cues: list[Cue], path: Path, frame: tuple[int, int], size: int = 0
) -> Path:
    """Write `cues` as an ASS script sized for `frame`; `size` 0 scales to it."""
    width, height = frame
    font_size = size or max(12, height // 18)
    margin = max(8, height // 24)
    outline = max(1, font_size // 16)
    header = [
        "[Script Info]",
        "ScriptType: v4.00+",
        f"PlayResX: {width}",
        f"PlayResY: {height}",
        "WrapStyle: 0",
        "ScaledBorderAndShadow: yes",
        "",
        "[V4+ Styles]",
        "Format: Name, Fontname, Fontsize, PrimaryColour, SecondaryColour, "
        "OutlineColour, BackColour, Bold, Italic, Underline, StrikeOut, ScaleX, "
        "ScaleY, Spacing, Angle, BorderStyle, Outline, Shadow, Alignment, "
        "MarginL, MarginR, MarginV, Encoding",
        f"Style: Default,{FONT_FAMILY},{font_size},&H00FFFFFF,&H000000FF,"
        f"&H00000000,&H80000000,0,0,0,0,100,100,0,0,1,{outline},0,2,"
        f"{margin},{margin},{margin},1",
        "",
        "[Events]",
        "Format: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, "
        "Effect, Text",
    ]
    events = [
        f"Dialogue: 0,{_ass_time(cue.start)},{_ass_time(cue.end)},Default,,0,0,0,,"
        f"{_ass_text(cue.text)}"
        for cue in cues
    ]
    path.write_text("\n".join([*header, *events]) + "\n", encoding="utf-8")
    return path


def _ass_time(seconds: float) -> str:
    centiseconds = round(seconds * 100)
    hours, rest = divmod(centiseconds, 360_000)
    minutes, rest = divmod(rest, 6000)
    return f"{hours}:{minutes:02d}:{rest // 100:02d}.{rest % 100:02d}"


def _ass_text(text: str) -> str:
    # Braces open ASS override tags and a backslash starts an escape: shown as
    # written, never interpreted.
    text = text.replace("\\", "\\\u200b").replace("{", "(").replace("}", ")")
    return text.replace("\n", "\\N")
