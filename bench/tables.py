"""Markdown tables of the comparison: absolute figures, ratios, targets."""

from __future__ import annotations

from collections.abc import Sequence

from bench.report import Row

MB = 1 << 20
TARGET_MOVIEPY = 10.0  # x faster and x less peak memory than MoviePy
TARGET_FLOOR = 1.25  # wall x the floor, every clip re-encoded
TARGET_ORIGINAL = 0.6  # wall x the original design, mixed set


def markdown(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    aligns = ["---"] + ["---:"] * (len(header) - 1)
    lines = [header, aligns, *rows]
    return "\n".join("| " + " | ".join(line) + " |" for line in lines)


def _ratio(value: float, ours: float) -> str:
    return f"{value / ours:.2f}x" if ours > 0 and value > 0 else "-"


def comparison_table(rows: list[Row]) -> str:
    """One set: each tool's figures, and each over clipstitch's."""
    ours = next(row for row in rows if row.contender == "clipstitch")
    title = (
        f"{rows[0].set_name} set: {rows[0].clips} clips, "
        f"{rows[0].set_seconds:.1f} s of output\n\n"
    )
    header = ["tool", "wall s", "CPU s", "peak RSS MB", "peak disk MB",
              "output s", "wall ÷ cs", "CPU ÷ cs", "RSS ÷ cs", "disk ÷ cs"]  # fmt: skip
    body = [
        [
            row.contender,
            f"{row.wall_seconds:.1f}",
            f"{row.cpu_seconds:.1f}",
            f"{row.peak_rss_bytes / MB:.0f}",
            f"{row.peak_disk_bytes / MB:.0f}",
            f"{row.output_seconds:.1f}" if not row.details else str(row.details),
            _ratio(row.wall_seconds, ours.wall_seconds),
            _ratio(row.cpu_seconds, ours.cpu_seconds),
            _ratio(row.peak_rss_bytes, ours.peak_rss_bytes),
            _ratio(row.peak_disk_bytes, ours.peak_disk_bytes),
        ]
        for row in rows
    ]
    return title + markdown(header, body)


def _find(rows: list[Row], tool: str, set_name: str) -> Row | None:
    found = [r for r in rows if r.contender == tool and r.set_name == set_name]
    return found[0] if found and not found[0].details else None


def targets(rows: list[Row]) -> str:
    """The issue's targets, each with the measured figure and met / not met."""
    lines = []
    ours = _find(rows, "clipstitch", "mixed")
    moviepy = _find(rows, "moviepy", "mixed")
    for tool in _clipstitch_runs(rows):
        run = _find(rows, tool, "mixed")
        if run and moviepy:
            which = "" if tool == "clipstitch" else f" ({tool})"
            speed = moviepy.wall_seconds / run.wall_seconds
            memory = moviepy.peak_rss_bytes / run.peak_rss_bytes
            lines.append(
                _line(f"faster than MoviePy{which}", speed, TARGET_MOVIEPY, "≥")
            )
            lines.append(
                _line(
                    f"less peak memory than MoviePy{which}", memory, TARGET_MOVIEPY, "≥"
                )
            )
    original = _find(rows, "original", "mixed")
    if ours and original:
        ratio = ours.wall_seconds / original.wall_seconds
        lines.append(
            _line("wall ÷ original design (mixed)", ratio, TARGET_ORIGINAL, "≤")
        )
    reencode, floor = (
        _find(rows, "clipstitch", "reencode"),
        _find(rows, "floor", "reencode"),
    )
    if reencode and floor:
        ratio = reencode.wall_seconds / floor.wall_seconds
        lines.append(_line("wall ÷ floor (all re-encode)", ratio, TARGET_FLOOR, "≤"))
    return "\n".join(lines)


def _clipstitch_runs(rows: list[Row]) -> list[str]:
    """clipstitch on the mixed set: the default budget first, then any others."""
    names = [row.contender for row in rows if row.set_name == "mixed"]
    return [name for name in names if name.partition(" ")[0] == "clipstitch"]


def _line(what: str, value: float, target: float, sense: str) -> str:
    met = value >= target if sense == "≥" else value <= target
    verdict = "met" if met else "NOT met"
    return f"- {what}: {value:.2f}x (target {sense} {target:g}x): {verdict}"


def scaling_table(rows: list[Row]) -> str:
    """Peak RSS (MB) of the process tree against clip count, a column per tool."""
    tools = list(dict.fromkeys(row.contender for row in rows))
    counts = sorted({row.clips for row in rows})
    body = []
    for count in counts:
        cells = [str(count)]
        for tool in tools:
            found = [r for r in rows if r.contender == tool and r.clips == count]
            cells.append(_memory_cell(found[0]) if found else "-")
        body.append(cells)
    return "peak RSS of the process tree, MB\n\n" + markdown(["clips", *tools], body)


def _memory_cell(row: Row) -> str:
    if "skipped" in row.details:
        return "skipped"
    if "failed" in row.details:
        return f"failed ({row.peak_rss_bytes / MB:.0f})"
    return f"{row.peak_rss_bytes / MB:.0f} ({row.wall_seconds:.0f} s)"
