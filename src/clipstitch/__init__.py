"""clipstitch: turn a list of video clips into one finished video, in flat memory."""

from clipstitch.errors import (
    CancelledError,
    ClipError,
    ClipstitchError,
    DownloadError,
    FFmpegError,
    SpecError,
    UnusableClipError,
)
from clipstitch.pipeline.compose import ClipOutcome, ComposeResult, compose
from clipstitch.spec import (
    BadClipPolicy,
    Clip,
    Composition,
    FitMode,
    OutputSettings,
    load_composition,
)

__all__ = [
    "BadClipPolicy",
    "CancelledError",
    "Clip",
    "ClipError",
    "ClipOutcome",
    "ClipstitchError",
    "ComposeResult",
    "Composition",
    "DownloadError",
    "FFmpegError",
    "FitMode",
    "OutputSettings",
    "SpecError",
    "UnusableClipError",
    "compose",
    "load_composition",
]
__version__ = "0.1.0"
