"""Outbound safety: which addresses downloads and callbacks may reach (no SSRF).

Every request made through `safe_client` is checked hop by hop: the host name is
resolved, every address it resolves to must be public (or allowlisted), and the
connection is made to the address that was checked, so a DNS answer cannot change
between the check and the connect.
"""

from __future__ import annotations

import ipaddress
import logging
import socket
from collections.abc import Iterable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import httpx

from clipstitch.errors import ClipstitchError

logger = logging.getLogger(__name__)

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
SCHEMES = frozenset({"http", "https"})
DEFAULT_PORTS = {"http": 80, "https": 443}
# Cloud metadata services that are public-looking or need naming explicitly.
METADATA_HOSTS = frozenset({"metadata.google.internal", "metadata", "instance-data"})


class OutboundRefusedError(ClipstitchError, ValueError):
    """A URL points where the service must not connect."""


@dataclass(frozen=True)
class AllowRule:
    """An allowlisted network (or host name), optionally on one port only."""

    network: IPNetwork | None
    host: str | None
    port: int | None

    @classmethod
    def parse(cls, text: str) -> AllowRule:
        """Parse `10.0.0.0/8`, `127.0.0.1:9000`, `[::1]:80` or `media.local`."""
        address, port = _split_port(text.strip())
        try:
            return cls(ipaddress.ip_network(address, strict=False), None, port)
        except ValueError:
            return cls(None, address.lower(), port)

    def admits(self, host: str, address: IPAddress, port: int) -> bool:
        if self.port is not None and self.port != port:
            return False
        if self.host is not None:
            return self.host == host.lower()
        return self.network is not None and address in self.network


@dataclass(frozen=True)
class OutboundPolicy:
    """Where outbound requests may go."""

    allow: tuple[AllowRule, ...] = field(default=())

    @classmethod
    def from_strings(cls, rules: Iterable[str]) -> OutboundPolicy:
        return cls(tuple(AllowRule.parse(rule) for rule in rules if rule.strip()))

    def check_url(self, url: str) -> list[IPAddress]:
        """Resolve the URL's host; raise OutboundRefusedError unless all is allowed."""
        parts = urlsplit(url)
        if parts.scheme not in SCHEMES:
            raise OutboundRefusedError(
                f"{_redact(url)}: only http and https are allowed"
            )
        host = parts.hostname
        if not host:
            raise OutboundRefusedError(f"{_redact(url)}: no host")
        port = parts.port or DEFAULT_PORTS[parts.scheme]
        if host.lower() in METADATA_HOSTS:
            raise OutboundRefusedError(f"{host}: cloud metadata hosts are refused")
        addresses = resolve(host, port)
        for address in addresses:
            self.check_address(host, address, port)
        return addresses

    def check_address(self, host: str, address: IPAddress, port: int) -> None:
        """Refuse non-public addresses and metadata hosts unless allowlisted."""
        if any(rule.admits(host, address, port) for rule in self.allow):
            return
        if not _is_public(address):
            raise OutboundRefusedError(
                f"{host} resolves to {address}, a {_kind(address)} address; refused"
            )


def resolve(host: str, port: int) -> list[IPAddress]:
    """Every address a host name resolves to (an IP literal resolves to itself)."""
    try:
        return [ipaddress.ip_address(host.strip("[]"))]
    except ValueError:
        pass
    try:
        answers = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise OutboundRefusedError(f"{host}: cannot be resolved ({exc})") from exc
    return list(
        dict.fromkeys(ipaddress.ip_address(str(answer[4][0])) for answer in answers)
    )


def _is_public(address: IPAddress) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        return _is_public(address.ipv4_mapped)
    return address.is_global and not address.is_multicast


def _kind(address: IPAddress) -> str:
    if address.is_loopback:
        return "loopback"
    if address.is_link_local:
        return "link-local (cloud metadata)"
    if address.is_private:
        return "private"
    return "non-public"


def _split_port(text: str) -> tuple[str, int | None]:
    if text.startswith("["):
        address, _, rest = text[1:].partition("]")
        return address, int(rest[1:]) if rest.startswith(":") else None
    if text.count(":") == 1:
        address, _, port = text.partition(":")
        return address, int(port)
    return text, None


def _redact(url: str) -> str:
    parts = urlsplit(url)
    if not parts.scheme:
        return "URL"
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{parts.hostname or ''}{port}/…"


class SafeTransport(httpx.BaseTransport):
    """An httpx transport that checks each request and connects to the checked IP."""

    def __init__(self, policy: OutboundPolicy, inner: httpx.BaseTransport) -> None:
        self.policy = policy
        self.inner = inner

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        url = str(request.url)
        address = self.policy.check_url(url)[0]
        host = request.url.host
        pinned = request.url.copy_with(host=str(address))
        request.url = pinned
        request.headers["Host"] = _host_header(request, host)
        if request.url.scheme == "https":
            request.extensions = {**request.extensions, "sni_hostname": host}
        return self.inner.handle_request(request)

    def close(self) -> None:
        self.inner.close()


def _host_header(request: httpx.Request, host: str) -> str:
    port = request.url.port
    return host if port is None else f"{host}:{port}"


class RedactUrls(logging.Filter):
    """Cuts URLs in httpx's request log lines down to scheme and host."""

    def filter(self, record: logging.LogRecord) -> bool:
        if str(record.msg).startswith("HTTP Request:") and isinstance(
            record.args, tuple
        ):
            record.args = tuple(
                _redact(str(arg)) if isinstance(arg, httpx.URL) else arg
                for arg in record.args
            )
        return True


# Presigned download URLs and Trigger.dev waitpoint URLs are credentials; httpx
# logs every request URL whole at INFO, so its log lines are redacted here.
logging.getLogger("httpx").addFilter(RedactUrls())


def safe_client(
    policy: OutboundPolicy, *, timeout: float, max_redirects: int = 5
) -> httpx.Client:
    """An httpx client whose every hop, redirects included, obeys the policy."""
    return httpx.Client(
        transport=SafeTransport(policy, httpx.HTTPTransport()),
        timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0)),
        follow_redirects=True,
        max_redirects=max_redirects,
    )
