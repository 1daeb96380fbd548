"""Visual editing: stills, Ken Burns, title cards, speed, overlays, deliverables.

Every check is on the composed file: probed durations and sizes, and the pixels
of a region compared with a render that lacks the feature.
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from clipstitch import Composition, compose
from clipstitch.jobs.errors import SourceRefusedError
from clipstitch.jobs.submit import SubmitPolicy
from clipstitch.net.outbound import OutboundPolicy
from clipstitch.spec import Deliverables, ExtraOutput, Poster
from media_checks import ffprobe_json, run, streams, video_frame_count

RATE = 30
FRAME = 1 / RATE
SMALL = {"width": 320, "height": 180, "fps": "30"}
Box = tuple[int, int, int, int]  # x, y, width, height


def rgb_frame(path: Path, time: float) -> tuple[bytes, int, int]:
    """The frame shown at `time` seconds as packed RGB, with its size."""
    (stream,) = [s for s in streams(path) if s["codec_type"] == "video"]
    width, height = int(stream["width"]), int(stream["height"])
    pixels = run(
        ["ffmpeg", "-v", "error", "-ss", f"{time:.3f}", "-i", str(path),
         "-frames:v", "1", "-f", "rawvideo", "-pix_fmt", "rgb24", "-"],
        binary=True,
    )  # fmt: skip
    return pixels, width, height


def region_mean(path: Path, time: float, box: Box) -> tuple[float, float, float]:
    """Mean red, green and blue inside `box` of the frame at `time`."""
    pixels, width, _ = rgb_frame(path, time)
    x, y, w, h = box
    sums = [0, 0, 0]
    for row in range(y, y + h):
        start = (row * width + x) * 3
        line = pixels[start : start + w * 3]
        for channel in range(3):
            sums[channel] += sum(line[channel::3])
    count = w * h
    return (sums[0] / count, sums[1] / count, sums[2] / count)


def region_difference(first: Path, second: Path, time: float, box: Box) -> float:
    """Mean absolute difference of `box` between two renders at `time`."""
    a, width, _ = rgb_frame(first, time)
    b, _, _ = rgb_frame(second, time)
    x, y, w, h = box
    total = 0
    for row in range(y, y + h):
        start = (row * width + x) * 3
        end = start + w * 3
        pairs = zip(a[start:end], b[start:end], strict=True)
        total += sum(abs(p - q) for p, q in pairs)
    return total / (w * h * 3)


def video_duration(path: Path) -> float:
    return video_frame_count(path) / RATE


def render(tmp_path: Path, name: str, spec: dict[str, Any]) -> Path:
    output = tmp_path / f"{name}.mp4"
    compose(Composition.model_validate({"output": SMALL, **spec}), output)
    return output


@pytest.fixture(scope="module")
def media(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Small stills and clips made for these tests."""
    folder = tmp_path_factory.mktemp("visual")
    made = {
        "rotated": folder / "rotated.jpg",
        "alpha": folder / "alpha.png",
        "pattern": folder / "pattern.png",
        "webp": folder / "pattern.webp",
        "logo": folder / "logo.png",
        "clip": folder / "clip.mp4",
        "still_clip": folder / "still.mp4",
        "subtitles": folder / "subs.vtt",
    }
    # Stored 160x90 with a red block top-left; EXIF 6 says "turn 90° clockwise".
    picture = Image.new("RGB", (160, 90), (0, 0, 255))
    picture.paste((255, 0, 0), (0, 0, 40, 30))
    exif = picture.getexif()
    exif[0x0112] = 6
    picture.save(made["rotated"], exif=exif, quality=95)
    # Transparent left half, opaque green right half.
    transparent = Image.new("RGBA", (160, 90), (255, 255, 255, 0))
    transparent.paste((0, 255, 0, 255), (80, 0, 160, 90))
    transparent.save(made["alpha"])
    Image.new("RGBA", (40, 40), (255, 0, 255, 255)).save(made["logo"])
    _lavfi(made["pattern"], "testsrc=s=320x180", "-frames:v", "1")
    _lavfi(made["webp"], "testsrc=s=320x180", "-frames:v", "1")
    _lavfi(
        made["clip"], "testsrc=s=320x180:r=30:d=2", "-f", "lavfi", "-i",
        "sine=d=2", "-c:v", "libx264", "-pix_fmt", "yuv420p", "-shortest",
    )  # fmt: skip
    _lavfi(
        made["still_clip"], "color=c=0x406080:s=320x180:r=30:d=2",
        "-c:v", "libx264", "-pix_fmt", "yuv420p",
    )  # fmt: skip
    made["subtitles"].write_text(
        "WEBVTT\n\n00:00.200 --> 00:00.800\n<b>Subtitle</b> here\n"
    )
    return made


