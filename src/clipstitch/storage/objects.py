"""Object storage through obstore: a local folder by default, or an S3 bucket."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import obstore
from obstore.store import LocalStore, S3Store

from clipstitch.errors import ClipstitchError

logger = logging.getLogger(__name__)

PART_BYTES = 8 * 1024 * 1024
UPLOAD_CONCURRENCY = 4


class StorageError(ClipstitchError):
    """Reading or writing an object failed."""


class ObjectStorage:
    """Put, get, sign and delete objects by key, whatever the backend."""

    def __init__(
        self,
        store: Any,
        *,
        local_root: Path | None,
        presign: timedelta,
        url: str | None = None,
    ) -> None:
        self.store = store
        self.url = url
        self.local_root = local_root
        self.presign = presign

    @classmethod
    def local(cls, root: Path) -> ObjectStorage:
        """Objects as files under `root`."""
        root.mkdir(parents=True, exist_ok=True)
        store = LocalStore(root.resolve(), mkdir=True)
        return cls(store, local_root=root.resolve(), presign=timedelta(hours=1))

    @classmethod
    def s3(
        cls,
        url: str,
        *,
        endpoint: str | None,
        region: str,
        access_key_id: str | None,
        secret_access_key: str | None,
        presign: timedelta,
    ) -> ObjectStorage:
        """Objects in the bucket (and prefix) of an s3://bucket/prefix URL."""
        parts = urlsplit(url)
        config: dict[str, Any] = {"region": region}
        if endpoint:
            config["endpoint"] = endpoint
            config["virtual_hosted_style_request"] = False
        if access_key_id and secret_access_key:
            config["access_key_id"] = access_key_id
            config["secret_access_key"] = secret_access_key
        store = S3Store(
            parts.netloc,
            prefix=parts.path.strip("/") or None,
            client_options={
                "allow_http": bool(endpoint and endpoint.startswith("http:"))
            },
            **config,
        )
        return cls(store, local_root=None, presign=presign, url=url.rstrip("/"))

    def key_of(self, source: str) -> str | None:
        """The key of an s3:// source inside this store, or None if outside it."""
        if self.url is None or not source.startswith(self.url + "/"):
            return None
        return source[len(self.url) + 1 :]

    def upload(self, key: str, path: Path) -> int:
        """Upload a file (multipart when large); the object appears whole or not."""
        size = path.stat().st_size
        try:
            obstore.put(
                self.store,
                key,
                path,
                chunk_size=PART_BYTES,
                max_concurrency=UPLOAD_CONCURRENCY,
            )
        except Exception as exc:
            raise StorageError(f"upload of {key} failed: {exc}") from exc
        logger.info("uploaded %s (%d bytes)", key, size)
        return size

    def download(self, key: str, destination: Path) -> None:
        """Stream an object into a local file."""
        try:
            result = obstore.get(self.store, key)
            with destination.open("wb") as file:
                for chunk in result.stream(min_chunk_size=PART_BYTES):
                    file.write(chunk)
        except Exception as exc:
            destination.unlink(missing_ok=True)
            raise StorageError(f"download of {key} failed: {exc}") from exc

    def stream(self, key: str) -> Iterator[bytes]:
        """The object's bytes in chunks."""
        try:
            result = obstore.get(self.store, key)
        except Exception as exc:
            raise StorageError(f"reading {key} failed: {exc}") from exc
        for chunk in result.stream(min_chunk_size=PART_BYTES):
            yield bytes(chunk)

    def local_path(self, key: str) -> Path | None:
        """The file behind a key for local storage; None for remote stores."""
        return None if self.local_root is None else self.local_root / key

    def presigned_url(self, key: str) -> str:
        """A time-limited GET URL for a remote object."""
        try:
            return str(obstore.sign(self.store, "GET", key, self.presign))
        except Exception as exc:
            raise StorageError(f"signing {key} failed: {exc}") from exc

    def delete(self, key: str) -> None:
        """Remove an object if it exists."""
        try:
            obstore.delete(self.store, key)
        except FileNotFoundError:
            return
        except Exception as exc:
            raise StorageError(f"deleting {key} failed: {exc}") from exc

    def size(self, key: str) -> int | None:
        """The object's size, or None when it does not exist."""
        try:
            return int(obstore.head(self.store, key)["size"])
        except FileNotFoundError:
            return None
