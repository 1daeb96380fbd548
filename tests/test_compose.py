"""Fit modes, the stream-copy fast path, trims and the reported memory."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from clipstitch import Clip, Composition, FitMode, compose
from conftest import SMALL
from media_checks import (
    N00_DURATION,
    Timeline,
    decode_errors,
    difference,
    durations,
    region_luma,
    streams,
    thumbnail,
)

FRAME = 1 / 30
SLACK = 0.002
H264_LIKE_THE_CASES = (
    "-c:v", "libx264", "-profile:v", "high", "-pix_fmt", "yuv420p",
    "-g", "30", "-c:a", "aac", "-ar", "48000", "-ac", "2",
)  # fmt: skip


@pytest.fixture(scope="module")
def banded_4x3(make_clip: Callable[..., Path]) -> Path:
    """A 4:3 white picture with a blue band along its top edge."""
    return make_clip(
        "banded_4x3.mp4",
        "-f", "lavfi",
        "-i", "color=white:s=240x180:r=30:d=0.5,drawbox=y=0:w=240:h=16:c=blue:t=fill",
        "-f", "lavfi", "-i", "sine=f=440:r=48000:d=0.5", *H264_LIKE_THE_CASES,
    )  # fmt: skip


@pytest.fixture(scope="module")
def matching_clip(make_clip: Callable[..., Path]) -> Callable[..., Path]:
    """A 320x180 30 fps H.264 High clip, as the output is: made with `preset`."""

    def make(preset: str, colour: str = "bt709") -> Path:
        return make_clip(
            f"matching_{preset}_{colour}.mp4",
            "-f", "lavfi", "-i", "testsrc2=s=320x180:r=30:d=1",
            "-f", "lavfi", "-i", "sine=f=440:r=48000:d=1",
            "-preset", preset, *H264_LIKE_THE_CASES, *COLOUR_TAGS[colour],
        )  # fmt: skip

    return make


COLOUR_TAGS = {
    "bt709": (
        "-colorspace",
        "bt709",
        "-color_primaries",
        "bt709",
        "-color_trc",
        "bt709",
    ),
    "unlabelled": (),
}
LEFT_BAR = (0, 60, 30, 60)  # x, y, width, height in the 320x180 output
TOP_CENTRE = (140, 0, 40, 8)
CENTRE = (140, 80, 40, 20)
# fit -> (left bar, top centre) as (lowest, highest) luma
FIT_LOOKS = {
    "contain": ((0, 24), (0, 100)),  # black pillarbox; the blue band is visible
    "cover": ((200, 255), (200, 255)),  # filled; the band is cropped away
    "blur": ((60, 255), (0, 100)),  # blurred picture behind; the band is visible
}


@pytest.mark.parametrize(("fit", "looks"), sorted(FIT_LOOKS.items()))
def test_fit_mode_places_the_picture(
    fit: str, looks: tuple[tuple[int, int], ...], banded_4x3: Path, tmp_path: Path
) -> None:
    output = SMALL.model_copy(update={"fit": FitMode(fit)})
    result = compose(
        Composition(clips=[str(banded_4x3)], output=output), tmp_path / "o.mp4"
    )
    (bar_low, bar_high), (top_low, top_high) = looks
    assert bar_low <= region_luma(result.output, 5, LEFT_BAR) <= bar_high
    assert top_low <= region_luma(result.output, 5, TOP_CENTRE) <= top_high
    assert region_luma(result.output, 5, CENTRE) > 200


@pytest.mark.parametrize("preset", ["veryfast", "medium"])
def test_matching_clip_is_copied_and_output_stays_uniform(
    preset: str, matching_clip: Callable[..., Path], n00: Path, tmp_path: Path
) -> None:
    matching = matching_clip(preset)
    clips = [str(matching), str(n00), str(matching)]
    result = compose(Composition(clips=clips, output=SMALL), tmp_path / "o.mp4")
    measured = durations(result.output)

    assert [clip.copied_video for clip in result.clips] == [True, False, True]
    assert decode_errors(result.output) == ""
    assert len(streams(result.output)) == 2
    assert measured.video == pytest.approx(2 + N00_DURATION, abs=SLACK)
    assert measured.audio == pytest.approx(measured.video, abs=FRAME)
    for frame in (10, 85):  # frame 10 of the first and of the last copied clip
        assert difference(thumbnail(result.output, frame), thumbnail(matching, 10)) < 1


def test_unlabelled_sd_clip_is_re_encoded_as_bt709(
    matching_clip: Callable[..., Path], n00: Path, tmp_path: Path
) -> None:
    unlabelled = matching_clip("veryfast", "unlabelled")
    clips = [str(n00), str(unlabelled)]
    result = compose(Composition(clips=clips, output=SMALL), tmp_path / "o.mp4")
    assert not result.clips[1].copied_video  # as BT.601 it needs converting
    assert difference(thumbnail(result.output, 55), thumbnail(unlabelled, 10)) < 3


def test_everything_matching_runs_as_a_copy(
    matching_clip: Callable[..., Path], tmp_path: Path
) -> None:
    clips = [str(matching_clip("veryfast"))] * 4
    result = compose(Composition(clips=clips, output=SMALL), tmp_path / "o.mp4")
    assert all(clip.copied_video for clip in result.clips)
    assert durations(result.output).video == pytest.approx(4.0, abs=SLACK)
    assert result.peak_memory_bytes > 0


# (start, end) -> kept seconds of N00
TRIMS = {(0.25, 1.25): 1.0, (None, 0.9): 0.9, (0.3, None): 1.2}


@pytest.mark.parametrize(("trim", "kept"), sorted(TRIMS.items(), key=str))
def test_trim_keeps_its_duration_and_sync(
    trim: tuple[float | None, float | None], kept: float, n00: Path, tmp_path: Path
) -> None:
    start, end = trim
    clips = [Clip(source=str(n00), start=start, end=end), Clip(source=str(n00))]
    result = compose(Composition(clips=clips, output=SMALL), tmp_path / "o.mp4")
    measured = durations(result.output)
    edges = Timeline(result.output).edges(kept)

    assert result.clips[0].duration == pytest.approx(kept, abs=FRAME)
    assert measured.video == pytest.approx(kept + N00_DURATION, abs=2 * FRAME)
    assert measured.audio == pytest.approx(measured.video, abs=FRAME)
    assert edges.gap <= FRAME + SLACK
    assert edges.picture == pytest.approx(kept + 0.5, abs=FRAME + SLACK)


def test_trimmed_matching_clip_is_not_copied(
    matching_clip: Callable[..., Path], tmp_path: Path
) -> None:
    clip = Clip(source=str(matching_clip("veryfast")), start=0.2, end=0.7)
    result = compose(Composition(clips=[clip], output=SMALL), tmp_path / "o.mp4")
    assert not result.clips[0].copied_video
    assert durations(result.output).video == pytest.approx(0.5, abs=FRAME)
