"""Benchmark clipstitch against the original design and the encode floor."""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path

from bench.clipset import BENCH, CACHE, ClipSet, build_set
from bench.floor import floor_command
from bench.measure import Measurement, measure, run_folder
from bench.report import Row, print_report

RESULTS = BENCH / "results"
RUNS = CACHE / "runs"
FULL_COUNTS = (10, 60, 240)
QUICK_COUNTS = (3, 6, 12)


def main() -> None:
    """Parse options, generate the sets, run every contender, report and save."""
    args = parse_args()
    counts = args.counts or (QUICK_COUNTS if args.quick else FULL_COUNTS)
    clips = args.clips or (QUICK_COUNTS[1] if args.quick else 60)
    environment = describe_environment(args)
    print(f"# clipstitch benchmark: {json.dumps(environment)}\n", flush=True)
    sets = prepare_sets(clips, args.reencode or clips, counts)
    rows = compare(sets["mixed"], args.max_memory) + compare(
        sets["reencode"], args.max_memory
    )
    rows += scale(sets["mixed-all"], counts, rows, args.max_memory)
    environment["load_average_after"] = _load_average()
    print_report(
        rows, {"mixed": clips, "reencode": len(sets["reencode"].paths)}, counts
    )
    save(environment, rows)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--clips", type=int, help="clips in the comparison sets (60)")
    parser.add_argument("--reencode", type=int, help="clips in the re-encode set")
    parser.add_argument("--quick", action="store_true", help="6 clips; counts 3,6,12")
    parser.add_argument("--max-memory", help="passed to clipstitch, e.g. 400M")
    parser.add_argument(
        "--counts",
        type=lambda text: tuple(int(part) for part in text.split(",")),
        help="clip counts of the memory run (10,60,240); original at the first two",
    )
    return parser.parse_args()


def describe_environment(args: argparse.Namespace) -> dict[str, object]:
    """What the figures depend on: machine, load, ffmpeg, commit, options."""
    ffmpeg = subprocess.run(["ffmpeg", "-version"], capture_output=True, text=True)
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True
    )
    return {
        "cpus": os.cpu_count(),
        "load_average": _load_average(),
        "ffmpeg": ffmpeg.stdout.split("\n", 1)[0].split(" ")[2],
        "commit": commit.stdout.strip(),
        "python": platform.python_version(),
        "max_memory": args.max_memory,
        "quick": args.quick,
    }


def _load_average() -> list[float]:
    return [round(load, 2) for load in os.getloadavg()]


def prepare_sets(
    clips: int, reencode: int, counts: tuple[int, ...]
) -> dict[str, ClipSet]:
    """Generate (or reuse) the sets; the memory run cycles the mixed set's clips.

    Peak memory depends on the heaviest clips running together, not on how many
    distinct files there are, so counts above `clips` repeat the same files
    (generating 240 distinct clips would take longer than the runs).
    """
    started = time.monotonic()
    distinct = build_set("mixed", clips)
    sets = {
        "mixed": prefix(distinct, clips),
        "mixed-all": cycled(distinct, max(clips, *counts)),
        "reencode": build_set("reencode", reencode),
    }
    print(f"sets ready in {time.monotonic() - started:.0f} s\n", flush=True)
    return sets


def prefix(clips: ClipSet, count: int) -> ClipSet:
    """The first `count` clips of a set."""
    return ClipSet(clips.name, clips.specs[:count], clips.paths[:count])


