"""Memory per job: ffmpeg processes are counted under the owner that started them."""

from __future__ import annotations

import threading
import time

from clipstitch.media.ffmpeg import run_ffmpeg
from clipstitch.media.processes import PROCESS_OWNER, owned_processes
from clipstitch.pipeline.memory import rss_by_owner

# Read in real time (-re): about two seconds of light work, long enough to sample.
SLOW_SOURCE = ["-re", "-f", "lavfi", "-i", "testsrc2=size=160x120:rate=10:duration=2"]


def _encode(owner: str | None) -> None:
    if owner is not None:
        PROCESS_OWNER.set(owner)
    run_ffmpeg([*SLOW_SOURCE, "-f", "null", "-"])


def test_ffmpeg_memory_is_counted_under_its_owner() -> None:
    threads = [
        threading.Thread(target=_encode, args=(owner,)) for owner in ("job-a", None)
    ]
    for thread in threads:
        thread.start()
    time.sleep(1.0)
    owners = owned_processes()
    sampled = rss_by_owner(owners)
    for thread in threads:
        thread.join()

    assert list(owners.values()) == ["job-a"]  # the ownerless encode is not listed
    assert sampled["job-a"] > 5 << 20  # a running ffmpeg holds megabytes
    assert owned_processes() == {}  # finished processes are forgotten
