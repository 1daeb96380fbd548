"""The FastAPI application: assembles settings, service, routers and error handlers.

Run it with `clipstitch serve`, or `uvicorn --factory clipstitch.api.main:create_app`.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI

from clipstitch.api import errors
from clipstitch.api.routers import compositions, health, metrics
from clipstitch.api.service import Engine, Service
from clipstitch.jobs.settings import ServiceSettings

logger = logging.getLogger(__name__)

API_PREFIX = "/v1"


def create_app(
    settings: ServiceSettings | None = None, engine: Engine = "embedded"
) -> FastAPI:
    """The clipstitch API, with its runner started and stopped by the lifespan."""
    service = Service.build(settings or ServiceSettings(), engine)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        service.runner.start()
        try:
            yield
        finally:
            service.runner.stop()

    app = FastAPI(
        title="clipstitch",
        summary="Compose many clips into one video, as a job.",
        version="1",
        lifespan=lifespan,
    )
    app.state.service = service
    v1 = APIRouter(prefix=API_PREFIX)
    v1.include_router(compositions.router)
    app.include_router(v1)
    app.include_router(health.router)
    app.include_router(metrics.router)
    errors.install(app)
    return app