def _lavfi(path: Path, source: str, *arguments: str) -> None:
    command = ["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", source, *arguments]
    subprocess.run([*command, str(path)], check=True)


def test_image_clip_is_upright_sized_and_lasts_its_duration(
    tmp_path: Path, media: dict[str, Path]
) -> None:
    output = tmp_path / "portrait.mp4"
    spec = {
        "output": {"width": 180, "height": 320, "fps": "30"},
        "clips": [{"source": str(media["rotated"]), "duration": 1.5}],
    }
    result = compose(Composition.model_validate(spec), output)

    assert abs(video_duration(output) - 1.5) <= FRAME
    video = next(s for s in streams(output) if s["codec_type"] == "video")
    assert (video["width"], video["height"]) == (180, 320)
    # Shown as 90x160 scaled 2x: the red block is now at the top right.
    red, _, blue = region_mean(output, 0.5, (130, 10, 40, 50))
    assert red > 180 and blue < 80
    red, _, blue = region_mean(output, 0.5, (10, 10, 40, 50))
    assert blue > 180 and red < 80
    assert not result.warnings


def test_image_without_duration_lasts_three_seconds_and_alpha_is_black(
    tmp_path: Path, media: dict[str, Path]
) -> None:
    output = tmp_path / "alpha.mp4"
    result = compose(
        Composition.model_validate(
            {"output": SMALL, "clips": [str(media["alpha"]), str(media["webp"])]}
        ),
        output,
    )

    assert abs(video_duration(output) - 6.0) <= FRAME
    assert any("3 s" in warning for warning in result.warnings)
    transparent = region_mean(output, 1.0, (20, 20, 80, 120))
    opaque = region_mean(output, 1.0, (200, 20, 80, 120))
    assert max(transparent) < 30
    assert opaque[1] > 180


def test_ken_burns_changes_the_picture_over_time(
    tmp_path: Path, media: dict[str, Path]
) -> None:
    still = {"source": str(media["pattern"]), "duration": 2}
    zoomed = {**still, "ken_burns": {"zoom_start": 1.0, "zoom_end": 1.6}}
    plain = render(tmp_path, "plain", {"clips": [still]})
    moving = render(tmp_path, "moving", {"clips": [zoomed]})
    whole = (0, 0, 320, 180)

    assert abs(video_duration(moving) - 2.0) <= FRAME
    assert region_difference(plain, plain, 0.1, whole) == 0
    assert region_difference(plain, moving, 0.0, whole) < 4  # zoom 1: the picture
    assert region_difference(plain, moving, 1.9, whole) > 20
    halfway = region_difference(plain, moving, 1.0, whole)
    assert 4 < halfway < region_difference(plain, moving, 1.9, whole)


def test_title_card_draws_its_text_over_the_colour(tmp_path: Path) -> None:
    card = {"text": "HELLO", "size": 48, "color": "white", "background": "#204080"}
    output = render(tmp_path, "title", {"clips": [{"title": card, "duration": 1}]})

    assert abs(video_duration(output) - 1.0) <= FRAME
    corner = region_mean(output, 0.5, (0, 0, 60, 40))
    middle = region_mean(output, 0.5, (100, 70, 120, 40))
    assert abs(corner[2] - 0x80) < 12 and abs(corner[0] - 0x20) < 12
    assert sum(middle) > sum(corner) + 60  # white letters in the middle


LONG_TEXT = "Summer sale starts this Friday in all of our stores"


def test_a_long_title_is_broken_into_lines_inside_the_frame(tmp_path: Path) -> None:
    card = {"text": LONG_TEXT, "size": 24, "color": "white", "background": "black"}
    output = render(tmp_path, "long", {"clips": [{"title": card, "duration": 1}]})

    # On one line it would be ~600 px wide: the 320 px frame's edges would be lit.
    for edge in ((0, 0, 12, 180), (308, 0, 12, 180)):
        assert max(region_mean(output, 0.5, edge)) < 8, edge
    rows = lit_rows(output, 0.5)
    assert rows[-1] - rows[0] > 2 * 24  # three lines, stacked
    assert rows[0] > 180 - rows[-1] - 8  # the block is centred (within a few rows)
    assert rows[0] < 180 - rows[-1] + 8


