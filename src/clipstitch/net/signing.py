"""HMAC-SHA256 signatures of callback bodies: `Clipstitch-Signature: t=..,v1=..`."""

from __future__ import annotations

import hashlib
import hmac
import time

SIGNATURE_HEADER = "Clipstitch-Signature"
DEFAULT_TOLERANCE_SECONDS = 300


class SignatureError(ValueError):
    """A callback's signature is missing, malformed, stale or wrong."""


def sign(secret: bytes | str, body: bytes, timestamp: int | None = None) -> str:
    """The header value signing `body` at `timestamp` (now by default)."""
    moment = int(time.time()) if timestamp is None else timestamp
    return f"t={moment},v1={_digest(secret, moment, body)}"


def verify(
    secret: bytes | str,
    header: str,
    body: bytes,
    *,
    tolerance: float = DEFAULT_TOLERANCE_SECONDS,
    now: float | None = None,
) -> int:
    """Check a signature header for `body`; returns its timestamp."""
    fields = dict(part.split("=", 1) for part in header.split(",") if "=" in part)
    if "t" not in fields or "v1" not in fields or not fields["t"].isdigit():
        raise SignatureError("malformed signature header")
    moment = int(fields["t"])
    if abs((time.time() if now is None else now) - moment) > tolerance:
        raise SignatureError("signature timestamp outside the tolerance")
    if not hmac.compare_digest(fields["v1"], _digest(secret, moment, body)):
        raise SignatureError("signature does not match the body")
    return moment


def _digest(secret: bytes | str, timestamp: int, body: bytes) -> str:
    # The timestamp is signed with the body so a captured request cannot be
    # replayed later with a fresh timestamp. A text secret (as stored in the
    # callback-secret file) is its UTF-8 bytes.
    key = secret.encode() if isinstance(secret, str) else secret
    message = str(timestamp).encode() + b"." + body
    return hmac.new(key, message, hashlib.sha256).hexdigest()
