"""What the sync and async clients share: request bodies and response checks."""

from __future__ import annotations

from typing import Any

import httpx

from clipstitch.client.errors import ApiError
from clipstitch.jobs.views import JobView
from clipstitch.spec import Composition

DEFAULT_TIMEOUT = 30.0
USER_AGENT = "clipstitch-client/1"


def headers(api_key: str | None) -> dict[str, str]:
    """Headers sent with every request."""
    values = {"User-Agent": USER_AGENT}
    if api_key:
        values["Authorization"] = f"Bearer {api_key}"
    return values


def submit_body(
    composition: Composition | dict[str, Any],
    callback_url: str | None,
    metadata: dict[str, Any] | None,
    deadline_seconds: float | None,
) -> dict[str, Any]:
    """The JSON body of POST /v1/compositions."""
    spec = (
        composition.model_dump(mode="json", exclude_defaults=True)
        if isinstance(composition, Composition)
        else dict(composition)
    )
    extras = {
        "callback_url": callback_url,
        "metadata": metadata,
        "deadline_seconds": deadline_seconds,
    }
    return {**spec, **{name: value for name, value in extras.items() if value}}


def idempotency_headers(key: str | None) -> dict[str, str]:
    return {"Idempotency-Key": key} if key else {}


def checked(response: httpx.Response) -> httpx.Response:
    """The response, or ApiError for an error status."""
    if response.is_error:
        raise ApiError(response)
    return response


def job(response: httpx.Response) -> JobView:
    """The job in a successful response."""
    return JobView.model_validate_json(checked(response).content)
