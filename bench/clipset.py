"""Deterministic benchmark clip sets, generated with ffmpeg lavfi and cached."""

from __future__ import annotations

import argparse
import functools
import hashlib
import json
import subprocess
from dataclasses import asdict, dataclass
from pathlib import Path

BENCH = Path(__file__).resolve().parent
CACHE = BENCH / ".cache"
RECIPE = 1  # bump when the way clips are encoded changes
NOISE = 15  # testsrc2 + this much temporal noise: ~1.1 s to encode 1 s of 1080p30
DURATIONS = (2.6, 2.8, 3.0, 3.2, 3.0, 3.0)  # mean 2.933 s: 60 clips make 176 s
OUTPUT_H264 = [
    "-c:v", "libx264", "-preset", "veryfast", "-crf", "23",
    "-profile:v", "high", "-pix_fmt", "yuv420p",
    "-color_primaries", "bt709", "-color_trc", "bt709",
    "-colorspace", "bt709", "-color_range", "tv",
]  # fmt: skip
HEVC = [
    "-c:v", "libx265", "-preset", "ultrafast", "-crf", "26", "-pix_fmt", "yuv420p",
    "-tag:v", "hvc1", "-x265-params", "log-level=error",
]  # fmt: skip


@dataclass(frozen=True)
class Kind:
    """One kind of clip: its coded picture, rate, codec, audio and rotation."""

    name: str
    width: int = 1920
    height: int = 1080
    fps: int = 30
    codec: str = "h264"
    sample_rate: int | None = 48_000  # None: no audio stream
    channels: int = 2
    rotation: int = 0  # display-matrix rotation, degrees clockwise
    copies: bool = False  # video matches the default output: clipstitch copies it


MATCHING = Kind("1080p30", copies=True)
KINDS = {
    kind.name: kind
    for kind in (
        MATCHING,
        Kind("720p60", 1280, 720, 60),
        Kind("720p30", 1280, 720, 30),
        Kind("portrait", 1080, 1920),
        Kind("4k-h264", 3840, 2160),
        Kind("4k-hevc", 3840, 2160, codec="hevc"),
        Kind("25fps-mono", fps=25, sample_rate=44_100, channels=1),
        Kind("no-audio", sample_rate=None, copies=True),
        Kind("rotated", rotation=90),
    )
}
# Mixed: 20-clip cycle, 14 copyable (13 matching + no-audio), odd places varied.
MIXED_ODD = ("720p60", "rotated", "25fps-mono", "no-audio", "portrait", "4k-h264",
             "4k-hevc")  # fmt: skip
REENCODE_CYCLE = ("720p30", "25fps-mono", "720p60", "portrait")


@dataclass(frozen=True)
class ClipSpec:
    """One clip of a set: its kind, length and seed (noise and tone)."""

    kind: Kind
    duration: float
    seed: int


@dataclass(frozen=True)
class ClipSet:
    """Generated clips, in order, with their specs."""

    name: str
    specs: tuple[ClipSpec, ...]
    paths: tuple[Path, ...]

    @property
    def duration(self) -> float:
        return round(sum(spec.duration for spec in self.specs), 6)

    @property
    def copyable(self) -> int:
        return sum(spec.kind.copies for spec in self.specs)


