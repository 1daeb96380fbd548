"""The command line: compose, probe, and one clean line on error."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from media_checks import N00_DURATION, durations

CLIPSTITCH = Path(sys.executable).parent / "clipstitch"
SMALL_FLAGS = ["--width", "320", "--height", "180", "--fps", "30"]


def clipstitch(*arguments: str) -> subprocess.CompletedProcess[str]:
    command = [str(CLIPSTITCH), *arguments]
    wide = os.environ | {"COLUMNS": "200"}  # tables keep each reason on one row
    return subprocess.run(
        command, capture_output=True, text=True, timeout=120, env=wide
    )


def clipstitch_narrow(*arguments: str) -> subprocess.CompletedProcess[str]:
    command = [str(CLIPSTITCH), *arguments]
    narrow = os.environ | {"COLUMNS": "60"}
    return subprocess.run(
        command, capture_output=True, text=True, timeout=120, env=narrow
    )


def test_compose_writes_the_output(n00: Path, tmp_path: Path) -> None:
    output = tmp_path / "out.mp4"
    done = clipstitch("compose", str(n00), str(n00), "-o", str(output), *SMALL_FLAGS)
    assert done.returncode == 0, done.stderr
    assert durations(output).video == 2 * N00_DURATION


def test_compose_error_is_one_clean_line(
    n00: Path, case_path: Callable[[str], Path], tmp_path: Path
) -> None:
    empty, output = case_path("B18"), tmp_path / "out.mp4"
    done = clipstitch_narrow(
        "compose", str(n00), str(empty), "-o", str(output), *SMALL_FLAGS
    )
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("error: clip 1") and str(empty) in lines[0]
    assert not output.exists()


def test_output_never_overwrites_an_input_or_names_internals(
    n00: Path, tmp_path: Path
) -> None:
    music = tmp_path / "music.mp4"
    music.write_bytes(n00.read_bytes())
    spec = tmp_path / "spec.json"
    spec.write_text(json.dumps({"clips": [str(n00)], "music": {"source": str(music)}}))
    same = clipstitch("compose", str(spec), "-o", str(music), *SMALL_FLAGS)
    assert same.returncode == 1
    assert "output" in same.stderr and "source of music" in same.stderr
    assert music.read_bytes() == n00.read_bytes()

    spec.write_text(json.dumps({"clips": [{"source": str(n00), "start": -1}]}))
    invalid = clipstitch("compose", str(spec), "-o", str(tmp_path / "o.mp4"))
    assert "clips.0.start:" in invalid.stderr and "pydantic" not in invalid.stderr

    unwritable = clipstitch("compose", str(n00), "-o", "/proc/clipstitch.mp4")
    assert unwritable.returncode == 1
    assert "cannot write to the folder of /proc/clipstitch.mp4" in unwritable.stderr
    assert ".clipstitch-" not in unwritable.stderr


def test_probe_reports_each_clip(n00: Path, case_path: Callable[[str], Path]) -> None:
    done = clipstitch("probe", str(n00), str(case_path("B02")))
    assert done.returncode == 1
    assert "no video stream" in done.stdout
    assert "Traceback" not in done.stderr


def test_probe_of_good_clips_succeeds(case_path: Callable[[str], Path]) -> None:
    done = clipstitch("probe", str(case_path("B10")))
    assert done.returncode == 0, done.stderr
    assert "upright" in done.stdout


def test_calibrate_measures_this_machine_and_plan_uses_it(
    n00: Path, tmp_path: Path
) -> None:
    costs = tmp_path / "costs.json"
    done = clipstitch("calibrate", "-o", str(costs))
    assert done.returncode == 0, done.stderr
    model = json.loads(costs.read_text())
    assert 10 << 20 < model["python_bytes"] < 500 << 20
    assert 10 < model["encode_bytes_per_pixel"] < 500
    assert model["decode_seconds_per_megapixel"]["h264"] > 0
    assert model["encode_seconds_per_megapixel_per_bit"] > 0
    assert 0 < model["process_seconds"] < 5  # per clip: probes and start-ups
    assert 0 < model["job_seconds"] < 10  # per job: Python and the join's start

    planned = subprocess.run(
        [str(CLIPSTITCH), "plan", str(n00), "--json"],
        capture_output=True,
        text=True,
        timeout=120,
        env=os.environ | {"CLIPSTITCH_COSTS": str(costs)},
    )
    assert planned.returncode == 0, planned.stderr
    assert json.loads(planned.stdout)["wall_seconds"] >= model["job_seconds"]


def test_plan_counts_transitions_and_names_a_failure(n00: Path, tmp_path: Path) -> None:
    fade = {"kind": "crossfade", "duration": 0.5}
    spec = tmp_path / "spec.json"
    spec.write_text(json.dumps({
        "clips": [{"source": str(n00), "transition": fade}, str(n00)],
        "output": {"width": 320, "height": 180},
    }))  # fmt: skip
    planned = clipstitch("plan", str(spec), "--json")
    composed = clipstitch("compose", str(spec), "-o", str(tmp_path / "o.mp4"))
    assert planned.returncode == composed.returncode == 0, planned.stderr
    expected = 2 * N00_DURATION - 0.5
    assert json.loads(planned.stdout)["output_seconds"] == pytest.approx(expected)
    assert durations(tmp_path / "o.mp4").video == pytest.approx(expected, abs=0.001)

    spec.write_text(spec.read_text().replace('"duration": 0.5', '"duration": 5.0'))
    failing = clipstitch("plan", str(spec))
    assert failing.returncode == 1
    assert "compose would fail: clip 0" in failing.stderr
    assert "too short for its transitions" in failing.stderr


def test_a_folder_given_as_a_clip_is_named_as_one(tmp_path: Path) -> None:
    done = clipstitch("compose", str(tmp_path), "-o", str(tmp_path / "o.mp4"))
    assert done.returncode == 1
    assert f"clip 0 ({tmp_path}): is a folder" in done.stderr
