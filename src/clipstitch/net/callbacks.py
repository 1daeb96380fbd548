"""Deliver one signed callback; the caller keeps the schedule of retries.

Works with Trigger.dev waitpoint-token URLs: the body is sent with a Content-Length
(never chunked), is at most 3 MB, and the URL itself, a credential, is never logged
whole.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from enum import StrEnum
from urllib.parse import urlsplit

import httpx

from clipstitch.net.outbound import OutboundPolicy, OutboundRefusedError, SafeTransport
from clipstitch.net.signing import SIGNATURE_HEADER, sign

logger = logging.getLogger(__name__)

MAX_BODY_BYTES = 3_000_000
RETRY_STATUS = frozenset({408, 425, 429})


class Outcome(StrEnum):
    """What one delivery attempt means for the next."""

    DELIVERED = "delivered"  # 2xx: done
    RETRY = "retry"  # network error, timeout, 5xx, 408/425/429: try again later
    REFUSED = "refused"  # other 3xx/4xx, or the URL is not allowed: give up


@dataclass(frozen=True)
class Attempt:
    """The result of one POST."""

    outcome: Outcome
    detail: str


def redact_url(url: str) -> str:
    """The URL without its path and query, which may carry a token."""
    parts = urlsplit(url)
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{parts.hostname}{port}/…"


def callback_client(policy: OutboundPolicy, timeout: float) -> httpx.Client:
    """A client for callbacks: outbound policy enforced, redirects not followed."""
    return httpx.Client(
        transport=SafeTransport(policy, httpx.HTTPTransport()),
        timeout=httpx.Timeout(timeout),
        follow_redirects=False,
    )


def deliver(
    client: httpx.Client, url: str, body: bytes, secret: bytes, event_id: str
) -> Attempt:
    """POST the body to the callback URL once, signed."""
    if len(body) > MAX_BODY_BYTES:  # callback_body trims warnings before this
        return Attempt(Outcome.REFUSED, f"body of {len(body)} bytes is over 3 MB")
    headers = {
        "Content-Type": "application/json",
        SIGNATURE_HEADER: sign(secret, body),
        "Idempotency-Key": event_id,
        "User-Agent": "clipstitch-callback/1",
    }
    try:
        response = client.post(url, content=body, headers=headers)
    except OutboundRefusedError as exc:
        return Attempt(Outcome.REFUSED, str(exc))
    except httpx.HTTPError as exc:
        return Attempt(Outcome.RETRY, f"{type(exc).__name__}")
    return _judge(response.status_code)


def _judge(status: int) -> Attempt:
    if 200 <= status < 300:
        return Attempt(Outcome.DELIVERED, f"HTTP {status}")
    if status >= 500 or status in RETRY_STATUS:
        return Attempt(Outcome.RETRY, f"HTTP {status}")
    return Attempt(Outcome.REFUSED, f"HTTP {status}")
