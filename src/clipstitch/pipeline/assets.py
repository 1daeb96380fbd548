"""The files overlays need at the join: logo images fetched, subtitles rewritten."""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx

from clipstitch.errors import ClipError, DownloadError
from clipstitch.media.ffmpeg import Cancellation
from clipstitch.media.overlay import Overlays
from clipstitch.media.subtitles import read_cues, write_ass
from clipstitch.pipeline.fetch import FetchedClip, FetchSettings, fetch, is_url
from clipstitch.spec import OutputSettings


@contextlib.contextmanager
def overlay_files(
    overlays: Overlays | None,
    workdir: Path,
    output: OutputSettings,
    settings: FetchSettings,
    client: httpx.Client | None = None,
    cancel: Cancellation | None = None,
) -> Iterator[Overlays | None]:
    """`overlays` with their files ready in `workdir`; all removed afterwards."""
    if overlays is None:
        yield None
        return
    fetched: list[FetchedClip] = []
    script = workdir / f".{_tag('subtitles')}.ass"
    try:
        files = {}
        for source in overlays.sources():
            fetched.append(_fetch(source, workdir, settings, client, cancel))
            files[source] = fetched[-1].path
        subtitle_script = None
        if overlays.subtitles is not None:
            subtitles = _fetch(
                overlays.subtitles.source, workdir, settings, client, cancel
            )
            fetched.append(subtitles)
            frame = (output.width, output.height)
            cues = read_cues(subtitles.path)
            subtitle_script = write_ass(cues, script, frame, overlays.subtitles.size)
        yield overlays.with_files(files, subtitle_script)
    finally:
        for item in fetched:
            item.discard()
        script.unlink(missing_ok=True)


def _fetch(
    source: str,
    workdir: Path,
    settings: FetchSettings,
    client: httpx.Client | None,
    cancel: Cancellation | None,
) -> FetchedClip:
    suffix = Path(urlsplit(source).path).suffix[:8] if is_url(source) else ""
    try:
        return fetch(
            source,
            workdir / f".overlay-{_tag(source)}{suffix}",
            settings,
            client,
            cancel=cancel,
        )
    except ClipError as exc:
        raise DownloadError(f"overlay {source}: {exc.reason}") from exc


def _tag(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:12]
