"""POST /v1/compositions?dry_run=true: the plan, and no job queued."""

from __future__ import annotations

from pathlib import Path

from service.conftest import ServerFactory
from service.helpers import SMALL_OUTPUT


def test_dry_run_returns_the_plan_and_queues_nothing(
    start_server: ServerFactory, clips: Path
) -> None:
    server = start_server()
    spec = {"clips": [str(clips / "c0.mp4"), str(clips / "c1.mp4")],
            "output": SMALL_OUTPUT}  # fmt: skip
    with server.client() as client:
        planned = client.post("/v1/compositions?dry_run=true", json=spec)
        listed = client.get("/v1/compositions").json()
    assert planned.status_code == 200, planned.text
    plan = planned.json()
    assert [clip["action"] for clip in plan["clips"]] == ["re-encode", "re-encode"]
    assert plan["peak_memory_bytes"] > 0 and plan["wall_seconds"] > 0
    assert any(machine["fits"] for machine in plan["machines"])
    assert listed["total"] == 0


def test_dry_run_refuses_what_a_submit_refuses(start_server: ServerFactory) -> None:
    server = start_server()
    spec = {"clips": ["/etc/passwd"], "output": SMALL_OUTPUT}
    with server.client() as client:
        planned = client.post("/v1/compositions?dry_run=true", json=spec)
    assert planned.status_code == 422, planned.text
    assert "clip 0" in planned.json()["detail"]
