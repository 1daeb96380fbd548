"""clipstitch against what users pick instead, on the same clip sets.

Tools: clipstitch; the original design (a 1080p MP4 per clip kept on disk, then the
concat demuxer); one ffmpeg with the concat filter over all inputs; MoviePy
(concatenate_videoclips + write_videofile); the floor (one encode of the same
length from a synthetic source). Each runs under a hard memory limit (half of
RAM); MoviePy and the concat filter run only at clip counts whose predicted peak
fits in it. Also: stream-copy speed when every clip matches, and API latency
while 4 jobs render. Prints markdown tables, saves JSON and PNG plots.
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import asdict
from pathlib import Path

import httpx

from bench.api_latency import Latency, measure_latency
from bench.clipset import KINDS, ClipSpec, build_set, clip_path, generate, mixed_kind
from bench.contenders import run_tool
from bench.guard import half_of_ram
from bench.plots import plot_memory, plot_wall
from bench.report import Row
from bench.run import RESULTS
from bench.tables import comparison_table, scaling_table, targets

DOCS = Path(__file__).resolve().parent.parent / "docs"
SCALE_COUNTS = (10, 30, 60, 120, 240)
SCALE_SECONDS = 1.0  # clip length of the memory run: memory depends on the count
POOL = 20  # distinct clips of the memory run, cycled to reach each count
# Peak RSS per clip measured before on this machine (60 clips, issue 7); replaced
# by this run's own figure once a smaller count has been measured.
KNOWN_PER_CLIP = {"moviepy": 11.8e9 / 60, "concat filter": 3.6e9 / 60}
SAFETY = 1.2
ALL_TOOLS = ("clipstitch", "original", "concat filter", "moviepy", "floor")
SCALED_TOOLS = ("clipstitch", "original", "concat filter", "moviepy")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--clips", type=int, default=20, help="mixed comparison set")
    parser.add_argument("--reencode", type=int, default=12, help="re-encode set")
    parser.add_argument(
        "--counts",
        type=lambda text: tuple(int(part) for part in text.split(",")),
        default=SCALE_COUNTS,
    )
    parser.add_argument("--original-max", type=int, default=60)
    parser.add_argument("--moviepy-max", type=int, default=30)
    parser.add_argument("--concat-max", type=int, default=240)
    parser.add_argument("--copies", type=int, default=30, help="all-match set")
    parser.add_argument("--skip-api", action="store_true")
    parser.add_argument(
        "--budgets",
        type=lambda text: tuple(part for part in text.split(",") if part),
        default=(),
        help="also run clipstitch on the mixed set with these --max-memory values",
    )
    return parser.parse_args()


def short_pool() -> list[Path]:
    """POOL one-second clips of the mixed cycle, generated once and cached."""
    paths = []
    for index in range(POOL):
        spec = ClipSpec(mixed_kind(index), SCALE_SECONDS, 900 + index)
        path = clip_path(spec)
        if not path.exists():
            generate(spec, path)
        paths.append(path)
    return paths


def matching_pool(count: int) -> list[Path]:
    """1080p30 H.264 clips that match the output: clipstitch copies their video."""
    paths = []
    for index in range(10):
        spec = ClipSpec(KINDS["1080p30"], 3.0, 500 + index)
        path = clip_path(spec)
        if not path.exists():
            generate(spec, path)
        paths.append(path)
    return [paths[index % len(paths)] for index in range(count)]


def compare_set(set_name: str, count: int, tools: tuple[str, ...]) -> list[Row]:
    clips = build_set(set_name, count, log=False)
    return [
        run_tool(tool, set_name, clips.paths, clips.duration, half_of_ram())
        for tool in tools
    ]


def fits(tool: str, count: int, rows: list[Row]) -> bool:
    """Whether the tool's predicted peak at `count` clips fits in half of RAM."""
    if tool not in KNOWN_PER_CLIP:
        return True
    measured = [
        row.peak_rss_bytes / row.clips
        for row in rows
        if row.contender == tool and row.set_name == "scale" and not row.details
    ]
    per_clip = max(measured) if measured else KNOWN_PER_CLIP[tool]
    return per_clip * count * SAFETY <= half_of_ram()


