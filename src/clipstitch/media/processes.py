"""Which job each running ffmpeg and ffprobe belongs to, so memory is counted per job.

A caller names the owner of the processes it is about to start by setting
`PROCESS_OWNER` in its context (the service sets a job id in each step's thread);
`owned_processes()` then maps every live process id to its owner.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from subprocess import Popen
from typing import Any

PROCESS_OWNER: ContextVar[str | None] = ContextVar("process_owner", default=None)

_owners: dict[int, str] = {}
_lock = threading.Lock()


@contextmanager
def owned(process: Popen[Any]) -> Iterator[Popen[Any]]:
    """Count `process` under the context's owner, if any, while it runs."""
    owner = PROCESS_OWNER.get()
    if owner is None:
        yield process
        return

    with _lock:
        _owners[process.pid] = owner
    try:
        yield process
    finally:
        with _lock:
            _owners.pop(process.pid, None)


def owned_processes() -> dict[int, str]:
    """Process id -> owner of every running process started under an owner."""
    with _lock:
        return dict(_owners)
