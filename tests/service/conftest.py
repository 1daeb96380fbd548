"""Fixtures of the service tests: synthetic clips, servers, local peers, SeaweedFS."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from service.helpers import Peer, Server, kill_orphans, make_clip, media_host

REAL_CLIPS = Path(__file__).resolve().parents[3] / "shared" / "media" / "clips"


@pytest.fixture(scope="session")
def clips(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """c0..c2: 1 s 320x240 clips; long.mp4: 8 s, for work that must take a while."""
    folder = tmp_path_factory.mktemp("clips")
    for index in range(3):
        make_clip(folder / f"c{index}.mp4", 1, tone=440 + 110 * index)
    make_clip(folder / "long.mp4", 8, tone=330)
    return folder


@pytest.fixture
def media(clips: Path) -> Iterator[Peer]:
    host = media_host(clips)
    yield host
    host.close()


ServerFactory = Callable[..., Server]


@pytest.fixture
def start_server(tmp_path: Path, clips: Path) -> Iterator[ServerFactory]:
    """Start servers sharing one data folder; all are stopped at the end."""
    started: list[Server] = []
    data_dir = tmp_path / "data"

    def start(**env: str) -> Server:
        settings = {"CLIPSTITCH_LOCAL_SOURCE_ROOTS": f"{clips},{REAL_CLIPS}", **env}
        server = Server(data_dir, settings).start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()
    kill_orphans(data_dir)
