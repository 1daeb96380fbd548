"""Session fixtures: the shared failure cases, built once, and composed outputs."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from clipstitch import ComposeResult, Composition, OutputSettings, compose

REPO_ROOT = Path(__file__).resolve().parent.parent
SHARED = REPO_ROOT.parent / "shared"
MEDIA_CLIPS = SHARED / "media" / "clips"
SMALL = OutputSettings(width=320, height=180, fps="30")


@dataclass(frozen=True)
class Composed:
    """A composition's result and where its output is."""

    result: ComposeResult
    path: Path


@pytest.fixture(scope="session")
def cases_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The clips of ../shared/cases, built with its make_cases.sh."""
    folder = tmp_path_factory.mktemp("cases")
    script = SHARED / "cases" / "make_cases.sh"
    subprocess.run(["bash", str(script), str(folder)], check=True, capture_output=True)
    return folder


@pytest.fixture(scope="session")
def n00(cases_dir: Path) -> Path:
    return cases_dir / "N00_normal.mp4"


@pytest.fixture(scope="session")
def case_path(cases_dir: Path) -> Callable[[str], Path]:
    """The file of a case, by its id (B01 ... B24)."""

    def find(case: str) -> Path:
        (path,) = cases_dir.glob(f"{case}_*")
        return path

    return find


@pytest.fixture(scope="session")
def between_n00(
    tmp_path_factory: pytest.TempPathFactory, n00: Path
) -> Callable[[Path], Composed]:
    """Compose N00, a clip, N00 at 320x180 30 fps (once per clip in a session)."""
    folder = tmp_path_factory.mktemp("between_n00")
    done: dict[Path, Composed] = {}

    def make(clip: Path) -> Composed:
        if clip not in done:
            output = folder / f"{clip.stem}.mp4"
            composition = Composition(
                clips=[str(n00), str(clip), str(n00)], output=SMALL
            )
            done[clip] = Composed(compose(composition, output), output)
        return done[clip]

    return make


@pytest.fixture(scope="session")
def make_clip(tmp_path_factory: pytest.TempPathFactory) -> Callable[..., Path]:
    """Make a small clip from lavfi sources: make_clip(name, *ffmpeg_arguments)."""
    folder = tmp_path_factory.mktemp("made")

    def make(name: str, *arguments: str) -> Path:
        path = folder / name
        if not path.exists():
            command = ["ffmpeg", "-v", "error", "-nostdin", "-y", *arguments, str(path)]
            subprocess.run(command, check=True, capture_output=True)
        return path

    return make
