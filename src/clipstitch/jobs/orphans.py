"""Stop ffmpeg processes left behind by a runner that was killed (kill -9).

ffmpeg runs in its own session, so it outlives a killed server. Every step folder
holds the pid of the runner that made it; a process working in a folder whose
runner is gone is an orphan.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

import psutil

logger = logging.getLogger(__name__)

OWNER_FILE = ".runner-pid"


def mark_owner(step_dir: Path) -> None:
    """Record this process as the owner of a step folder."""
    (step_dir / OWNER_FILE).write_text(str(os.getpid()))


def reap_orphans(work_dir: Path) -> int:
    """Kill processes working under `work_dir` for a runner that no longer exists."""
    root = str(work_dir.resolve())
    killed = 0
    for process in psutil.process_iter(["pid", "cmdline"]):
        step_dir = _step_dir(process.info.get("cmdline") or [], root)
        if step_dir is None or _owner_alive(step_dir):
            continue
        try:
            process.kill()
            killed += 1
            logger.warning("killed orphan process %d in %s", process.pid, step_dir)
        except psutil.Error:
            continue
    return killed


def _step_dir(arguments: list[str], root: str) -> Path | None:
    for argument in arguments:
        if argument.startswith(root + os.sep):
            relative = Path(argument).relative_to(root).parts
            if len(relative) >= 2:
                return Path(root, relative[0], relative[1])
    return None


def _owner_alive(step_dir: Path) -> bool:
    try:
        pid = int((step_dir / OWNER_FILE).read_text())
    except (OSError, ValueError):
        return False
    return pid != os.getpid() and psutil.pid_exists(pid)
