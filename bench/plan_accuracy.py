"""How close `clipstitch plan` comes to what `clipstitch compose` then measures.

For each composition: predicted peak memory and wall time (`plan --json`) against
the compose's measured process-tree peak RSS and wall time, with errors in %.
Targets: memory within 25%, time within 35%.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from bench.clipset import (
    CACHE,
    DURATIONS,
    KINDS,
    ClipSpec,
    build_set,
    clip_path,
    generate,
)
from bench.measure import measure
from bench.run import RESULTS, clipstitch_command

MB = 1 << 20
MEMORY_TARGET = 25.0  # % of measured
TIME_TARGET = 35.0
WORK = CACHE / "plan-accuracy"
P720 = (1280, 720)
P1080 = (1920, 1080)


@dataclass(frozen=True)
class Case:
    """One composition to predict and then run."""

    name: str
    sources: tuple[Path, ...]
    size: tuple[int, int]
    budget: str | None  # --max-memory, or the default budget


@dataclass(frozen=True)
class Outcome:
    """Predicted and measured figures of one case."""

    name: str
    clips: int
    output: str
    budget: str
    copied: int
    predicted_memory: int
    measured_memory: int
    predicted_seconds: float
    measured_seconds: float
    measured_cpu_seconds: float
    load_average: float
    predicted_cpu_seconds: float = 0.0

    @property
    def cpu_error(self) -> float:
        return _error(self.predicted_cpu_seconds, self.measured_cpu_seconds)

    @property
    def memory_error(self) -> float:
        return _error(self.predicted_memory, self.measured_memory)

    @property
    def time_error(self) -> float:
        return _error(self.predicted_seconds, self.measured_seconds)


def _error(predicted: float, measured: float) -> float:
    return 100.0 * (predicted - measured) / max(measured, 1e-9)


def kinds_set(kinds: list[str], seed: int) -> tuple[Path, ...]:
    """Clips of the named bench kinds, about 3 s each, generated once and cached."""
    paths = []
    for number, name in enumerate(kinds):
        spec = ClipSpec(KINDS[name], DURATIONS[number % len(DURATIONS)], seed + number)
        path = clip_path(spec)
        if not path.exists():
            generate(spec, path)
        paths.append(path)
    return tuple(paths)


def prefix(name: str, count: int) -> tuple[Path, ...]:
    return build_set(name, count, log=False).paths


def cases(quick: bool) -> list[Case]:
    """Varied compositions: clip counts, input sizes and codecs, outputs, budgets."""
    four_k = ["4k-h264", "4k-hevc", "4k-h264", "4k-hevc"]
    turned = ["portrait", "rotated", "portrait", "rotated"]
    fast = ["720p60", "25fps-mono", "720p60", "25fps-mono", "720p60", "720p30"]
    matching = ["1080p30"] * 10
    table = [
        Case("mixed 6, default budget", prefix("mixed", 6), P1080, None),
        Case("mixed 12, 400M", prefix("mixed", 12), P1080, "400M"),
        Case("mixed 20 to 720p", prefix("mixed", 20), P720, None),
        Case("re-encode 6", prefix("reencode", 6), P1080, None),
        Case("re-encode 6 to 720p", prefix("reencode", 6), P720, None),
        Case("re-encode 8, 400M", prefix("reencode", 8), P1080, "400M"),
        Case("all match 10 (copy)", kinds_set(matching, 500), P1080, None),
        Case("1080p 10 to 720p", kinds_set(matching, 500), P720, "600M"),
        Case("4K h264+hevc 4", kinds_set(four_k, 600), P1080, None),
        Case("4K h264+hevc 4, 400M", kinds_set(four_k, 600), P1080, "400M"),
        Case("portrait+rotated 4 to 720p, 300M", kinds_set(turned, 700), P720, "300M"),
        Case("720p60 and 25 fps 6, 1G", kinds_set(fast, 800), P1080, "1G"),
    ]
    return table[:3] if quick else table


def write_spec(case: Case, folder: Path) -> Path:
    width, height = case.size
    spec = {
        "clips": [str(path) for path in case.sources],
        "output": {"width": width, "height": height, "fps": "30"},
    }
    path = folder / "spec.json"
    path.write_text(json.dumps(spec, indent=2))
    return path


def predict(spec: Path, budget: str | None) -> dict[str, object]:
    """`clipstitch plan spec.json --json`."""
    options = ["--max-memory", budget] if budget else []
    done = subprocess.run(
        [*clipstitch_command(), "plan", str(spec), "--json", *options],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    plan: dict[str, object] = json.loads(done.stdout)
    return plan


def run_case(case: Case) -> Outcome:
    """Plan, then compose under measurement, in a fresh folder."""
    folder = WORK / case.name.replace(" ", "-").replace(",", "")
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    spec = write_spec(case, folder)
    plan = predict(spec, case.budget)
    options = ["--max-memory", case.budget] if case.budget else []
    command = [*clipstitch_command(), "compose", str(spec), "-o",
               str(folder / "out.mp4"), "--json", *options]  # fmt: skip
    load = os.getloadavg()[0]
    result = measure(command, [folder])
    if result.returncode != 0:
        raise SystemExit(f"{case.name}: compose failed\n{result.stderr[-2000:]}")
    summary = json.loads(result.stdout)
    shutil.rmtree(folder)
    return Outcome(
        name=case.name,
        clips=len(case.sources),
        output=f"{case.size[1]}p",
        budget=case.budget or "default",
        copied=sum(clip["copied_video"] for clip in summary["clips"]),
        predicted_memory=int(plan["peak_memory_bytes"]),  # type: ignore[call-overload]
        measured_memory=result.peak_rss_bytes,
        predicted_seconds=float(plan["wall_seconds"]),  # type: ignore[arg-type]
        measured_seconds=result.wall_seconds,
        measured_cpu_seconds=result.cpu_seconds,
        load_average=round((load + os.getloadavg()[0]) / 2, 2),
        predicted_cpu_seconds=float(plan["cpu_seconds"]),  # type: ignore[arg-type]
    )


def table(outcomes: list[Outcome]) -> str:
    """Markdown table of predicted vs measured, with errors and target marks."""
    lines = [
        "| composition | clips | out | budget | copied | memory pred / meas MB "
        "| err | wall pred / meas s | err | CPU pred / meas s | err | load |",
        "|---|---:|---|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for item in outcomes:
        lines.append(
            f"| {item.name} | {item.clips} | {item.output} | {item.budget} "
            f"| {item.copied} | {item.predicted_memory / MB:.0f} / "
            f"{item.measured_memory / MB:.0f} "
            f"| {_mark(item.memory_error, MEMORY_TARGET)} "
            f"| {item.predicted_seconds:.1f} / {item.measured_seconds:.1f} "
            f"| {_mark(item.time_error, TIME_TARGET)} "
            f"| {item.predicted_cpu_seconds:.1f} / {item.measured_cpu_seconds:.1f} "
            f"| {_mark(item.cpu_error, TIME_TARGET)} | {item.load_average:.1f} |"
        )
    return "\n".join(lines)


def _mark(error: float, target: float) -> str:
    text = f"{error:+.0f}%"
    return text if abs(error) <= target else f"**{text}**"


def summary(outcomes: list[Outcome]) -> str:
    memory = [abs(item.memory_error) for item in outcomes]
    seconds = [abs(item.time_error) for item in outcomes]
    within_memory = sum(error <= MEMORY_TARGET for error in memory)
    within_time = sum(error <= TIME_TARGET for error in seconds)
    cpu = [abs(item.cpu_error) for item in outcomes]
    return (
        f"CPU within {TIME_TARGET:.0f}%: "
        f"{sum(error <= TIME_TARGET for error in cpu)}/{len(outcomes)}; "
        f"memory within {MEMORY_TARGET:.0f}%: {within_memory}/{len(outcomes)} "
        f"(worst {max(memory):.0f}%, mean {sum(memory) / len(memory):.0f}%); "
        f"time within {TIME_TARGET:.0f}%: {within_time}/{len(outcomes)} "
        f"(worst {max(seconds):.0f}%, mean {sum(seconds) / len(seconds):.0f}%)"
    )


def replan(path: Path, quick: bool) -> list[Outcome]:
    """Predict again (the model changed) for runs measured before; no compose."""
    by_name = {case.name: case for case in cases(quick)}
    outcomes = []
    for row in json.loads(path.read_text())["rows"]:
        case = by_name[row["name"]]
        folder = WORK / "replan"
        folder.mkdir(parents=True, exist_ok=True)
        plan = predict(write_spec(case, folder), case.budget)
        row["predicted_memory"] = plan["peak_memory_bytes"]
        row["predicted_seconds"] = plan["wall_seconds"]
        row["predicted_cpu_seconds"] = plan["cpu_seconds"]
        outcomes.append(Outcome(**row))
    return outcomes


def save(outcomes: list[Outcome]) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / time.strftime("plan-accuracy-%Y%m%d-%H%M%S.json")
    rows = [asdict(item) for item in outcomes]
    path.write_text(json.dumps({"cpus": os.cpu_count(), "rows": rows}, indent=2))
    return path


def main() -> None:
    """Run every case (or the first three with --quick), print the table, save."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="three cases only")
    parser.add_argument("--only", help="run the cases whose name contains this")
    parser.add_argument("--replan", type=Path, help="re-predict a saved run")
    args = parser.parse_args()
    if args.replan:
        outcomes = replan(args.replan, args.quick)
        print(table(outcomes) + "\n\n" + summary(outcomes))
        return
    selected = [
        case for case in cases(args.quick) if not args.only or args.only in case.name
    ]
    outcomes = []
    for case in selected:
        print(f"running {case.name} ...", flush=True)
        outcomes.append(run_case(case))
        print(table(outcomes[-1:]).splitlines()[-1], flush=True)
    print()
    print(table(outcomes))
    print()
    print(summary(outcomes))
    print(f"results written to {save(outcomes)}")


if __name__ == "__main__":
    main()
