"""Sources: http(s) downloads, and files that are really playlists."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from clipstitch import ClipError, Composition, DownloadError, compose
from clipstitch.pipeline.fetch import FetchSettings
from conftest import SMALL
from media_checks import N00_DURATION, durations


class _QuietHandler(SimpleHTTPRequestHandler):
    requested: list[str]

    def log_message(self, format: str, *args: Any) -> None:
        self.requested.append(self.path)


@pytest.fixture
def http_folder(tmp_path: Path) -> Iterator[tuple[str, Path, list[str]]]:
    """A local web server on 127.0.0.1: (base URL, folder it serves, paths asked)."""
    folder = tmp_path.parent / f"{tmp_path.name}-served"
    folder.mkdir()
    requested: list[str] = []
    handler = type("Handler", (_QuietHandler,), {"requested": requested})
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(handler, directory=folder))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", folder, requested
    server.shutdown()
    server.server_close()


def test_http_source_is_downloaded(
    http_folder: tuple[str, Path, list[str]], n00: Path, tmp_path: Path
) -> None:
    base, folder, _ = http_folder
    (folder / "n00.mp4").write_bytes(n00.read_bytes())
    clips = [f"{base}/n00.mp4", str(n00)]
    result = compose(Composition(clips=clips, output=SMALL), tmp_path / "o.mp4")
    assert durations(result.output).video == pytest.approx(2 * N00_DURATION)
    assert not list(tmp_path.glob(".clipstitch-*")), "downloads left behind"


def test_missing_download_names_the_clip(
    http_folder: tuple[str, Path, list[str]], n00: Path, tmp_path: Path
) -> None:
    url = f"{http_folder[0]}/missing.mp4"
    with pytest.raises(DownloadError, match="404") as caught:
        compose(Composition(clips=[str(n00), url], output=SMALL), tmp_path / "o.mp4")
    assert (caught.value.index, caught.value.source) == (1, url)
    assert list(tmp_path.iterdir()) == []


def test_download_over_the_size_limit_is_refused(
    http_folder: tuple[str, Path, list[str]], n00: Path, tmp_path: Path
) -> None:
    base, folder, _ = http_folder
    (folder / "n00.mp4").write_bytes(n00.read_bytes())
    composition = Composition(clips=[f"{base}/n00.mp4"], output=SMALL)
    with pytest.raises(DownloadError, match="limit") as caught:
        compose(
            composition,
            tmp_path / "o.mp4",
            fetch_settings=FetchSettings(max_bytes=10_000),
        )
    assert caught.value.index == 0
    assert list(tmp_path.iterdir()) == []


# name -> a playlist that points at `{target}`
PLAYLISTS = {
    "hls": "#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXTINF:1.0,\n{target}\n#EXT-X-ENDLIST\n",
    "ffconcat": "ffconcat version 1.0\nfile '{target}'\n",
}


class _OpenWatch:
    """Notices whether anything opens a FIFO for reading while it watches."""

    def __init__(self, fifo: Path) -> None:
        self.fifo = fifo
        self.opened = False
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)

    def __enter__(self) -> _OpenWatch:
        os.mkfifo(self.fifo)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _watch(self) -> None:
        while not self._stop.wait(0.005):
            try:  # succeeds only while a reader has the FIFO open
                os.close(os.open(self.fifo, os.O_WRONLY | os.O_NONBLOCK))
            except OSError:
                continue
            self.opened = True


@pytest.mark.timeout(60)
@pytest.mark.parametrize("kind", sorted(PLAYLISTS))
def test_playlist_disguised_as_mp4_opens_nothing(
    kind: str, n00: Path, tmp_path: Path
) -> None:
    fake = tmp_path / "holiday.mp4"
    with _OpenWatch(tmp_path / "secret.ts") as watch:
        fake.write_text(PLAYLISTS[kind].format(target=watch.fifo))
        with pytest.raises(ClipError) as caught:
            compose([str(n00), str(fake)], tmp_path / "o.mp4")
    assert (caught.value.index, caught.value.source) == (1, str(fake))
    assert not watch.opened, "ffmpeg opened the file the playlist names"


@pytest.mark.parametrize("kind", sorted(PLAYLISTS))
def test_playlist_pointing_at_a_url_fetches_nothing(
    kind: str, http_folder: tuple[str, Path, list[str]], n00: Path, tmp_path: Path
) -> None:
    base, folder, requested = http_folder
    (folder / "secret.mp4").write_bytes(n00.read_bytes())
    fake = tmp_path / "holiday.mp4"
    fake.write_text(PLAYLISTS[kind].format(target=f"{base}/secret.mp4"))
    with pytest.raises(ClipError):
        compose([str(n00), str(fake)], tmp_path / "o.mp4")
    assert requested == []
