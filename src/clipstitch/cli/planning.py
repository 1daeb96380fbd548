"""`clipstitch plan`: what a composition will need, before it runs."""

from __future__ import annotations

from rich.table import Table

from clipstitch.cli.units import format_size
from clipstitch.planning.plan import CompositionPlan


def clips_table(plan: CompositionPlan) -> Table:
    table = Table(title="clips")
    for column in ("#", "source", "duration", "video", "why / problem", "memory"):
        table.add_column(column)
    for clip in plan.clips:
        if clip.action == "unusable":
            notes = f"[red]{clip.error}[/red]"
        else:
            notes = "\n".join(
                [*clip.reasons, *(f"[yellow]{w}[/yellow]" for w in clip.warnings)]
            )
        table.add_row(
            str(clip.index),
            clip.source,
            f"{clip.duration:.2f} s",
            clip.action,
            notes or "matches the output",
            format_size(clip.memory_bytes) if clip.memory_bytes else "-",
        )
    return table


def totals_table(plan: CompositionPlan) -> Table:
    table = Table(title="predicted on this machine", show_header=False, box=None)
    table.add_column(style="bold")
    table.add_column()
    table.add_row("output", f"{plan.output_seconds:.1f} s")
    table.add_row(
        "budget",
        f"{format_size(plan.budget_bytes)}, {plan.cpus:.2f} cores free now: "
        f"{plan.workers} workers, {plan.threads} threads each",
    )
    table.add_row(
        "peak memory", f"{format_size(plan.peak_memory_bytes)} (process tree)"
    )
    table.add_row("peak disk", format_size(plan.peak_disk_bytes))
    table.add_row("wall time", f"{plan.wall_seconds:.0f} s")
    return table


def machines_table(plan: CompositionPlan) -> Table:
    smallest = plan.smallest_fit
    table = Table(title="machines")
    for column in ("machine", "vCPU", "memory", "peak", "time", "fits"):
        table.add_column(column)
    for fit in plan.machines:
        mark = "[green]yes[/green]" if fit.fits else "[red]no[/red]"
        if fit is smallest:
            mark += " (smallest)"
        table.add_row(
            fit.machine.name,
            f"{fit.machine.cpus:g}",
            format_size(fit.machine.memory_bytes),
            format_size(fit.peak_memory_bytes),
            f"{fit.wall_seconds:.0f} s",
            mark,
        )
    return table


def plan_dict(plan: CompositionPlan) -> dict[str, object]:
    return {
        "budget_bytes": plan.budget_bytes,
        "cpus": plan.cpus,
        "workers": plan.workers,
        "threads": plan.threads,
        "output_seconds": plan.output_seconds,
        "failure": plan.failure or None,
        "peak_memory_bytes": plan.peak_memory_bytes,
        "peak_disk_bytes": plan.peak_disk_bytes,
        "wall_seconds": round(plan.wall_seconds, 2),
        "cpu_seconds": round(plan.cpu_seconds, 2),
        "clips": [
            {
                "index": clip.index,
                "source": clip.source,
                "action": clip.action,
                "duration": round(clip.duration, 6),
                "reasons": list(clip.reasons),
                "warnings": list(clip.warnings),
                "error": clip.error,
                "memory_bytes": clip.memory_bytes,
            }
            for clip in plan.clips
        ],
        "machines": [
            {
                "name": fit.machine.name,
                "cpus": fit.machine.cpus,
                "memory_bytes": fit.machine.memory_bytes,
                "peak_memory_bytes": fit.peak_memory_bytes,
                "wall_seconds": round(fit.wall_seconds, 2),
                "fits": fit.fits,
            }
            for fit in plan.machines
        ],
    }
