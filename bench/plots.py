"""PNG plots of the comparison (matplotlib, a bench extra)."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

from bench.report import Row

MB = 1 << 20


def plot_memory(rows: list[Row], folder: Path) -> Path:
    """Peak RSS of the process tree against clip count, a line per tool."""
    figure, axes = plt.subplots(figsize=(7, 4.5))
    for tool in dict.fromkeys(row.contender for row in rows):
        measured = [row for row in rows if row.contender == tool and not row.details]
        axes.plot(
            [row.clips for row in measured],
            [row.peak_rss_bytes / MB for row in measured],
            marker="o",
            label=tool,
        )
    axes.set_xscale("log")
    axes.set_xticks([10, 30, 60, 120, 240], labels=["10", "30", "60", "120", "240"])
    axes.set_xlabel("clips")
    axes.set_ylabel("peak RSS of the process tree (MB)")
    axes.set_title("Memory against clip count (1080p output)")
    axes.grid(True, alpha=0.3)
    axes.legend()
    return _save(figure, folder / "benchmark-memory.png")


def plot_wall(rows: list[Row], folder: Path) -> Path:
    """Wall and CPU time per tool on the mixed set."""
    measured = [row for row in rows if not row.details]
    figure, axes = plt.subplots(figsize=(7, 4.5))
    names = [row.contender for row in measured]
    places = range(len(measured))
    axes.bar([p - 0.2 for p in places], [r.wall_seconds for r in measured], 0.4,
             label="wall")  # fmt: skip
    axes.bar([p + 0.2 for p in places], [r.cpu_seconds for r in measured], 0.4,
             label="CPU")  # fmt: skip
    axes.set_xticks(list(places), labels=names)
    axes.set_ylabel("seconds")
    first = rows[0]
    axes.set_title(
        f"Time per tool: mixed set, {first.clips} clips, {first.set_seconds:.0f} s"
    )
    axes.legend()
    axes.grid(True, axis="y", alpha=0.3)
    return _save(figure, folder / "benchmark-wall.png")


def _save(figure: plt.Figure, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return path
