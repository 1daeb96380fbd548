"""Progress events a composition reports while it runs."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum


class Stage(StrEnum):
    """What a composition, or one of its clips, is doing now; in order."""

    FETCHING = "fetching"
    PROBING = "probing"
    NORMALIZING = "normalizing"
    JOINING = "joining"
    UPLOADING = "uploading"  # only where a service stores the output
    DONE = "done"


@dataclass(frozen=True)
class ProgressEvent:
    """A stage's progress, for one clip (`clip` is its index) or for all."""

    stage: Stage
    fraction: float
    clip: int | None = None
    message: str = ""


EventCallback = Callable[[ProgressEvent], None]
StageCallback = Callable[[Stage], None]