def mixed_kind(index: int) -> Kind:
    """The kind at `index` of the mixed set (every count is a prefix of the next)."""
    place = index % 20
    if place % 2 == 1 and place // 2 < len(MIXED_ODD):
        return KINDS[MIXED_ODD[place // 2]]
    return MATCHING


def reencode_kind(index: int) -> Kind:
    """The kind at `index` of the set where no clip matches the output."""
    return KINDS[REENCODE_CYCLE[index % len(REENCODE_CYCLE)]]


SETS = {"mixed": mixed_kind, "reencode": reencode_kind}


def set_specs(name: str, count: int) -> tuple[ClipSpec, ...]:
    """The specs of the first `count` clips of set `name`."""
    kind_at = SETS[name]
    return tuple(
        ClipSpec(kind_at(index), DURATIONS[index % len(DURATIONS)], index)
        for index in range(count)
    )


def build_set(name: str, count: int, *, log: bool = True) -> ClipSet:
    """Generate (or reuse from the cache) the first `count` clips of set `name`."""
    specs = set_specs(name, count)
    paths = []
    for number, spec in enumerate(specs, 1):
        path = clip_path(spec)
        if not path.exists():
            if log:
                print(f"  generating {name} clip {number}/{count}: {path.name}")
            generate(spec, path)
        paths.append(path)
    return ClipSet(name, specs, tuple(paths))


def clip_path(spec: ClipSpec) -> Path:
    """Cache path named by a digest of everything that shapes the clip."""
    recipe = {"spec": asdict(spec), "noise": NOISE, "recipe": RECIPE}
    digest = hashlib.sha256(json.dumps(recipe, sort_keys=True).encode()).hexdigest()
    return CACHE / "clips" / f"{spec.kind.name}-{spec.seed:03d}-{digest[:10]}.mp4"


def generate(spec: ClipSpec, path: Path) -> None:
    """Encode the clip to a temporary name, rotate it if asked, then rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    encoded = path.with_suffix(".encoding.mp4")
    ffmpeg([*_sources(spec), *_codecs(spec), "-movflags", "+faststart", str(encoded)])
    if spec.kind.rotation:
        rotated = path.with_suffix(".rotating.mp4")
        ffmpeg(
            [*_rotated_input(encoded, spec.kind.rotation), "-c", "copy", str(rotated)]
        )
        encoded.unlink()
        encoded = rotated
    encoded.replace(path)


def _sources(spec: ClipSpec) -> list[str]:
    kind = spec.kind
    video = (
        f"testsrc2=s={kind.width}x{kind.height}:r={kind.fps}:d={spec.duration},"
        f"noise=alls={NOISE}:allf=t+u:all_seed={spec.seed + 1}"
    )
    sources = ["-f", "lavfi", "-i", video]
    if kind.sample_rate is not None:
        tone = 220 + 37 * (spec.seed % 20)
        audio = f"sine=f={tone}:r={kind.sample_rate}:d={spec.duration}"
        sources += ["-f", "lavfi", "-i", audio]
    return sources


def _codecs(spec: ClipSpec) -> list[str]:
    kind = spec.kind
    video = OUTPUT_H264 if kind.codec == "h264" else HEVC
    codecs = ["-map", "0:v", *video, "-g", str(2 * kind.fps)]
    if kind.sample_rate is not None:
        codecs += ["-map", "1:a", "-c:a", "aac", "-b:a", "160k"]
        codecs += ["-ar", str(kind.sample_rate), "-ac", str(kind.channels)]
    return codecs


def _rotated_input(path: Path, degrees: int) -> list[str]:
    """Input options that give `path` a clockwise display-matrix rotation on copy."""
    if _has_display_rotation():  # ffmpeg >= 6: an input option, counter-clockwise
        return ["-display_rotation", str(-degrees), "-i", str(path)]
    return ["-i", str(path), "-metadata:s:v:0", f"rotate={degrees}"]


@functools.cache
def _has_display_rotation() -> bool:
    help_text = subprocess.run(
        ["ffmpeg", "-hide_banner", "-h", "long"], capture_output=True, text=True
    ).stdout
    return "-display_rotation" in help_text


def ffmpeg(arguments: list[str]) -> None:
    """Run ffmpeg quietly; raise with its log tail on failure."""
    command = ["ffmpeg", "-hide_banner", "-nostdin", "-loglevel", "error", "-y"]
    done = subprocess.run([*command, *arguments], capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"ffmpeg failed: {done.stderr.strip()[-2000:]}")


def main() -> None:
    """Generate a set ahead of a run and print its clips."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("set", choices=sorted(SETS))
    parser.add_argument("--clips", type=int, default=60)
    args = parser.parse_args()
    clips = build_set(args.set, args.clips)
    for spec, path in zip(clips.specs, clips.paths, strict=True):
        print(f"{spec.kind.name:>10}  {spec.duration:4.1f} s  {path}")
    print(
        f"{len(clips.paths)} clips, {clips.duration:.1f} s, {clips.copyable} copyable"
    )


if __name__ == "__main__":
    main()
