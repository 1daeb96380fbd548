"""Service commands: `clipstitch serve`, `submit`, `status`, `cancel`."""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import Annotated, TypeVar

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

from clipstitch.client import ApiError, ClipstitchClient
from clipstitch.errors import ClipstitchError
from clipstitch.jobs.settings import CONFIG_FILE_VARIABLE
from clipstitch.jobs.states import JobStatus
from clipstitch.jobs.views import JobView

console = Console(stderr=True)
T = TypeVar("T")

ServerOption = Annotated[
    str, typer.Option(envvar="CLIPSTITCH_SERVER", help="Base URL of the server.")
]
KeyOption = Annotated[
    str | None, typer.Option(envvar="CLIPSTITCH_API_KEY", help="API key (bearer).")
]
DEFAULT_SERVER = "http://127.0.0.1:8000"


class EngineChoice(StrEnum):
    """Where a server's jobs run."""

    EMBEDDED = "embedded"  # in the server process, on SQLite leases
    TEMPORAL = "temporal"  # on `clipstitch worker --engine temporal` processes


def serve(
    host: Annotated[str | None, typer.Option(help="Address to bind.")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on.")] = None,
    config: Annotated[
        Path | None, typer.Option(help="TOML settings file (CLIPSTITCH_CONFIG).")
    ] = None,
    engine: Annotated[
        EngineChoice,
        typer.Option(
            envvar="CLIPSTITCH_ENGINE", help="Run jobs in-process, or on Temporal."
        ),
    ] = EngineChoice.EMBEDDED,
) -> None:
    """Run the job service: HTTP API plus the embedded runner (or Temporal)."""
    import uvicorn

    from clipstitch.api.main import create_app
    from clipstitch.jobs.settings import ServiceSettings

    if config is not None:
        os.environ[CONFIG_FILE_VARIABLE] = str(config)
    root = logging.getLogger()
    if root.level > logging.INFO:
        root.setLevel(logging.INFO)  # one line per job event, unless --debug
    settings = ServiceSettings()
    app = create_app(
        settings, "temporal" if engine == EngineChoice.TEMPORAL else "embedded"
    )
    uvicorn.run(app, host=host or settings.host, port=port or settings.port)


def submit(
    spec: Annotated[Path, typer.Argument(help="Composition JSON (plus callback_url).")],
    server: ServerOption = DEFAULT_SERVER,
    api_key: KeyOption = None,
    wait: Annotated[bool, typer.Option(help="Wait and show progress.")] = False,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Download the MP4 here.")
    ] = None,
    idempotency_key: Annotated[str | None, typer.Option(help="Submit once.")] = None,
) -> None:
    """Submit a composition to a server; print the job as JSON."""
    body = json.loads(spec.read_text())
    with _client(server, api_key) as client:
        job = _call(lambda: client.submit(body, idempotency_key=idempotency_key))
        if wait or output:
            job = _call(lambda: _wait_with_bar(client, job))
        if output and job.status == JobStatus.SUCCEEDED:
            _call(lambda: client.download(job.id, output))
            console.print(f"saved {output}")
    _print(job)
    if job.status in (JobStatus.FAILED, JobStatus.CANCELLED):
        raise typer.Exit(1)


def status(
    job_id: Annotated[str, typer.Argument(help="Job id.")],
    server: ServerOption = DEFAULT_SERVER,
    api_key: KeyOption = None,
) -> None:
    """Print a job's state as JSON."""
    with _client(server, api_key) as client:
        _print(_call(lambda: client.get(job_id)))


def cancel(
    job_id: Annotated[str, typer.Argument(help="Job id.")],
    server: ServerOption = DEFAULT_SERVER,
    api_key: KeyOption = None,
) -> None:
    """Cancel a job."""
    with _client(server, api_key) as client:
        _print(_call(lambda: client.cancel(job_id)))


def register(app: typer.Typer) -> None:
    """Add the service commands to the main CLI."""
    for command in (serve, submit, status, cancel):
        app.command()(command)


def _client(server: str, api_key: str | None) -> ClipstitchClient:
    return ClipstitchClient(server, api_key=api_key)


def _wait_with_bar(client: ClipstitchClient, job: JobView) -> JobView:
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.percentage:>3.0f}%"),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=console) as bar:
        task = bar.add_task(job.status.value, total=1.0)

        def show(current: JobView) -> None:
            label = current.stage.value if current.stage else current.status.value
            bar.update(task, completed=current.progress, description=label)

        return client.wait(job.id, on_progress=show)


def _call(work: Callable[[], T]) -> T:
    try:
        return work()
    except ApiError as exc:
        console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(1) from exc
    except (ClipstitchError, OSError) as exc:
        console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(1) from exc


def _print(job: JobView) -> None:
    typer.echo(job.model_dump_json(indent=2))