def scale(counts: tuple[int, ...], caps: dict[str, int]) -> list[Row]:
    """Peak memory against clip count, per tool; skipped counts are recorded."""
    pool = short_pool()
    rows: list[Row] = []
    for count in counts:
        clips = [pool[index % len(pool)] for index in range(count)]
        for tool in SCALED_TOOLS:
            if count > caps.get(tool, count) or not fits(tool, count, rows):
                rows.append(_skipped(tool, count))
                continue
            seconds = count * SCALE_SECONDS
            rows.append(run_tool(tool, "scale", clips, seconds, half_of_ram()))
    return rows


def _skipped(tool: str, count: int) -> Row:
    print(f"skipping {tool} at {count} clips", flush=True)
    row = Row(tool, "scale", count, count * SCALE_SECONDS, 0.0, 0.0, 0, 0, 0.0)
    row.details = {"skipped": "over half of RAM or the time cap"}
    return row


def copy_speed(count: int) -> Row:
    """Every clip matches the output: the compose is a stream copy."""
    clips = matching_pool(count)
    return run_tool("clipstitch", "all-match", clips, 3.0 * count, half_of_ram())


def main() -> None:
    args = parse_args()
    started = time.monotonic()
    budgeted = tuple(f"clipstitch {budget}" for budget in args.budgets)
    rows = compare_set("mixed", args.clips, ALL_TOOLS[:1] + budgeted + ALL_TOOLS[1:])
    rows += compare_set("reencode", args.reencode, ("clipstitch", "floor"))
    copies = copy_speed(args.copies)
    caps = {
        "original": args.original_max,
        "moviepy": args.moviepy_max,
        "concat filter": args.concat_max,
    }
    rows += scale(args.counts, caps)
    save([*rows, copies], [])
    latency = [] if args.skip_api else api_latency()
    report(rows, copies, latency)
    save([*rows, copies], latency)
    print(f"\nmachine time: {time.monotonic() - started:.0f} s")


def api_latency() -> list[Latency]:
    clips = build_set("reencode", 4, log=False).paths
    output = {"width": 1280, "height": 720, "fps": "30"}
    print("measuring API latency with 4 jobs rendering ...", flush=True)
    try:
        return measure_latency(clips, output)
    except (OSError, RuntimeError, httpx.HTTPError) as exc:
        print(f"API latency not measured: {exc}", flush=True)
        return []


def report(rows: list[Row], copies: Row, latency: list[Latency]) -> None:
    print()
    for set_name in ("mixed", "reencode"):
        print(comparison_table([row for row in rows if row.set_name == set_name]))
        print()
    print(targets(rows))
    print()
    print(scaling_table([row for row in rows if row.set_name == "scale"]))
    speed = copies.output_seconds / max(copies.wall_seconds, 1e-9)
    print(
        f"\nall clips match ({copies.clips} clips, {copies.output_seconds:.0f} s): "
        f"{copies.wall_seconds:.1f} s wall, {speed:.0f}x real time, "
        f"{copies.peak_rss_bytes >> 20} MB"
    )
    for item in latency:
        print(
            f"API {item.kind} ({item.requests} requests): first byte p50 "
            f"{item.first_byte_p50} ms, p99 {item.first_byte_p99} ms; whole "
            f"p50 {item.whole_p50} ms, p99 {item.whole_p99} ms"
        )
    plot_memory([row for row in rows if row.set_name == "scale"], DOCS)
    plot_wall([row for row in rows if row.set_name == "mixed"], DOCS)


def save(rows: list[Row], latency: list[Latency]) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / time.strftime("compare-%Y%m%d-%H%M%S.json")
    document = {
        "half_of_ram": half_of_ram(),
        "rows": [asdict(row) for row in rows],
        "api_latency": [asdict(item) for item in latency],
    }
    path.write_text(json.dumps(document, indent=2) + "\n")
    print(f"results written to {path}")
    return path


if __name__ == "__main__":
    main()
