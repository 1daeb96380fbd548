"""Memory with every editing feature on, against clip count: it must stay flat.

    python -m bench.features [--counts 10,30,60] [--size 1280x720]

Each composition takes the mixed clip set and adds: a transition at every other
join (crossfade, fade through black, wipe), a title card and a still image with
Ken Burns, speed and volume changes, a music bed with ducking, loudness
normalization with clip matching, a text overlay, a logo, subtitles, a poster
and a preview. The peak RSS of the whole process tree is sampled (bench.measure).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

from bench.clipset import build_set
from bench.measure import measure

SHARED = Path(__file__).resolve().parents[2] / "shared" / "media"
KINDS = ("crossfade", "fade_black", "wipe_left")
MIB = 1 << 20


def composition(paths: tuple[Path, ...], folder: Path, size: str) -> dict[str, object]:
    """A spec that switches every feature on over `paths`."""
    width, height = (int(part) for part in size.split("x"))
    clips: list[dict[str, object]] = [
        {"title": {"text": "clipstitch", "background": "#202040"}, "duration": 1.5},
        {"source": str(SHARED / "images" / "vacation_2017.jpg"), "duration": 2,
         "ken_burns": {"zoom_end": 1.3, "pan": "right"}},
    ]  # fmt: skip
    for index, path in enumerate(paths):
        clip: dict[str, object] = {"source": str(path)}
        if index % 2 == 0:
            clip["transition"] = {"kind": KINDS[index % 3], "duration": 0.4}
        if index % 5 == 1:
            clip["speed"] = 1.5
        if index % 7 == 3:
            clip["volume"] = 0.5
        clips.append(clip)
    subtitles = folder / "subtitles.srt"
    subtitles.write_text("1\n00:00:01,000 --> 00:00:04,000\nHello from clipstitch\n")
    return {
        "clips": clips,
        "output": {"width": width, "height": height, "fps": "30"},
        "music": {"source": str(SHARED / "audio" / "rain.mp3"), "volume": 0.4,
                  "fade_in": 1, "fade_out": 2, "ducking": {"depth_db": 12}},
        "loudness": {"target_lufs": -14, "match_clips": True},
        "overlays": [
            {"type": "text", "text": "features on", "position": "top-left",
             "box": True, "start": 0.5, "end": 6},
            {"type": "image", "source": str(SHARED / "images" / "python_logo.png"),
             "position": "bottom-right", "scale": 0.12, "opacity": 0.8},
        ],
        "subtitles": {"source": str(subtitles)},
        "deliverables": {"poster": {}, "extra_outputs": ["preview_gif"]},
    }  # fmt: skip


def run(count: int, size: str, max_memory: str | None) -> dict[str, object]:
    clips = build_set("mixed", count)
    with tempfile.TemporaryDirectory(prefix="clipstitch-features-") as work:
        folder = Path(work)
        spec = folder / "spec.json"
        spec.write_text(json.dumps(composition(clips.paths, folder, size)))
        command = [sys.executable, "-m", "clipstitch.cli.main", "compose", str(spec),
                   "-o", str(folder / "out.mp4"), "--json"]  # fmt: skip
        if max_memory:
            command += ["--max-memory", max_memory]
        measured = measure(command, [folder])
    if measured.returncode != 0:
        raise SystemExit(f"{count} clips failed: {measured.stderr.strip()[-800:]}")
    summary = json.loads(measured.stdout)
    return {
        "clips": count,
        "output_seconds": round(float(summary["duration"]), 2),
        "wall_seconds": round(measured.wall_seconds, 1),
        "peak_rss_mib": round(measured.peak_rss_bytes / MIB),
        "self_reported_mib": round(int(summary["peak_memory_bytes"]) / MIB),
        "peak_disk_mib": round(measured.peak_disk_bytes / MIB),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--counts", default="10,30,60")
    parser.add_argument("--size", default="1280x720")
    parser.add_argument("--max-memory", default=None)
    options = parser.parse_args()
    rows = [
        run(int(count), options.size, options.max_memory)
        for count in options.counts.split(",")
    ]
    print("| clips | output s | wall s | peak RSS MiB | self-reported | disk MiB |")
    print("|---|---|---|---|---|---|")
    for row in rows:
        print("| {clips} | {output_seconds} | {wall_seconds} | {peak_rss_mib} | "
              "{self_reported_mib} | {peak_disk_mib} |".format(**row))  # fmt: skip
    first, last = rows[0]["peak_rss_mib"], rows[-1]["peak_rss_mib"]
    print(f"peak RSS at {rows[-1]['clips']} clips / at {rows[0]['clips']}: "
          f"{int(last) / int(first):.2f}x")  # fmt: skip


if __name__ == "__main__":
    main()
