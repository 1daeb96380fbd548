"""The single-ffmpeg alternative: every clip an input, one concat filter, one encode."""

from __future__ import annotations

import argparse
import subprocess
from pathlib import Path

from bench.clipset import OUTPUT_H264
from bench.original import AAC, PICTURE, has_audio


def duration(clip: Path) -> float:
    probe = subprocess.run(
        ["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries",
         "format=duration", "-of", "default=nw=1:nk=1", str(clip)],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return float(probe.stdout.strip())


def graph(clips: list[Path]) -> str:
    """Fit each picture, resample each sound (silence where there is none), concat."""
    parts, pairs = [], []
    for index, clip in enumerate(clips):
        parts.append(f"[{index}:v:0]{PICTURE}[v{index}]")
        if has_audio(clip):
            audio = f"[{index}:a:0]aresample=48000,aformat=channel_layouts=stereo"
        else:
            audio = f"anullsrc=r=48000:cl=stereo,atrim=duration={duration(clip):.3f}"
        parts.append(f"{audio}[a{index}]")
        pairs.append(f"[v{index}][a{index}]")
    parts.append(f"{''.join(pairs)}concat=n={len(clips)}:v=1:a=1[v][a]")
    return ";".join(parts)


def command(clips: list[Path], output: Path) -> list[str]:
    inputs = [argument for clip in clips for argument in ("-i", str(clip))]
    return [
        "ffmpeg", "-hide_banner", "-nostdin", "-loglevel", "error", "-y", *inputs,
        "-filter_complex", graph(clips), "-map", "[v]", "-map", "[a]",
        *OUTPUT_H264, "-g", "60", *AAC, "-movflags", "+faststart", str(output),
    ]  # fmt: skip


def main() -> None:
    """`python -m bench.concat_filter CLIP... -o out.mp4`: run the one ffmpeg."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("clips", nargs="+", type=Path)
    parser.add_argument("-o", "--output", type=Path, required=True)
    args = parser.parse_args()
    subprocess.run(command(args.clips, args.output), check=True)


if __name__ == "__main__":
    main()
