"""Each real clip of ../shared/media/clips composes next to N00 or fails clearly."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from clipstitch import ClipError, compose
from conftest import MEDIA_CLIPS, Composed
from media_checks import N00_DURATION, Timeline, decode_errors, durations, streams

FRAME = 1 / 30
CLIPSTITCH = str(Path(sys.executable).parent / "clipstitch")
SLACK = 0.002
# clip -> its duration in seconds: the span of its video frames as presented
# (a non-zero first timestamp is not content; an edit list's empty start is).
USABLE_CLIPS = {
    "bbb_176x144_128kbps_15fps_h263.3gp": 1.0,
    "bbb_800x640_768kbps_30fps_avc_2b_firstpts_10_sec.mp4": 4.0,
    "bbb_960x540_60fps_vp8.webm": 1.0,
    "big_buck_bunny_432_433.webm": 1.0,
    "chaplin.mp4": 9.64,
    "dolbyVision-hdr.MOV": 0.1067,
    "edit_list_positive_shift.mp4": 10.0,
    "example_24fps_mp3.mp4": 2.0,
    "fire2.mp4": 2.38,
    "h265_bframes.mp4": 1.0,
    "no_duration.webm": 4.938,
    "portrait_4k60.mp4": 0.2997,
    "sample.mp4": 1.001,
    "sample_android_slow_motion.mp4": 0.5253,
    "sample_portrait.mp4": 1.001,
    "sample_rotate_and_reflect.mp4": 1.001,
    "sample_shorter_audio.mp4": 1.2,
    "sample_video_only.mp4": 1.001,
    "sample_with_increasing_timestamps_320w_240h_5s.mp4": 5.0,
    "smpte-2997.mp4": 10.04,
    "transparent.webm": 5.0,
    "video_with_failing_audio.mp4": 11.2,
}
UNUSABLE_CLIPS = {"sample_audio_only.mp4": "no video stream"}


def usable_clips() -> list[object]:
    return [
        pytest.param(name, duration) for name, duration in sorted(USABLE_CLIPS.items())
    ]


def test_the_tables_cover_every_clip() -> None:
    listed = set(USABLE_CLIPS) | set(UNUSABLE_CLIPS)
    assert {path.name for path in MEDIA_CLIPS.iterdir()} == listed


@pytest.mark.parametrize(("name", "duration"), usable_clips())
def test_real_clip_composes_next_to_n00(
    name: str, duration: float, between_n00: Callable[[Path], Composed]
) -> None:
    composed = between_n00(MEDIA_CLIPS / name)
    timeline = Timeline(composed.path)
    edges = [timeline.edges(start) for start in (0.0, N00_DURATION + duration)]
    measured = durations(composed.path)

    assert decode_errors(composed.path) == ""
    assert [s["codec_type"] for s in streams(composed.path)] == ["video", "audio"]
    assert edges[1].picture - edges[0].picture - N00_DURATION == pytest.approx(
        duration, abs=FRAME + SLACK
    )
    assert all(edge.gap <= FRAME + SLACK for edge in edges), edges
    assert measured.audio == pytest.approx(measured.video, abs=FRAME)


@pytest.mark.parametrize(("name", "reason"), sorted(UNUSABLE_CLIPS.items()))
def test_unusable_real_clip_fails_naming_it(
    name: str, reason: str, n00: Path, tmp_path: Path
) -> None:
    source = str(MEDIA_CLIPS / name)
    with pytest.raises(ClipError, match=reason) as caught:
        compose([str(n00), source], tmp_path / "out.mp4")
    assert (caught.value.index, caught.value.source) == (1, source)
    assert not (tmp_path / "out.mp4").exists()


def test_clip_with_its_audio_after_its_video_stays_in_memory(tmp_path: Path) -> None:
    # portrait_4k60.mp4 stores all its 4K video packets before its audio. Read
    # through one input, ffmpeg decoded every frame into the graph's queue while
    # it looked for audio: about 540 MB for a third of a second.
    output = tmp_path / "out.mp4"
    done = subprocess.run(
        [CLIPSTITCH, "compose", str(MEDIA_CLIPS / "portrait_4k60.mp4"),
         "-o", str(output), "--width", "640", "--height", "360", "--json"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["peak_memory_bytes"] < 300 << 20
    length = durations(output)
    frames = round(USABLE_CLIPS["portrait_4k60.mp4"] / FRAME)
    assert length.video == pytest.approx(frames * FRAME, abs=SLACK)
    assert length.audio == pytest.approx(length.video, abs=FRAME)
