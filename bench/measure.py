"""Run a command and measure its wall time, CPU time, peak tree RSS and peak disk."""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import psutil

SAMPLE_SECONDS = 0.05


@dataclass(frozen=True)
class Measurement:
    """What one run of a command cost."""

    wall_seconds: float
    cpu_seconds: float  # user + sys of the command and every descendant it reaped
    peak_rss_bytes: int  # largest sampled sum of RSS over the whole process tree
    peak_disk_bytes: int  # largest sampled disk use of the watched folders
    returncode: int
    stdout: str
    stderr: str


class Sampler:
    """Samples tree RSS and folder disk use in a thread, keeping the peaks."""

    def __init__(self, pid: int, folders: list[Path]) -> None:
        self.root = psutil.Process(pid)
        self.folders = folders
        self.peak_rss = 0
        self.peak_disk = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while True:
            self.peak_rss = max(self.peak_rss, tree_rss(self.root))
            self.peak_disk = max(self.peak_disk, disk_use(self.folders))
            if self._stop.wait(SAMPLE_SECONDS):
                return


def tree_rss(root: psutil.Process) -> int:
    """Sum of RSS over `root` and all its descendants; 0 once it has gone."""
    try:
        processes = [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return 0
    total = 0
    for process in processes:
        with contextlib.suppress(psutil.NoSuchProcess, psutil.AccessDenied):
            total += process.memory_info().rss
    return total


def disk_use(folders: list[Path]) -> int:
    """Bytes of disk allocated under `folders` (like du), tolerating files vanishing."""
    total = 0
    for folder in folders:
        for parent, _, names in os.walk(folder):
            for name in names:
                with contextlib.suppress(FileNotFoundError):
                    total += os.lstat(os.path.join(parent, name)).st_blocks * 512
    return total


def run_folder(root: Path, label: str) -> tuple[Path, Path, dict[str, str]]:
    """A fresh folder for one run: its output path, and an environment with TMPDIR
    inside it, so peak disk counts the run's temporary files too.
    """
    folder = root / label
    shutil.rmtree(folder, ignore_errors=True)
    (folder / "tmp").mkdir(parents=True)
    return folder, folder / "out.mp4", os.environ | {"TMPDIR": str(folder / "tmp")}


def measure(
    command: list[str], folders: list[Path], env: dict[str, str] | None = None
) -> Measurement:
    """Run `command` to completion while sampling; CPU time comes from wait4."""
    started = time.monotonic()
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
    )
    sampler = Sampler(process.pid, folders)
    sampler.start()
    output = _drain(process)
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.monotonic() - started
    sampler.stop()
    process.returncode = os.waitstatus_to_exitcode(status)
    return Measurement(
        wall_seconds=wall,
        cpu_seconds=usage.ru_utime + usage.ru_stime,
        peak_rss_bytes=sampler.peak_rss,
        peak_disk_bytes=sampler.peak_disk,
        returncode=process.returncode,
        stdout=output[0],
        stderr=output[1],
    )


def _drain(process: subprocess.Popen[str]) -> tuple[str, str]:
    """Read stdout and stderr to their ends without reaping the process."""
    chunks: dict[str, str] = {}

    def read(name: str, stream: IO[str]) -> None:
        with stream:
            chunks[name] = stream.read()

    readers = [
        threading.Thread(target=read, args=(name, stream))
        for name, stream in (("out", process.stdout), ("err", process.stderr))
    ]
    for reader in readers:
        reader.start()
    for reader in readers:
        reader.join()
    return chunks["out"], chunks["err"]


def main() -> None:
    """Measure one command: `python -m bench.measure [--watch DIR] -- COMMAND...`."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--watch", type=Path, action="append", default=[])
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args()
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    result = measure(command, args.watch)
    figures = {k: v for k, v in vars(result).items() if k not in ("stdout", "stderr")}
    print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
