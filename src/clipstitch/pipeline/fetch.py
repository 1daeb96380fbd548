"""Fetch a clip's source: local paths as they are, URLs streamed to disk."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import httpx

from clipstitch.errors import CancelledError, DownloadError
from clipstitch.media.ffmpeg import Cancellation

logger = logging.getLogger(__name__)

RETRYABLE_STATUS = frozenset({408, 425, 429, 500, 502, 503, 504})
CHUNK_BYTES = 1 << 20


@dataclass(frozen=True)
class FetchSettings:
    """Timeouts, retries and the size limit of downloads."""

    connect_timeout: float = 10.0
    read_timeout: float = 30.0
    attempts: int = 4
    backoff_seconds: float = 0.5
    max_bytes: int = 4 << 30


@dataclass(frozen=True)
class FetchedClip:
    """A clip's local file; `downloaded` files are ours to delete."""

    path: Path
    downloaded: bool

    def discard(self) -> None:
        if self.downloaded:
            self.path.unlink(missing_ok=True)


def is_url(source: str) -> bool:
    return urlsplit(source).scheme in ("http", "https")


def fetch(
    source: str,
    destination: Path,
    settings: FetchSettings = FetchSettings(),
    client: httpx.Client | None = None,
    cancel: Cancellation | None = None,
) -> FetchedClip:
    """Make `source` available locally; a URL is downloaded to `destination`.

    A set `cancel` stops a download between chunks (CancelledError).
    """
    if is_url(source):
        _download(source, destination, settings, client, cancel)
        return FetchedClip(destination, downloaded=True)
    if "://" in source:
        scheme = urlsplit(source).scheme
        raise DownloadError(f"unsupported source scheme {scheme!r}")
    path = Path(source).expanduser()
    problem = local_file_problem(path)
    if problem:
        raise DownloadError(problem)
    return FetchedClip(path, downloaded=False)


def local_file_problem(path: Path) -> str | None:
    """Why `path` cannot be read as a clip, or None when it is a regular file."""
    if path.is_dir():
        return "is a folder, not a video or image file"
    if not path.exists():
        return "file not found"
    if not path.is_file():
        return "not a regular file (a device, socket or pipe)"
    return None


def _download(
    url: str,
    destination: Path,
    settings: FetchSettings,
    client: httpx.Client | None,
    cancel: Cancellation | None,
) -> None:
    own_client = client is None
    if client is None:
        timeout = httpx.Timeout(settings.read_timeout, connect=settings.connect_timeout)
        client = httpx.Client(timeout=timeout, follow_redirects=True)
    try:
        _download_with_retries(client, url, destination, settings, cancel)
    finally:
        if own_client:
            client.close()


def _download_with_retries(
    client: httpx.Client,
    url: str,
    destination: Path,
    settings: FetchSettings,
    cancel: Cancellation | None,
) -> None:
    for attempt in range(1, settings.attempts + 1):
        try:
            _stream_to_file(client, url, destination, settings.max_bytes, cancel)
            return
        except _Retryable as exc:
            destination.unlink(missing_ok=True)
            if attempt == settings.attempts:
                raise DownloadError(
                    f"download failed after {attempt} attempts: {exc}"
                ) from exc
            delay = settings.backoff_seconds * 2 ** (attempt - 1)
            logger.info(
                "download attempt %d failed (%s); retrying in %.1f s",
                attempt,
                exc,
                delay,
            )
            time.sleep(delay)
        except (DownloadError, CancelledError):
            destination.unlink(missing_ok=True)
            raise


class _Retryable(Exception):
    """A network error or a status worth another attempt."""


def _stream_to_file(
    client: httpx.Client,
    url: str,
    destination: Path,
    max_bytes: int,
    cancel: Cancellation | None,
) -> None:
    try:
        with client.stream("GET", url) as response:
            _check_status(response)
            _check_length(response, max_bytes)
            _write_body(response, destination, max_bytes, cancel)
    except httpx.TransportError as exc:
        raise _Retryable(f"{type(exc).__name__}: {exc}") from exc


def _check_status(response: httpx.Response) -> None:
    if response.status_code in RETRYABLE_STATUS:
        raise _Retryable(f"HTTP {response.status_code}")
    if response.status_code >= 400:
        raise DownloadError(f"download refused: HTTP {response.status_code}")


def _check_length(response: httpx.Response, max_bytes: int) -> None:
    stated = response.headers.get("content-length", "")
    if stated.isdigit() and int(stated) > max_bytes:
        raise DownloadError(
            f"download is {int(stated)} bytes, over the limit of {max_bytes}"
        )


def _write_body(
    response: httpx.Response,
    destination: Path,
    max_bytes: int,
    cancel: Cancellation | None,
) -> None:
    written = 0
    with destination.open("wb") as file:
        for chunk in response.iter_bytes(CHUNK_BYTES):
            if cancel is not None and cancel.is_set():
                raise CancelledError("cancelled during the download")
            written += len(chunk)
            if written > max_bytes:
                raise DownloadError(f"download exceeded the limit of {max_bytes} bytes")
            file.write(chunk)
    if written == 0:
        raise DownloadError("empty download (0 bytes)")
