"""Overlays on the output timeline: text, logos and subtitles drawn at the join.

With any overlay the join re-encodes the video in one streaming pass through
these filters; without one it copies the segments' video as before.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from clipstitch.media.drawing import between, drawtext, escape, position
from clipstitch.media.ffmpeg import input_options
from clipstitch.media.text_layout import fonts_dir
from clipstitch.spec import (
    Composition,
    ImageOverlay,
    OutputSettings,
    Subtitles,
    TextOverlay,
)

Overlay = TextOverlay | ImageOverlay


@dataclass(frozen=True)
class Overlays:
    """A composition's overlays and subtitles, with their files once fetched."""

    items: tuple[Overlay, ...] = ()
    subtitles: Subtitles | None = None
    files: Mapping[str, Path] = field(default_factory=dict)  # source -> local file
    subtitle_script: Path | None = None  # the subtitles as written for libass

    @classmethod
    def of(cls, composition: Composition) -> Overlays | None:
        """The composition's overlays; None when it has none (the copy path)."""
        if not composition.overlays and composition.subtitles is None:
            return None
        return cls(items=tuple(composition.overlays), subtitles=composition.subtitles)

    def sources(self) -> list[str]:
        """Image sources to fetch before the join, each once."""
        images = [item.source for item in self.items if isinstance(item, ImageOverlay)]
        return list(dict.fromkeys(images))

    def with_files(
        self, files: Mapping[str, Path], subtitle_script: Path | None
    ) -> Overlays:
        return replace(self, files=dict(files), subtitle_script=subtitle_script)


@dataclass(frozen=True)
class OverlayGraph:
    """Extra ffmpeg inputs and the filters from the joined video to `label`."""

    inputs: tuple[str, ...]
    graph: str
    label: str = "vout"


def overlay_graph(
    overlays: Overlays, output: OutputSettings, video_in: str, first_input: int
) -> OverlayGraph:
    """The join's video filters; image inputs are numbered from `first_input`."""
    inputs: list[str] = []
    statements: list[str] = []
    current = video_in
    for number, item in enumerate(overlays.items):
        label = f"ov{number}"
        if isinstance(item, TextOverlay):
            statements.append(f"[{current}]{_text(item, output)}[{label}]")
        else:
            image = overlays.files[item.source]
            index = first_input + sum(1 for argument in inputs if argument == "-i")
            inputs += _image_input(image)
            statements += _image(item, index, current, label, output)
        current = label
    tail = [f"[{current}]"]
    if overlays.subtitle_script is not None:
        tail.append(_subtitles(overlays.subtitle_script) + ",")
    tail.append("format=yuv420p[vout]")
    statements.append("".join(tail))
    return OverlayGraph(inputs=tuple(inputs), graph=";".join(statements))


def _image_input(path: Path) -> list[str]:
    return [*input_options(path), "-i", str(path)]


def _text(item: TextOverlay, output: OutputSettings) -> str:
    return drawtext(
        item.text,
        size=item.size,
        text_color=item.color,
        anchor=item.position,
        margin=item.margin,
        frame=(output.width, output.height),
        box_color=item.box_color if item.box else None,
        outline=item.outline,
        outline_color=item.outline_color,
        enable=between(item.start, item.end),
    )


def _image(
    item: ImageOverlay, index: int, base: str, label: str, output: OutputSettings
) -> list[str]:
    """A logo scaled to a share of the output width, faded to its opacity."""
    width = max(2, round(output.width * item.scale) // 2 * 2)
    steps = [f"scale=w={width}:h=-2", "format=rgba"]
    if item.opacity < 1:
        steps.append(f"colorchannelmixer=aa={item.opacity:.4f}")
    x, y = position(item.position, item.margin, ("W", "H"), ("w", "h"))
    enable = between(item.start, item.end)
    timing = f":enable='{enable}'" if enable else ""
    overlay = f"overlay=x={x}:y={y}:eof_action=repeat{timing}"
    return [
        f"[{index}:v]{','.join(steps)}[{label}_logo]",
        f"[{base}][{label}_logo]{overlay}[{label}]",
    ]


def _subtitles(script: Path) -> str:
    return f"ass=filename={escape(str(script))}:fontsdir={escape(str(fonts_dir()))}"
