"""GET /healthz: is the server up and its store reachable."""

from __future__ import annotations

from fastapi import APIRouter

from clipstitch.api.deps import ServiceDep

router = APIRouter(tags=["health"])


@router.get("/healthz")
def healthz(service: ServiceDep) -> dict[str, object]:
    """Liveness and store reachability; needs no API key."""
    return {"status": "ok", "queue_depth": service.store.ready_steps()}
