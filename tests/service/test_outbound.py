"""SSRF refusals: private addresses, redirects to them, names resolving to loopback."""

from __future__ import annotations

import pytest

from clipstitch.net.outbound import OutboundPolicy, OutboundRefusedError
from service.conftest import ServerFactory
from service.helpers import SMALL_OUTPUT, Peer, free_port, wait_finished

REFUSED = [
    ("http://10.0.0.1/a.mp4", "private"),
    ("http://169.254.169.254/latest/meta-data", "link-local"),
    ("http://[::1]:9/a.mp4", "loopback"),
    ("http://metadata.google.internal/a.mp4", "cloud metadata"),
    ("file:///etc/passwd", "not supported"),
    ("/etc/passwd", "local paths are refused"),
]


def test_submit_refuses(start_server: ServerFactory) -> None:
    server = start_server()
    with server.client() as client:
        for source, words in REFUSED:
            answer = client.post(
                "/v1/compositions", json={"clips": [source], "output": SMALL_OUTPUT}
            )
            assert answer.status_code == 422, source
            assert words in answer.json()["detail"], source


def test_name_resolving_to_loopback_refused(
    start_server: ServerFactory, media: Peer
) -> None:
    server = start_server(CLIPSTITCH_OUTBOUND_ALLOW=f"127.0.0.1:{media.port}")
    spec = {"clips": [f"http://localhost:{free_port()}/c0.mp4"], "output": SMALL_OUTPUT}
    callback = {
        "clips": [f"{media.url}/c0.mp4"],
        "callback_url": f"http://localhost:{free_port()}/hook",
    }
    with server.client() as client:
        refused = client.post("/v1/compositions", json=spec)
        refused_callback = client.post("/v1/compositions", json=callback)
    assert refused.status_code == 422
    assert "loopback" in refused.json()["detail"]
    assert refused_callback.status_code == 422
    assert "callback_url" in refused_callback.json()["detail"]


def test_allowed_download_works_and_redirect_hops_are_checked(
    start_server: ServerFactory, media: Peer
) -> None:
    server = start_server(CLIPSTITCH_OUTBOUND_ALLOW=f"127.0.0.1:{media.port}")
    hidden = f"http://127.0.0.1:{free_port()}/c0.mp4"
    redirect = f"{media.url}/redirect?to={hidden}"
    hop = f"{media.url}/redirect?to={media.url}/c1.mp4"
    fine = {"clips": [f"{media.url}/c0.mp4", hop], "output": SMALL_OUTPUT}
    sneaky = {"clips": [f"{media.url}/c0.mp4", redirect], "output": SMALL_OUTPUT}
    with server.client() as client:
        good = wait_finished(
            client, client.post("/v1/compositions", json=fine).json()["id"]
        )
        accepted = client.post("/v1/compositions", json=sneaky)
        assert accepted.status_code == 202
        bad = wait_finished(client, accepted.json()["id"])
    assert good["status"] == "succeeded", good
    assert bad["status"] == "failed"
    assert bad["error"]["clip_index"] == 1
    assert bad["error"]["source"] == redirect
    assert "loopback" in bad["error"]["reason"]


def test_policy_rules() -> None:
    policy = OutboundPolicy.from_strings(["10.1.0.0/16", "127.0.0.1:8080"])
    assert policy.check_url("http://10.1.2.3/x")
    assert policy.check_url("http://127.0.0.1:8080/x")
    for url in ("http://127.0.0.1:8081/", "http://10.2.0.1/", "http://[::ffff:10.0.0.1]/",
                "http://100.64.0.1/", "ftp://example.com/"):  # fmt: skip
        with pytest.raises(OutboundRefusedError):
            policy.check_url(url)
