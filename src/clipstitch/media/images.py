"""Still images: recognise JPEG, PNG and WebP files and read their EXIF orientation."""

from __future__ import annotations

from pathlib import Path

from PIL import Image, UnidentifiedImageError

from clipstitch.media.orientation import Orientation

# ffmpeg's single-image demuxers read one file as a stream of pictures; unlike
# image2 they never expand a name into a sequence or a glob of other files.
IMAGE_DEMUXERS = ("jpeg_pipe", "png_pipe", "webp_pipe")

_SIGNATURES = (
    (b"\xff\xd8\xff", "jpeg_pipe"),
    (b"\x89PNG\r\n\x1a\n", "png_pipe"),
)
_EXIF_ORIENTATION_TAG = 0x0112
# EXIF orientation 1..8: what turns the stored picture upright for display.
_EXIF_ORIENTATIONS = {
    1: Orientation.UPRIGHT,
    2: Orientation.MIRROR,
    3: Orientation.ROTATE_180,
    4: Orientation.FLIP,
    5: Orientation.TRANSPOSE,
    6: Orientation.ROTATE_90,
    7: Orientation.ANTI_TRANSPOSE,
    8: Orientation.ROTATE_270,
}


def image_demuxer(path: Path) -> str | None:
    """The single-image demuxer for `path` when its first bytes say it is a still."""
    try:
        with path.open("rb") as file:
            head = file.read(16)
    except OSError:
        return None
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp_pipe"
    return next((name for magic, name in _SIGNATURES if head.startswith(magic)), None)


def exif_orientation(path: Path) -> Orientation:
    """The orientation an image's EXIF asks for; upright when it states none.

    ffmpeg 5.1 ignores EXIF orientation, so it is read here and applied as filters.
    """
    try:
        with Image.open(path) as image:
            value = image.getexif().get(_EXIF_ORIENTATION_TAG, 1)
    except (OSError, UnidentifiedImageError, ValueError):
        return Orientation.UPRIGHT
    return _EXIF_ORIENTATIONS.get(int(value), Orientation.UPRIGHT)


def orientation_filters(orientation: Orientation) -> list[str]:
    """Filters that turn a picture stored with `orientation` upright."""
    return list(_FILTERS[orientation])


_FILTERS: dict[Orientation, tuple[str, ...]] = {
    Orientation.UPRIGHT: (),
    Orientation.ROTATE_90: ("transpose=clock",),
    Orientation.ROTATE_180: ("hflip", "vflip"),
    Orientation.ROTATE_270: ("transpose=cclock",),
    Orientation.MIRROR: ("hflip",),
    Orientation.FLIP: ("vflip",),
    Orientation.TRANSPOSE: ("transpose=cclock_flip",),
    Orientation.ANTI_TRANSPOSE: ("transpose=clock_flip",),
}
