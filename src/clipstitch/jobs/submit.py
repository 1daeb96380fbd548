"""Checking a submitted composition before it is stored: sources, callback, deadline."""

from __future__ import annotations

import hashlib
import json
import time
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from clipstitch.jobs.errors import SourceRefusedError
from clipstitch.jobs.store import NewJob
from clipstitch.net.outbound import OutboundPolicy, OutboundRefusedError
from clipstitch.pipeline.fetch import local_file_problem
from clipstitch.pipeline.joins import joins_for
from clipstitch.pipeline.steps import ClipAudio, segment_key
from clipstitch.spec import Composition


class SubmitPolicy:
    """What a submitted job may point at: URLs, local folders, the S3 store."""

    def __init__(
        self,
        outbound: OutboundPolicy,
        local_roots: Sequence[Path],
        storage_url: str | None,
        default_deadline: float,
    ) -> None:
        self.outbound = outbound
        self.local_roots = [root.resolve() for root in local_roots]
        self.storage_url = storage_url.rstrip("/") if storage_url else None
        self.default_deadline = default_deadline

    def new_job(
        self,
        owner: str,
        composition: Composition,
        *,
        idempotency_key: str | None,
        callback_url: str | None,
        metadata: dict[str, Any],
        deadline_seconds: float | None,
    ) -> NewJob:
        """Check the request and turn it into a job to store."""
        for index, clip in enumerate(composition.clips):
            if clip.source is not None:
                self.check_source(index, clip.source)
        self.check_assets(composition)
        if callback_url:
            self._check_url("callback_url", callback_url)
        spec = composition.model_dump(mode="json")
        request = {
            "composition": spec,
            "callback_url": callback_url,
            "metadata": metadata,
            "deadline_seconds": deadline_seconds,
        }
        digest = hashlib.sha256(json.dumps(request, sort_keys=True).encode())
        return NewJob(
            owner=owner,
            idempotency_key=idempotency_key,
            request_hash=digest.hexdigest(),
            composition=spec,
            callback_url=callback_url,
            metadata=metadata,
            deadline_at=time.time() + (deadline_seconds or self.default_deadline),
            cache_keys=_cache_keys(composition, scope=uuid.uuid4().hex),
        )

    def check_source(self, index: int, source: str) -> None:
        """Refuse a clip source the server must not read."""
        self._check(f"clip {index}", source, s3=True)

    def check_assets(self, composition: Composition) -> None:
        """Refuse music, overlay and subtitle sources the server must not read.

        They are fetched at the join, where s3:// sources are not localized.
        """
        for what, source in composition.asset_sources():
            self._check(what, source, s3=False)

    def _check(self, what: str, source: str, *, s3: bool) -> None:
        scheme = urlsplit(source).scheme
        if scheme in ("http", "https"):
            self._check_url(what, source)
        elif scheme == "s3" and s3:
            self._check_s3(what, source)
        elif "://" in source:
            raise SourceRefusedError(f"{what}: scheme {scheme!r} is not supported")
        else:
            self._check_local(what, source)

    def _check_url(self, what: str, url: str) -> None:
        try:
            self.outbound.check_url(url)
        except OutboundRefusedError as exc:
            raise SourceRefusedError(f"{what}: {exc}") from exc

    def _check_s3(self, what: str, source: str) -> None:
        if self.storage_url is None or not source.startswith(self.storage_url + "/"):
            raise SourceRefusedError(
                f"{what}: s3:// sources must be under the storage URL"
            )

    def _check_local(self, what: str, source: str) -> None:
        path = Path(source).resolve()
        if not any(path.is_relative_to(root) for root in self.local_roots):
            raise SourceRefusedError(
                f"{what}: local paths are refused outside the allowed folders"
            )
        problem = local_file_problem(path)
        if problem:
            raise SourceRefusedError(f"{what} ({source}): {problem}")


def _cache_keys(composition: Composition, scope: str) -> list[str]:
    """Each clip's segment key; `scope` is this job's own, for remote sources."""
    return [
        segment_key(
            clip,
            composition.output,
            ClipAudio.of(composition, index),
            joins_for(composition, index),
            scope,
        )
        for index, clip in enumerate(composition.clips)
    ]