def cycled(clips: ClipSet, count: int) -> ClipSet:
    """`count` clips: the set's clips in order, repeated as often as needed."""
    rounds = -(-count // len(clips.paths))
    return prefix(
        ClipSet(clips.name, clips.specs * rounds, clips.paths * rounds), count
    )


def compare(clips: ClipSet, max_memory: str | None) -> list[Row]:
    """clipstitch, the original design and the floor on one set."""
    return [
        run_clipstitch(clips, max_memory),
        run_original(clips),
        run_floor(clips),
    ]


def scale(
    clips: ClipSet, counts: tuple[int, ...], done: list[Row], max_memory: str | None
) -> list[Row]:
    """clipstitch at every count, the original at the first two; reuse done runs."""
    rows = []
    for number, count in enumerate(counts):
        subset = prefix(clips, count)
        if not _already(done, "clipstitch", count):
            rows.append(run_clipstitch(subset, max_memory))
        if number < 2 and not _already(done, "original", count):
            rows.append(run_original(subset))
    return rows


def _already(rows: list[Row], contender: str, count: int) -> bool:
    return any(
        row.contender == contender and row.set_name == "mixed" and row.clips == count
        for row in rows
    )


def run_clipstitch(clips: ClipSet, max_memory: str | None) -> Row:
    """`clipstitch compose ... --json`, keeping its own summary figures."""

    def command(output: Path) -> list[str]:
        budget = ["--max-memory", max_memory] if max_memory else []
        paths = [str(path) for path in clips.paths]
        return [*clipstitch_command(), "compose", *paths, "-o", str(output),
                "--json", *budget]  # fmt: skip

    row, stdout = measured("clipstitch", clips, command)
    summary = json.loads(stdout)
    row.details = {
        "reported_peak_memory_bytes": summary["peak_memory_bytes"],
        "copied_video": sum(clip["copied_video"] for clip in summary["clips"]),
        "workers": summary["workers"],
        "threads": summary["threads"],
        "stage_seconds": summary["stage_seconds"],
    }
    return row


def clipstitch_command() -> list[str]:
    """The clipstitch script of this interpreter's environment."""
    script = Path(sys.executable).parent / "clipstitch"
    if script.exists():
        return [str(script)]
    return [sys.executable, "-m", "clipstitch.cli.main"]


def run_original(clips: ClipSet) -> Row:
    """The replaced design: one ffmpeg per clip, keep all, concat demuxer copy."""

    def command(output: Path) -> list[str]:
        paths = [str(path) for path in clips.paths]
        return [sys.executable, "-m", "bench.original", *paths, "-o", str(output)]

    return measured("original", clips, command)[0]


def run_floor(clips: ClipSet) -> Row:
    """One encode of the set's total length of noisy 1080p30 with AAC audio."""

    def command(output: Path) -> list[str]:
        return floor_command(output, clips.duration)

    return measured("floor", clips, command)[0]


def measured(
    contender: str, clips: ClipSet, command_for: Callable[[Path], list[str]]
) -> tuple[Row, str]:
    """Run a contender in a fresh work folder (output + TMPDIR), measuring it."""
    label = f"{contender}-{clips.name}-{len(clips.paths)}"
    print(f"running {label} ...", flush=True)
    folder, output, environment = run_folder(RUNS, label)
    result = measure(command_for(output), [folder], env=environment)
    _check(label, result)
    row = _row(contender, clips, result, probe_duration(output))
    shutil.rmtree(folder)
    print(f"  {row.wall_seconds:.1f} s wall, {row.peak_rss_bytes >> 20} MB", flush=True)
    return row, result.stdout


def _check(label: str, result: Measurement) -> None:
    if result.returncode != 0:
        sys.exit(f"{label} failed ({result.returncode}):\n{result.stderr[-3000:]}")


def _row(contender: str, clips: ClipSet, result: Measurement, seconds: float) -> Row:
    return Row(
        contender=contender,
        set_name=clips.name,
        clips=len(clips.paths),
        set_seconds=clips.duration,
        wall_seconds=result.wall_seconds,
        cpu_seconds=result.cpu_seconds,
        peak_rss_bytes=result.peak_rss_bytes,
        peak_disk_bytes=result.peak_disk_bytes,
        output_seconds=seconds,
    )


def probe_duration(path: Path) -> float:
    """The container duration ffprobe reports for `path`."""
    probe = subprocess.run(
        ["ffprobe", "-v", "error", "-show_entries", "format=duration",
         "-of", "default=nw=1:nk=1", str(path)],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return float(probe.stdout.strip())


def save(environment: dict[str, object], rows: list[Row]) -> Path:
    """Write everything measured to bench/results/<time>.json."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / time.strftime("bench-%Y%m%d-%H%M%S.json")
    document = {"environment": environment, "rows": [asdict(row) for row in rows]}
    path.write_text(json.dumps(document, indent=2) + "\n")
    print(f"\nresults written to {path.relative_to(BENCH.parent)}")
    return path


if __name__ == "__main__":
    main()
