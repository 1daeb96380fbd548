"""`clipstitch` command line entry point."""

from __future__ import annotations

import json
import logging
import signal
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, TypeVar

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.markup import escape

from clipstitch.cli import calibration, service, worker
from clipstitch.cli.display import ComposeProgress, clip_table, summary_table
from clipstitch.cli.planning import clips_table, machines_table, plan_dict, totals_table
from clipstitch.cli.units import parse_size
from clipstitch.errors import ClipError, ClipstitchError
from clipstitch.media.preflight import ClipReport
from clipstitch.pipeline.compose import ComposeResult, compose
from clipstitch.pipeline.steps import StepContext, inspect_clip
from clipstitch.planning.plan import plan_composition
from clipstitch.spec import (
    BadClipPolicy,
    Clip,
    Composition,
    FitMode,
    OutputSettings,
    composition_schema,
    load_composition,
    validation_summary,
)

app = typer.Typer(
    help="Turn a list of video clips into one finished video.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
console = Console(stderr=True)
state = {"debug": False}
T = TypeVar("T")


@app.callback()
def main(
    verbose: Annotated[
        bool, typer.Option("--verbose", "-v", help="Log each step.")
    ] = False,
    debug: Annotated[
        bool, typer.Option(help="Log everything; tracebacks on error.")
    ] = False,
) -> None:
    """clipstitch: fast, correct, memory-flat video composition."""
    state["debug"] = debug
    # `docker stop` and Kubernetes send SIGTERM: stop and clean up as for Ctrl-C.
    signal.signal(signal.SIGTERM, _interrupt)
    level = logging.DEBUG if debug else logging.INFO if verbose else logging.WARNING
    logging.basicConfig(
        level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )


@app.command(name="compose")
def compose_command(
    inputs: Annotated[
        list[str], typer.Argument(help="Clips (paths or URLs), or one spec.json.")
    ],
    output: Annotated[
        Path, typer.Option("--output", "-o", help="Where to write the MP4.")
    ],
    width: Annotated[int | None, typer.Option(help="Output width.")] = None,
    height: Annotated[int | None, typer.Option(help="Output height.")] = None,
    fps: Annotated[
        str | None, typer.Option(help="Output frame rate, e.g. 30 or 30000/1001.")
    ] = None,
    fit: Annotated[
        FitMode | None, typer.Option(help="How clips fill the frame.")
    ] = None,
    skip_bad: Annotated[
        bool, typer.Option("--skip-bad", help="Skip unusable clips.")
    ] = False,
    max_memory: Annotated[
        str | None,
        typer.Option(help="Memory budget, e.g. 512M (default: see README)."),
    ] = None,
    json_summary: Annotated[
        bool, typer.Option("--json", help="Print the summary as JSON.")
    ] = False,
) -> None:
    """Compose clips (or a composition spec file) into one MP4."""
    composition = _composition(inputs, width, height, fps, fit, skip_bad)
    budget = _size(max_memory)
    with ComposeProgress(console, len(composition.clips)) as progress:
        result = _run(
            lambda: compose(composition, output, max_memory=budget, on_event=progress)
        )
    if json_summary:
        typer.echo(json.dumps(_summary_dict(result), indent=2))
    else:
        console.print(summary_table(result))
    for warning in result.warnings:
        console.print(f"[yellow]warning:[/yellow] {warning}")


@app.command()
def probe(
    inputs: Annotated[
        list[str], typer.Argument(help="Clips (paths or URLs), or one spec.json.")
    ],
) -> None:
    """Print the preflight report: what each clip needs and what makes one unusable."""
    composition = _composition(inputs, None, None, None, None, False)
    rows: list[tuple[int, str, ClipReport | None, str]] = []
    with tempfile.TemporaryDirectory(prefix="clipstitch-probe-") as workdir:
        for index, clip in enumerate(composition.clips):
            try:
                found = inspect_clip(
                    clip, index, composition.output, Path(workdir), StepContext()
                )
                rows.append((index, clip.label, found.report, ""))
            except ClipError as exc:
                rows.append((index, clip.label, None, exc.reason))
    Console().print(clip_table(rows))
    if any(report is None for _, _, report, _ in rows):
        raise typer.Exit(1)


@app.command()
def plan(
    inputs: Annotated[list[str], typer.Argument(help="Clips, or one spec.json.")],
    max_memory: Annotated[
        str | None, typer.Option(help="Memory budget to plan for, e.g. 512M.")
    ] = None,
    cpus: Annotated[float | None, typer.Option(help="Cores to plan for.")] = None,
    json_output: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Predict memory, disk and time, and the smallest machine that fits."""
    composition = _composition(inputs, None, None, None, None, False)
    budget = _size(max_memory)
    result = _run(lambda: plan_composition(composition, budget, cpus))
    if json_output:
        typer.echo(json.dumps(plan_dict(result), indent=2))
    else:
        out = Console()
        for table in (clips_table, totals_table, machines_table):
            out.print(table(result))
    if result.failure:  # compose would stop here: say so, and exit as it would
        message = f"compose would fail: {result.failure}"
        console.print(f"[red]error:[/red] {escape(message)}", soft_wrap=True)
        raise typer.Exit(1)


@app.command()
def schema() -> None:
    """Print the JSON Schema of a composition spec."""
    typer.echo(json.dumps(composition_schema(), indent=2))


def _composition(
    inputs: list[str],
    width: int | None,
    height: int | None,
    fps: str | None,
    fit: FitMode | None,
    skip_bad: bool,
) -> Composition:
    if len(inputs) == 1 and inputs[0].endswith(".json"):
        composition = _run(lambda: load_composition(Path(inputs[0])))
    else:
        composition = Composition(clips=[Clip(source=source) for source in inputs])
    changes = {"width": width, "height": height, "fps": fps, "fit": fit}
    settings = {key: value for key, value in changes.items() if value is not None}
    if settings:
        merged = composition.output.model_dump() | settings
        output = _run(lambda: OutputSettings.model_validate(merged))
        composition = composition.model_copy(update={"output": output})
    if skip_bad:
        composition = composition.model_copy(update={"on_bad_clip": BadClipPolicy.SKIP})
    return composition


def _size(text: str | None) -> int | None:
    if text is None:
        return None
    return _run(lambda: parse_size(text))


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def _run(work: Callable[[], T]) -> T:
    """Run `work`; a known failure becomes one line on stderr and exit status 1."""
    try:
        return work()
    except (ClipstitchError, ValueError, OSError) as exc:
        if state["debug"]:
            raise
        # One line however narrow the terminal; brackets in paths are not markup.
        console.print(f"[red]error:[/red] {escape(_one_line(exc))}", soft_wrap=True)
        raise typer.Exit(1) from None


def _one_line(error: Exception) -> str:
    """pydantic's many-line report as one line: field: problem; field: problem."""
    if isinstance(error, ValidationError):
        return validation_summary(error)
    return " ".join(str(error).split())


def _summary_dict(result: ComposeResult) -> dict[str, object]:
    return {
        "output": str(result.output),
        "duration": result.duration,
        "wall_seconds": round(result.wall_seconds, 3),
        "cpu_seconds": round(result.cpu_seconds, 3),
        "stage_seconds": {
            key: round(value, 3) for key, value in result.stage_seconds.items()
        },
        "peak_memory_bytes": result.peak_memory_bytes,
        "budget_bytes": result.budget_bytes,
        "workers": result.workers,
        "threads": result.threads,
        "deliverables": [str(path) for path in result.deliverables],
        "clips": [
            {
                "index": clip.index,
                "source": clip.source,
                "used": clip.used,
                "duration": round(clip.duration, 6),
                "copied_video": clip.copied_video,
                "fixes": list(clip.fixes),
                "warnings": list(clip.warnings),
                "error": clip.error,
            }
            for clip in result.clips
        ],
    }


calibration.register(app)
service.register(app)
worker.register(app)

if __name__ == "__main__":
    app()