def test_text_too_tall_for_the_frame_is_made_smaller(tmp_path: Path) -> None:
    card = {"text": "word " * 40, "size": 48, "color": "white", "background": "black"}
    big = {"type": "text", "text": "Big", "size": 400, "position": "center"}
    title = render(tmp_path, "tall", {"clips": [{"title": card, "duration": 1}]})
    blank = {"text": ".", "size": 8, "background": "black"}
    spec = {"clips": [{"title": blank, "duration": 1}], "overlays": [big]}
    overlaid = render(tmp_path, "huge", spec)

    rows = lit_rows(title, 0.5)
    assert rows[0] > 4 and rows[-1] < 180 - 4  # every line inside, none cut
    assert len(lit_rows(overlaid, 0.5)) > 40  # the word drawn, made to fit


def lit_rows(path: Path, time: float) -> list[int]:
    """Rows of the frame at `time` with any pixel brighter than dark grey."""
    pixels, width, height = rgb_frame(path, time)
    stride = width * 3
    return [
        row
        for row in range(height)
        if max(pixels[row * stride : (row + 1) * stride]) > 60
    ]


def test_a_long_text_overlay_wraps_above_its_anchor(tmp_path: Path) -> None:
    text = {"type": "text", "text": LONG_TEXT, "size": 24, "position": "bottom-left",
            "margin": 10, "color": "white"}  # fmt: skip
    card = {"text": ".", "size": 8, "background": "black"}
    spec = {"clips": [{"title": card, "duration": 1}], "overlays": [text]}
    output = render(tmp_path, "overlay_long", spec)

    assert max(region_mean(output, 0.5, (0, 0, 320, 60))) < 8  # room left above
    assert max(region_mean(output, 0.5, (0, 170, 320, 10))) < 8  # the margin below
    assert max(region_mean(output, 0.5, (310, 60, 10, 120))) < 8  # right edge clear
    assert max(region_mean(output, 0.5, (10, 90, 150, 80))) > 20  # lines at the left


def test_blurred_title_card_keeps_the_clip_length(
    tmp_path: Path, media: dict[str, Path]
) -> None:
    clip = {"source": str(media["clip"]), "title": {"text": "Hi", "background": "blur"}}
    output = render(tmp_path, "blur", {"clips": [clip]})
    plain = render(tmp_path, "plain_clip", {"clips": [str(media["clip"])]})

    assert abs(video_duration(output) - 2.0) <= FRAME
    assert region_difference(plain, output, 1.0, (0, 0, 80, 60)) > 10


@pytest.mark.parametrize("seconds", [0.5, 3.0])
def test_blurred_title_card_lasts_its_duration_when_given(
    tmp_path: Path, media: dict[str, Path], seconds: float
) -> None:
    title = {"text": "Hi", "background": "blur"}
    clip = {"source": str(media["clip"]), "title": title, "duration": seconds}
    output = render(tmp_path, f"blur{seconds}", {"clips": [clip]})

    assert abs(video_duration(output) - seconds) <= FRAME
    audio = ffprobe_json(output, "-show_entries", "format=duration")
    assert abs(float(audio["format"]["duration"]) - seconds) <= 3 * FRAME


@pytest.mark.parametrize(("speed", "expected"), [(2.0, 1.0), (0.5, 4.0)])
def test_speed_changes_the_duration(
    tmp_path: Path, media: dict[str, Path], speed: float, expected: float
) -> None:
    clip = {"source": str(media["clip"]), "speed": speed}
    output = render(tmp_path, f"speed{speed}", {"clips": [clip]})

    assert abs(video_duration(output) - expected) <= FRAME
    audio = ffprobe_json(output, "-show_entries", "format=duration")
    assert abs(float(audio["format"]["duration"]) - expected) <= 3 * FRAME


@pytest.fixture(scope="module")
def overlaid(
    tmp_path_factory: pytest.TempPathFactory, media: dict[str, Path]
) -> tuple[Path, Path]:
    """The same two clips without and with a text, a logo and subtitles."""
    folder = tmp_path_factory.mktemp("overlays")
    clips = [str(media["still_clip"]), str(media["still_clip"])]
    plain = render(folder, "plain", {"clips": clips})
    overlays = [
        {"type": "text", "text": "TEXT", "position": "top-left", "margin": 10,
         "start": 1.0, "end": 2.0, "size": 32, "box": True, "outline": 2},
        {"type": "image", "source": str(media["logo"]), "position": "bottom-right",
         "margin": 10, "scale": 0.2, "start": 2.5},
    ]  # fmt: skip
    spec = {
        "clips": clips,
        "overlays": overlays,
        "subtitles": {"source": str(media["subtitles"])},
    }
    return plain, render(folder, "overlaid", spec)


