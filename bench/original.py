"""The design clipstitch replaces: normalize each clip to its own MP4, keep them all,
then join them with ffmpeg's concat demuxer and stream copy."""

from __future__ import annotations

import argparse
import json
import subprocess
from pathlib import Path

from bench.clipset import OUTPUT_H264, ffmpeg

WIDTH, HEIGHT, FPS = 1920, 1080, 30
PICTURE = (
    f"scale={WIDTH}:{HEIGHT}:force_original_aspect_ratio=decrease,"
    f"pad={WIDTH}:{HEIGHT}:(ow-iw)/2:(oh-ih)/2,setsar=1,fps={FPS},format=yuv420p"
)
SILENCE = ["-f", "lavfi", "-i", "anullsrc=r=48000:cl=stereo"]
AAC = ["-c:a", "aac", "-b:a", "160k", "-ar", "48000", "-ac", "2"]


def compose(clips: list[Path], output: Path, workdir: Path) -> None:
    """Normalize every clip one at a time into `workdir`, then concat with copy."""
    workdir.mkdir(parents=True, exist_ok=True)
    normalized = [
        normalize(clip, workdir / f"normalized-{index:04d}.mp4")
        for index, clip in enumerate(clips)
    ]
    listing = workdir / "concat.txt"
    listing.write_text("".join(f"file '{path}'\n" for path in normalized))
    ffmpeg(["-f", "concat", "-safe", "0", "-i", str(listing), "-c", "copy",
            "-movflags", "+faststart", str(output)])  # fmt: skip


def normalize(clip: Path, segment: Path) -> Path:
    """One ffmpeg: fit to 1080p30 (autorotated), H.264 + AAC 48 kHz stereo."""
    inputs, audio = ["-i", str(clip)], "0:a:0"
    if not has_audio(clip):
        inputs, audio = [*inputs, *SILENCE], "1:a"
    ffmpeg([
        *inputs, "-map", "0:v:0", "-map", audio, "-vf", PICTURE,
        *OUTPUT_H264, "-g", str(2 * FPS), *AAC, "-shortest",
        "-movflags", "+faststart", str(segment),
    ])  # fmt: skip
    return segment


def has_audio(clip: Path) -> bool:
    """Whether ffprobe finds an audio stream in the clip."""
    probe = subprocess.run(
        ["ffprobe", "-v", "error", "-select_streams", "a", "-show_entries",
         "stream=index", "-of", "json", str(clip)],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return bool(json.loads(probe.stdout).get("streams"))


def main() -> None:
    """`python -m bench.original CLIP... -o out.mp4 [--workdir DIR]`."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("clips", nargs="+", type=Path)
    parser.add_argument("-o", "--output", type=Path, required=True)
    parser.add_argument("--workdir", type=Path)
    args = parser.parse_args()
    workdir = args.workdir or args.output.parent / "original-segments"
    compose(args.clips, args.output, workdir)


if __name__ == "__main__":
    main()
