"""Over 100 joins, A/V sync holds at every N00 and nothing drifts."""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction
from itertools import accumulate, pairwise
from pathlib import Path

import pytest

from clipstitch import ComposeResult, Composition, OutputSettings, compose
from clipstitch.media.delay import decode_delay
from clipstitch.pipeline.steps import StepContext, prepare_clip
from clipstitch.spec import Clip
from media_checks import Timeline, durations, ffprobe_json, streams

FRAME = 1 / 30
SLACK = 0.002
JOINS = 120
PAL_CLIP_SECONDS = 0.92  # 23 frames at 25 fps: not a whole number of 30 fps frames


@pytest.fixture(scope="module")
def pal_clip(make_clip: Callable[..., Path]) -> Path:
    """A 25 fps clip with 44.1 kHz audio, as from a European camera."""
    return make_clip(
        "pal_25fps_44k.mp4",
        "-f", "lavfi", "-i", f"testsrc2=s=160x90:r=25:d={PAL_CLIP_SECONDS}",
        "-f", "lavfi", "-i", f"sine=f=440:r=44100:d={PAL_CLIP_SECONDS}",
        "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p",
        "-c:a", "aac", "-ar", "44100", "-ac", "2",
    )  # fmt: skip


@pytest.mark.slow
def test_many_joins_stay_in_sync(n00: Path, pal_clip: Path, tmp_path: Path) -> None:
    clips = [str(n00) if index % 2 == 0 else str(pal_clip) for index in range(JOINS)]
    output = OutputSettings(
        width=160, height=90, fps="30", video={"preset": "ultrafast"}
    )
    result = compose(Composition(clips=clips, output=output), tmp_path / "many.mp4")
    lengths = [clip.duration for clip in result.clips]
    starts = [0.0, *accumulate(lengths)][:-1]
    timeline = Timeline(result.output)
    measured = durations(result.output)

    assert lengths[1::2] == pytest.approx([PAL_CLIP_SECONDS] * (JOINS // 2), abs=FRAME)
    assert measured.video == pytest.approx(sum(lengths), abs=SLACK)
    assert measured.audio == pytest.approx(measured.video, abs=FRAME)
    for index in range(0, JOINS, 2):
        edges = timeline.edges(starts[index])
        assert edges.gap <= FRAME + SLACK, (
            f"N00 #{index} at {starts[index]:.3f} s: {edges}"
        )
        assert edges.picture == pytest.approx(starts[index] + 0.5, abs=FRAME + SLACK)


@pytest.mark.parametrize("order", ["short first", "short last"])
def test_a_clip_too_short_for_b_frames_keeps_the_track_length(
    case_path: Callable[[str], Path], n00: Path, tmp_path: Path, order: str
) -> None:
    # Its segment has no B-frame delay; the N00 segment has: the join aligns them.
    short = case_path("B17")
    sources = [short, n00] if order == "short first" else [n00, short]
    spec = Composition.model_validate(
        {
            "clips": [str(path) for path in sources],
            "output": {"width": 320, "height": 180},
        }
    )
    result = compose(spec, tmp_path / "out.mp4")
    measured = durations(result.output)
    declared = float(
        next(s for s in streams(result.output) if s["codec_type"] == "video")[
            "duration"
        ]
    )
    assert abs(declared - measured.video) < 0.5 / 30
    assert abs(measured.video - (2 + 45) / 30) < 0.5 / 30


@pytest.mark.parametrize("b_frames", [0, 3])
def test_a_copied_clip_records_the_decode_delay_its_segment_has(
    make_clip: Callable[..., Path], tmp_path: Path, b_frames: int
) -> None:
    # The join trusts the recorded delay instead of probing every copied segment.
    clip = _matching_clip(make_clip, b_frames)
    output = OutputSettings(width=160, height=90, fps="30")
    segment = prepare_clip(Clip(source=str(clip)), 0, output, tmp_path, StepContext())

    assert segment.copied_video
    assert segment.decode_delay == decode_delay(segment.video_path, Fraction(30))
    assert segment.decode_delay == (2 if b_frames else 0)


def test_copied_clips_with_and_without_b_frames_keep_the_track_length(
    make_clip: Callable[..., Path], tmp_path: Path
) -> None:
    sources = [_matching_clip(make_clip, b_frames) for b_frames in (0, 3, 0)]
    spec = Composition(
        clips=[str(path) for path in sources],
        output=OutputSettings(width=160, height=90, fps="30"),
    )
    result = compose(spec, tmp_path / "out.mp4")
    video = next(s for s in streams(result.output) if s["codec_type"] == "video")

    measured = durations(result.output)

    assert all(clip.copied_video for clip in result.clips)
    assert int(video["nb_frames"]) == 90
    assert abs(float(video["duration"]) - measured.video) < 0.5 / 30
    assert measured.video == pytest.approx(3.0, abs=0.5 / 30)
    # Aligned, the decoding times advance a frame at a time across the joins;
    # unaligned, the muxer squeezes them together after the B-frame clip's start.
    times = _decoding_times(result)
    steps = [later - earlier for earlier, later in pairwise(times)]
    assert steps == pytest.approx([1 / 30] * 89, abs=0.001)


def _matching_clip(make_clip: Callable[..., Path], b_frames: int) -> Path:
    return make_clip(
        f"matching_160x90_b{b_frames}.mp4",
        "-f", "lavfi", "-i", "testsrc2=s=160x90:r=30:d=1",
        "-c:v", "libx264", "-preset", "veryfast", "-bf", str(b_frames),
        "-pix_fmt", "yuv420p", "-colorspace", "bt709", "-color_trc", "bt709",
    )  # fmt: skip


def _decoding_times(result: ComposeResult) -> list[float]:
    packets = ffprobe_json(
        result.output, "-select_streams", "v:0", "-show_entries", "packet=dts_time"
    )["packets"]
    return [float(packet["dts_time"]) for packet in packets]