TEXT_BOX = (10, 10, 90, 40)
LOGO_BOX = (254, 130, 56, 40)
SUBTITLE_BOX = (120, 154, 80, 20)


@pytest.mark.parametrize(
    ("time", "box", "present"),
    [
        (0.5, SUBTITLE_BOX, True),
        (1.5, SUBTITLE_BOX, False),
        (0.5, TEXT_BOX, False),
        (1.5, TEXT_BOX, True),
        (2.2, TEXT_BOX, False),
        (2.2, LOGO_BOX, False),
        (3.0, LOGO_BOX, True),
    ],
)
def test_overlays_appear_where_and_when_asked(
    overlaid: tuple[Path, Path], time: float, box: Box, present: bool
) -> None:
    plain, output = overlaid
    difference = region_difference(plain, output, time, box)
    if present:
        assert difference > 8
    else:
        assert difference < 3


def test_overlays_keep_duration_and_one_stream(overlaid: tuple[Path, Path]) -> None:
    plain, output = overlaid
    assert video_frame_count(output) == video_frame_count(plain) == 4 * RATE
    kinds = sorted(s["codec_type"] for s in streams(output))
    assert kinds == ["audio", "video"]


def test_deliverables_have_their_codecs_and_sizes(
    tmp_path: Path, media: dict[str, Path]
) -> None:
    wanted = Deliverables(poster=Poster(per_clip=True), extra_outputs=list(ExtraOutput))
    composition = Composition.model_validate(
        {"output": SMALL, "clips": [str(media["clip"]), str(media["still_clip"])]}
    ).model_copy(update={"deliverables": wanted})
    output = tmp_path / "out.mp4"
    result = compose(composition, output)

    names = sorted(path.name for path in result.deliverables)
    assert names == sorted(
        [
            "out.poster.jpg", "out.poster-000.jpg", "out.poster-001.jpg",
            "out.h265.mp4", "out.webm", "out.preview.gif", "out.preview.webp",
        ]
    )  # fmt: skip
    for poster in ("out.poster.jpg", "out.poster-000.jpg"):
        (picture,) = streams(tmp_path / poster)
        assert (picture["codec_name"], picture["width"]) == ("mjpeg", 320)
    # The second clip is a flat colour: its poster is that colour.
    second = region_mean(tmp_path / "out.poster-001.jpg", 0, (100, 60, 100, 60))
    assert abs(second[2] - 0x80) < 12
    h265 = {s["codec_type"]: s for s in streams(tmp_path / "out.h265.mp4")}
    assert (h265["video"]["codec_name"], h265["video"]["codec_tag_string"]) == (
        "hevc",
        "hvc1",
    )
    assert h265["audio"]["codec_name"] == "aac"
    webm = {s["codec_type"]: s for s in streams(tmp_path / "out.webm")}
    assert (webm["video"]["codec_name"], webm["audio"]["codec_name"]) == (
        "vp9",
        "opus",
    )
    assert abs(video_frame_count(tmp_path / "out.h265.mp4") / RATE - 4.0) <= FRAME
    (gif,) = streams(tmp_path / "out.preview.gif")
    assert (gif["codec_name"], gif["width"]) == ("gif", 320)
    with Image.open(tmp_path / "out.preview.gif") as preview:
        assert preview.n_frames == 30  # 3 s at 10 fps
    with Image.open(tmp_path / "out.preview.webp") as preview:
        assert preview.is_animated and preview.size == (320, 180)


def test_the_service_refuses_overlay_files_outside_its_folders(
    tmp_path: Path, media: dict[str, Path]
) -> None:
    allowed = tmp_path / "allowed"
    allowed.mkdir()
    clip = allowed / "clip.mp4"
    clip.write_bytes(media["clip"].read_bytes())
    policy = SubmitPolicy(OutboundPolicy(), [allowed], None, 600)
    for extra in (
        {"subtitles": {"source": "/etc/passwd"}},
        {"overlays": [{"type": "image", "source": "/etc/hostname"}]},
        {"overlays": [{"type": "image", "source": "s3://bucket/logo.png"}]},
    ):
        composition = Composition.model_validate({"clips": [str(clip)], **extra})
        with pytest.raises(SourceRefusedError):
            policy.new_job(
                "owner",
                composition,
                idempotency_key=None,
                callback_url=None,
                metadata={},
                deadline_seconds=None,
            )
