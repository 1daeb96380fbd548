"""`clipstitch worker --engine temporal`: a scale-out worker process."""

from __future__ import annotations

import asyncio
import logging
import os
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from clipstitch.jobs.settings import CONFIG_FILE_VARIABLE


class WorkerEngine(StrEnum):
    """Engines that run separate worker processes."""

    TEMPORAL = "temporal"


def worker(
    engine: Annotated[
        WorkerEngine, typer.Option(help="The durable-execution engine to work for.")
    ] = WorkerEngine.TEMPORAL,
    config: Annotated[
        Path | None, typer.Option(help="TOML settings file (CLIPSTITCH_CONFIG).")
    ] = None,
) -> None:
    """Run clip and join steps of any job, within this worker's memory budget."""
    from clipstitch.jobs.settings import ServiceSettings
    from clipstitch.temporal.settings import TemporalSettings
    from clipstitch.temporal.worker import run_worker

    if config is not None:
        os.environ[CONFIG_FILE_VARIABLE] = str(config)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    root = logging.getLogger()
    root.setLevel(min(root.level, logging.INFO))  # one line per step, at least
    asyncio.run(run_worker(ServiceSettings(), TemporalSettings()))


def register(app: typer.Typer) -> None:
    """Add the worker command to the main CLI."""
    app.command()(worker)
