"""Each case of ../shared/cases, between two N00 clips, gives what cases.md says."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

import pytest

from clipstitch import ClipError, Composition, compose
from clipstitch.media.preflight import preflight
from clipstitch.media.probe import probe
from clipstitch.spec import Clip
from conftest import SMALL, Composed
from media_checks import (
    N00_DURATION,
    SILENCE_LEVEL,
    UPRIGHT_FILTERS,
    Timeline,
    channel_levels,
    decode_errors,
    difference,
    durations,
    region_luma,
    rotation,
    streams,
    thumbnail,
)

FRAME = 1 / 30
SLACK = 0.002  # rounding of timestamps and sample positions
# case -> the clip's video duration in seconds (cases.md)
USABLE_CASES = {
    "B01": 1.0,
    "B03": 1.5,
    "B04": 1.0,
    "B05": 1.0,
    "B06": 1.0,
    "B08": 1.0,
    "B09": 1.0,
    "B10": 1.0,
    "B11": 1.0,
    "B12": 1.0,
    "B13": 1.0,
    "B14": 1.0,
    "B15": 1.5,
    "B17": 2 / 30,
    "B21": 1.0,
    "B24": 1.0,
}
# case -> words the error must contain
UNUSABLE_CASES = {
    "B02": "no video stream",
    "B18": "empty",
    "B19": "unreadable",
}


@pytest.fixture(params=sorted(USABLE_CASES))
def case(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def composed(
    case: str,
    case_path: Callable[[str], Path],
    between_n00: Callable[[Path], Composed],
) -> Composed:
    return between_n00(case_path(case))


@pytest.fixture
def timeline(composed: Composed) -> Timeline:
    return Timeline(composed.path)


def n00_starts(case: str) -> tuple[float, float]:
    return 0.0, N00_DURATION + USABLE_CASES[case]


def test_output_decodes_without_errors(composed: Composed) -> None:
    assert decode_errors(composed.path) == ""


def test_clip_keeps_its_duration(case: str, timeline: Timeline) -> None:
    first, second = (timeline.edges(start).picture for start in n00_starts(case))
    measured = second - first - N00_DURATION
    assert measured == pytest.approx(USABLE_CASES[case], abs=FRAME + SLACK)


def test_reported_duration_is_the_clips(case: str, composed: Composed) -> None:
    reported = [clip.duration for clip in composed.result.clips]
    assert reported[0] == reported[2] == pytest.approx(N00_DURATION, abs=FRAME)
    assert reported[1] == pytest.approx(USABLE_CASES[case], abs=FRAME + SLACK)


def test_total_is_the_sum_of_clips(case: str, composed: Composed) -> None:
    expected = 2 * N00_DURATION + USABLE_CASES[case]
    measured = durations(composed.path)
    assert measured.video == pytest.approx(expected, abs=3 * FRAME + SLACK)
    assert composed.result.duration == pytest.approx(measured.video, abs=SLACK)


def test_audio_and_video_end_together(composed: Composed) -> None:
    measured = durations(composed.path)
    assert measured.audio == pytest.approx(measured.video, abs=FRAME)


def test_n00_stays_in_sync_before_and_after(case: str, timeline: Timeline) -> None:
    for start in n00_starts(case):
        edges = timeline.edges(start)
        assert edges.gap <= FRAME + SLACK, f"N00 at {start:.3f} s: {edges}"
        assert edges.picture == pytest.approx(start + 0.5, abs=FRAME + SLACK)


def test_n00_silence_stays_silent(case: str, timeline: Timeline) -> None:
    for start in n00_starts(case):
        assert timeline.peak(start + 0.05, start + 0.45) < SILENCE_LEVEL


def test_output_is_one_uniform_stream(composed: Composed) -> None:
    video, audio = _video_and_audio(composed.path)
    assert (video["codec_name"], video["profile"]) == ("h264", "High")
    assert (video["width"], video["height"]) == (SMALL.width, SMALL.height)
    assert video["pix_fmt"] == "yuv420p"
    assert video.get("sample_aspect_ratio", "1:1") == "1:1"
    assert video["avg_frame_rate"] == video["r_frame_rate"] == "30/1"
    assert video.get("color_space") == "bt709"
    assert (audio["codec_name"], audio["sample_rate"]) == ("aac", "48000")
    assert (audio["channels"], audio["channel_layout"]) == (2, "stereo")


def _video_and_audio(path: Path) -> tuple[dict[str, object], dict[str, object]]:
    found = streams(path)
    kinds = [stream["codec_type"] for stream in found]
    assert kinds == ["video", "audio"], f"stray streams: {kinds}"
    return found[0], found[1]


# --- what each case adds to the general checks -------------------------------

CASE_START = N00_DURATION  # the case sits between the two N00 copies


@pytest.mark.parametrize("case", ["B01"])
def test_missing_audio_becomes_silence(timeline: Timeline) -> None:
    assert timeline.peak(CASE_START + 0.02, CASE_START + 0.98) < SILENCE_LEVEL


@pytest.mark.parametrize("case", ["B03"])
def test_short_audio_is_padded_with_silence(timeline: Timeline) -> None:
    assert timeline.peak(CASE_START + 0.1, CASE_START + 0.9) > 2000
    assert timeline.peak(CASE_START + 1.05, CASE_START + 1.45) < SILENCE_LEVEL


def test_audio_length_comes_from_its_packets(
    case_path: Callable[[str], Path],
) -> None:
    # The MPEG-TS case: ffprobe estimates its audio at 0.87 s; its packets span
    # 1.02 s. A false "audio is shorter" warning followed from the estimate.
    info = probe(case_path("B24"))
    assert info.audio is not None and info.audio.duration is not None
    assert info.audio.duration >= 1.0
    report = preflight(info, Clip(source=str(info.path)), SMALL)
    assert not [warning for warning in report.warnings if "shorter" in warning]


@pytest.mark.parametrize("case", ["B04", "B05"])
def test_audio_plays_for_the_whole_clip(timeline: Timeline) -> None:
    for begin in (0.05, 0.45, 0.85):
        assert timeline.peak(CASE_START + begin, CASE_START + begin + 0.1) > 2000


@pytest.mark.parametrize("case", ["B06"])
def test_mono_plays_on_both_channels(composed: Composed) -> None:
    left, right = channel_levels(composed.path, CASE_START + 0.1, CASE_START + 0.9)
    assert left > 500
    assert right == pytest.approx(left, rel=0.05)


# case -> (filters making the correct picture, filters making a wrong one), applied
# to the case's stored frames; {upright} turns them as the display matrix says, per
# ffprobe's documented sign (make_cases.sh's "rotate=90" comes out counter-clockwise
# with FFmpeg 5.1), {wrong} turns them the other way.
PICTURES = {
    "B08": ("scale=102:180,pad=320:180:109:0", "scale=320:180"),
    "B09": ("scale=320:180", "scale=270:180,pad=320:180:25:0"),
    "B10": (
        "{upright},scale=102:180,pad=320:180:109:0",
        "{wrong},scale=102:180,pad=320:180:109:0",
    ),
    "B11": ("{upright},scale=320:180", "{wrong},scale=320:180"),
}


@pytest.mark.parametrize("case", sorted(PICTURES))
def test_picture_is_upright_and_keeps_its_shape(
    case: str, composed: Composed, case_path: Callable[[str], Path]
) -> None:
    source, frame = case_path(case), 15
    turn = rotation(source)
    names = {
        "upright": UPRIGHT_FILTERS[turn],
        "wrong": UPRIGHT_FILTERS[(turn + 180) % 360],
    }
    output = thumbnail(composed.path, 45 + frame)
    right, wrong = (
        thumbnail(source, frame, filters.format(**names), raw_input=True)
        for filters in PICTURES[case]
    )
    assert difference(output, right) < 10
    assert difference(output, right) * 2 < difference(output, wrong)


@pytest.mark.parametrize("case", ["B13"])
def test_hdr_is_tone_mapped_to_sdr(composed: Composed) -> None:
    video, _ = _video_and_audio(composed.path)
    assert video["pix_fmt"] == "yuv420p"
    assert video.get("bits_per_raw_sample", "8") == "8"
    assert (video["color_transfer"], video["color_primaries"]) == ("bt709", "bt709")
    assert video["color_range"] == "tv"
    assert 50 < region_luma(composed.path, 60, (0, 0, 320, 180)) < 200


# --- cases that cannot be used ----------------------------------------------


@pytest.mark.parametrize(("bad", "reason"), sorted(UNUSABLE_CASES.items()))
def test_unusable_clip_fails_naming_it(
    bad: str,
    reason: str,
    n00: Path,
    case_path: Callable[[str], Path],
    tmp_path: Path,
) -> None:
    source = str(case_path(bad))
    output = tmp_path / "out.mp4"
    with pytest.raises(ClipError) as caught:
        compose(Composition(clips=[str(n00), source, str(n00)], output=SMALL), output)
    assert (caught.value.index, caught.value.source) == (1, source)
    assert reason in caught.value.reason.lower()
    assert f"clip 1 ({source})" in str(caught.value)
    assert list(tmp_path.iterdir()) == [], "a failed job left files behind"


@pytest.mark.parametrize("bad", sorted(UNUSABLE_CASES))
def test_unusable_clip_is_skipped_with_a_warning(
    bad: str,
    n00: Path,
    case_path: Callable[[str], Path],
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    clips = [str(n00), str(case_path(bad)), str(n00)]
    composition = Composition(clips=clips, output=SMALL, on_bad_clip="skip")
    with caplog.at_level(logging.WARNING):
        result = compose(composition, tmp_path / "out.mp4")
    assert [clip.used for clip in result.clips] == [True, False, True]
    assert durations(result.output).video == pytest.approx(2 * N00_DURATION)
    assert any(warning.startswith("clip 1 (") for warning in result.warnings)
    assert any(clips[1] in record.getMessage() for record in caplog.records)
