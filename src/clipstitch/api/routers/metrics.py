"""GET /metrics in Prometheus' text format."""

from __future__ import annotations

from fastapi import APIRouter, Response
from prometheus_client import CONTENT_TYPE_LATEST

from clipstitch.api.deps import OwnerDep, ServiceDep

router = APIRouter(tags=["metrics"])


@router.get("/metrics", response_class=Response)
def metrics(service: ServiceDep, _owner: OwnerDep) -> Response:
    """Jobs by status, queue depth, step durations, memory."""
    return Response(service.metrics.render(), media_type=CONTENT_TYPE_LATEST)
