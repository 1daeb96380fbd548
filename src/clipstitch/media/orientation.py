"""Orientation of a picture from its display matrix (rotation and mirroring)."""

from __future__ import annotations

from enum import StrEnum


class Orientation(StrEnum):
    """The eight ways a stored picture may be turned or mirrored for display."""

    # Each value says what turns the stored picture upright for display.
    UPRIGHT = "upright"
    ROTATE_90 = "rotate 90° clockwise"
    ROTATE_180 = "rotate 180°"
    ROTATE_270 = "rotate 90° counter-clockwise"
    MIRROR = "mirror left-right"
    FLIP = "flip top-bottom"
    TRANSPOSE = "transpose (mirror across the diagonal)"
    ANTI_TRANSPOSE = "anti-transpose (mirror across the other diagonal)"

    @property
    def swaps_axes(self) -> bool:
        return self in _AXIS_SWAPS


_AXIS_SWAPS = {
    Orientation.ROTATE_90,
    Orientation.ROTATE_270,
    Orientation.TRANSPOSE,
    Orientation.ANTI_TRANSPOSE,
}


def orientation_from_matrix(matrix: tuple[int, ...] | None) -> Orientation:
    """Read the 3x3 display matrix (row-major, as ffprobe prints it).

    Only its sign pattern matters: ffmpeg's autorotation turns the same eight
    patterns into transpose/flip filters, and we only need the resulting shape.
    """
    if not matrix or len(matrix) < 5:
        return Orientation.UPRIGHT
    a, b, c, d = (
        _sign(value) for value in (matrix[0], matrix[1], matrix[3], matrix[4])
    )
    return _BY_SIGNS.get((a, b, c, d), Orientation.UPRIGHT)


def _sign(value: int) -> int:
    return (value > 0) - (value < 0)


_BY_SIGNS = {
    (1, 0, 0, 1): Orientation.UPRIGHT,
    (-1, 0, 0, 1): Orientation.MIRROR,
    (1, 0, 0, -1): Orientation.FLIP,
    (-1, 0, 0, -1): Orientation.ROTATE_180,
    (0, 1, -1, 0): Orientation.ROTATE_90,
    (0, -1, 1, 0): Orientation.ROTATE_270,
    (0, 1, 1, 0): Orientation.TRANSPOSE,
    (0, -1, -1, 0): Orientation.ANTI_TRANSPOSE,
}
