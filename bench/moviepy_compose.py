"""What a Python user writes instead: MoviePy concatenate_videoclips, write_videofile.

Each clip is fitted inside 1920x1080 (aspect kept), then composed onto a 1080p
canvas; the output uses the same codec settings as clipstitch (H.264 veryfast,
CRF 23, AAC 160 kb/s at 48 kHz).
"""

from __future__ import annotations

import argparse

from moviepy import VideoFileClip, concatenate_videoclips

WIDTH, HEIGHT, FPS = 1920, 1080, 30


def fitted(path: str) -> VideoFileClip:
    clip = VideoFileClip(path)
    scale = min(WIDTH / clip.w, HEIGHT / clip.h)
    return clip.resized(scale) if scale != 1 else clip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("clips", nargs="+")
    parser.add_argument("-o", "--output", required=True)
    args = parser.parse_args()
    clips = [fitted(path) for path in args.clips]
    joined = concatenate_videoclips(clips, method="compose")
    joined.write_videofile(
        args.output,
        fps=FPS,
        codec="libx264",
        preset="veryfast",
        ffmpeg_params=["-crf", "23", "-pix_fmt", "yuv420p"],
        audio_codec="aac",
        audio_fps=48_000,
        audio_bitrate="160k",
        logger=None,
    )


if __name__ == "__main__":
    main()
