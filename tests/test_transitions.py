"""Transitions at joins: exact overlapped durations, the picture and sound of each."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

import clipstitch
from clipstitch.errors import ClipError
from media_checks import decode_errors, durations, frame_lumas, streams

SIZE = (160, 90)
FRAME = 1 / 30


def _output() -> dict[str, object]:
    return {"width": SIZE[0], "height": SIZE[1], "fps": "30"}


@pytest.fixture(scope="module")
def bright(make_clip: Callable[..., Path]) -> Path:
    """1 s of a bright grey picture with a tone: easy to tell from black."""
    return make_clip(
        "bright.mp4",
        "-f", "lavfi", "-i", "color=c=0xc0c0c0:s=160x90:r=30:d=1",
        "-f", "lavfi", "-i", "sine=f=440:r=48000:d=1",
        "-c:v", "libx264", "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest",
    )  # fmt: skip


@pytest.fixture(scope="module")
def matching(make_clip: Callable[..., Path]) -> Path:
    """1 s that already matches the 160x90 30 fps output: normally copied."""
    return make_clip(
        "matching.mp4",
        "-f", "lavfi", "-i", "testsrc2=s=160x90:r=30:d=1",
        "-f", "lavfi", "-i", "sine=f=880:r=48000:d=1",
        "-c:v", "libx264", "-preset", "veryfast", "-profile:v", "high",
        "-pix_fmt", "yuv420p", "-colorspace", "bt709", "-color_primaries", "bt709",
        "-color_trc", "bt709", "-c:a", "aac", "-shortest",
    )  # fmt: skip


def _compose(
    tmp_path: Path, clips: list[dict[str, object]]
) -> clipstitch.ComposeResult:
    spec = clipstitch.Composition.model_validate({"clips": clips, "output": _output()})
    return clipstitch.compose(spec, tmp_path / "out.mp4")


@pytest.mark.parametrize(
    "kind", ["crossfade", "fade_black", "fade_white", "wipe_left", "slide_up"]
)
def test_overlap_shortens_the_output_exactly(
    tmp_path: Path, bright: Path, matching: Path, kind: str
) -> None:
    transition = {"kind": kind, "duration": 0.5}
    result = _compose(
        tmp_path,
        [
            {"source": str(bright), "transition": transition},
            {"source": str(matching)},
        ],
    )
    measured = durations(result.output)
    assert abs(measured.video - 1.5) < FRAME / 2
    assert abs(measured.audio - measured.video) < FRAME
    assert decode_errors(result.output) == ""
    assert [s["codec_type"] for s in streams(result.output)] == ["video", "audio"]


def test_fade_through_black_is_dark_in_the_middle(tmp_path: Path, bright: Path) -> None:
    transition = {"kind": "fade_black", "duration": 0.6}
    result = _compose(
        tmp_path,
        [{"source": str(bright), "transition": transition}, {"source": str(bright)}],
    )
    lumas = frame_lumas(result.output)
    overlap = lumas[12:30]  # clip 0 keeps 12 frames of its own, then 18 overlap
    assert min(overlap) < 20 < 150 < lumas[5]
    assert lumas[-5] > 150
    assert len(lumas) == 42


def test_only_clips_at_a_transition_are_encoded_again(
    tmp_path: Path, bright: Path, matching: Path
) -> None:
    result = _compose(
        tmp_path,
        [
            {"source": str(matching)},
            {"source": str(bright), "transition": {"kind": "crossfade"}},
            {"source": str(matching)},
            {"source": str(matching)},
        ],
    )
    copied = [clip.copied_video for clip in result.clips]
    assert copied == [True, False, False, True]
    assert abs(durations(result.output).video - 3.5) < FRAME / 2


def test_a_cut_is_no_transition(tmp_path: Path, bright: Path, matching: Path) -> None:
    result = _compose(
        tmp_path,
        [
            {"source": str(bright), "transition": {"kind": "cut", "duration": 1}},
            {"source": str(matching)},
        ],
    )
    assert abs(durations(result.output).video - 2.0) < FRAME / 2
    assert result.clips[1].copied_video


def test_a_clip_shorter_than_its_transitions_is_named(
    tmp_path: Path, bright: Path
) -> None:
    long_fade = {"kind": "crossfade", "duration": 0.6}
    clips = [
        {"source": str(bright), "transition": long_fade},
        {"source": str(bright), "transition": long_fade},
        {"source": str(bright)},
    ]
    with pytest.raises(ClipError, match=r"clip 1 .*too short for its transitions"):
        _compose(tmp_path, clips)
    assert not (tmp_path / "out.mp4").exists()


def test_many_transitions_keep_sync(
    tmp_path: Path, bright: Path, matching: Path
) -> None:
    fade = {"kind": "crossfade", "duration": 0.2}
    clips = [
        {"source": str(bright if index % 2 else matching), "transition": fade}
        for index in range(12)
    ]
    result = _compose(tmp_path, clips)
    measured = durations(result.output)
    assert abs(measured.video - (12 - 11 * 0.2)) < FRAME / 2
    assert abs(measured.audio - measured.video) < FRAME
