"""`clipstitch calibrate`: measure this machine and save its cost model."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from clipstitch.pipeline.costs import CostModel, user_costs_path
from clipstitch.planning.calibrate import calibrate, save

MIB = 1 << 20


def register(app: typer.Typer) -> None:
    """Add the `calibrate` command to the CLI."""
    app.command(name="calibrate")(calibrate_command)


def calibrate_command(
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="Where to write (default: user costs)."),
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Print the figures; write nothing.")
    ] = False,
) -> None:
    """Measure this machine with short ffmpeg runs (about 12 s) and save them."""
    console = Console(stderr=True)
    with console.status("calibrating") as status:
        model = calibrate(lambda message: status.update(f"calibrating: {message}"))
    Console().print(figures_table(model))
    if not dry_run:
        path = save(model, output or user_costs_path())
        console.print(f"written to {path}; {_who_uses(path)}")


def _who_uses(path: Path) -> str:
    if path.resolve() == user_costs_path().resolve():
        return "`clipstitch plan` and the memory budget now use it"
    return f"set CLIPSTITCH_COSTS={path} to use it"


def figures_table(model: CostModel) -> Table:
    """The fitted figures, in the units a reader compares."""
    table = Table(title=f"cost model: {model.measured_on}")
    table.add_column("figure")
    table.add_column("value", justify="right")
    for name, value in _rows(model):
        table.add_row(name, value)
    return table


def _rows(model: CostModel) -> list[tuple[str, str]]:
    decode = ", ".join(
        f"{codec} {seconds * 1000:.1f}"
        for codec, seconds in model.decode_seconds_per_megapixel.items()
    )
    return [
        ("Python process", f"{model.python_bytes / MIB:.0f} MiB"),
        ("ffmpeg process", f"{model.ffmpeg_base_bytes / MIB:.0f} MiB"),
        ("copying ffmpeg", f"{model.copy_process_bytes / MIB:.0f} MiB"),
        ("decode memory", f"{model.decode_bytes_per_pixel:.1f} B/pixel"),
        (
            "per decoding thread",
            f"{model.decode_bytes_per_pixel_per_thread:.1f} B/pixel",
        ),
        ("encode memory", f"{model.encode_bytes_per_pixel:.1f} B/pixel"),
        ("per extra thread", f"{model.encode_bytes_per_pixel_per_thread:.1f} B/pixel"),
        ("encode", f"{model.encode_seconds_per_megapixel * 1000:.2f} ms/megapixel"),
        (
            "busy picture",
            f"+{model.encode_seconds_per_megapixel_per_bit * 1000:.2f} "
            "ms/megapixel per input bit/pixel",
        ),
        ("decode (ms/megapixel)", decode),
        ("per clip (probes, start-ups)", f"{model.process_seconds:.3f} s"),
        ("per job (Python, join start)", f"{model.job_seconds:.3f} s"),
        ("copy", f"{model.copy_seconds_per_megabyte * 1000:.2f} ms/MB"),
        ("join", f"{model.join_seconds_per_output_second * 1000:.1f} ms/output s"),
        ("segment bitrate", f"{model.segment_bits_per_pixel:.3f} bit/pixel"),
    ]
