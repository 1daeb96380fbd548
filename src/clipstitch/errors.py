"""The errors clipstitch raises.

ClipstitchError
├── SpecError             the composition itself is wrong
├── ClipError             one clip cannot be used (names its index and source)
│   ├── UnusableClipError     no video, empty, truncated, undecodable, too large
│   └── DownloadError         the source could not be fetched
├── FFmpegError           ffmpeg or ffprobe failed on our own work
├── BudgetError           the memory budget cannot fit even one clip
└── CancelledError        the work was cancelled
"""

from __future__ import annotations


class ClipstitchError(Exception):
    """Base of every error clipstitch raises on purpose."""


class SpecError(ClipstitchError, ValueError):
    """The composition or its settings are invalid."""


class ClipError(ClipstitchError):
    """A clip cannot be used; the message names the clip and the reason."""

    def __init__(
        self, reason: str, *, index: int | None = None, source: str = ""
    ) -> None:
        self.reason = reason
        self.index = index
        self.source = source
        super().__init__(self._describe())

    def _describe(self) -> str:
        if self.index is None and not self.source:
            return self.reason
        where = f"clip {self.index}" if self.index is not None else "clip"
        if self.source:
            where += f" ({self.source})"
        return f"{where}: {self.reason}"

    def for_clip(self, index: int, source: str) -> ClipError:
        """The same error, told about which clip of a composition it belongs to."""
        return type(self)(self.reason, index=index, source=source)


class UnusableClipError(ClipError):
    """The clip's content cannot become a segment."""


class DownloadError(ClipError):
    """The clip's source could not be fetched."""


class FFmpegError(ClipstitchError):
    """ffmpeg or ffprobe exited with an error; carries the end of its log."""

    def __init__(self, program: str, returncode: int, log_tail: str) -> None:
        self.program = program
        self.returncode = returncode
        self.log_tail = log_tail
        super().__init__(f"{program} exited with status {returncode}: {self.last_line}")

    @property
    def last_line(self) -> str:
        """The last line ffmpeg logged: usually the one that says what went wrong."""
        lines = [line.strip() for line in self.log_tail.splitlines() if line.strip()]
        return lines[-1] if lines else "no output"


class BudgetError(ClipstitchError):
    """The memory budget is too small for the work asked."""


class CancelledError(ClipstitchError):
    """The work was cancelled before it finished."""
