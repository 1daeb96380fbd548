"""Benchmark rows and the tables (with ratios and targets) printed from them."""

from __future__ import annotations

from dataclasses import dataclass, field

MB = 1 << 20
TARGET_MIXED_WALL = 0.6  # x the original design, on the mixed set
TARGET_REENCODE_WALL = 1.1  # x the floor, on the all re-encode set
TARGET_RSS_MB = 400  # at 60 clips
TARGET_GROWTH = 1.1  # peak RSS at 240 clips over 60


@dataclass
class Row:
    """One measured run of one contender on one set."""

    contender: str
    set_name: str
    clips: int
    set_seconds: float
    wall_seconds: float
    cpu_seconds: float
    peak_rss_bytes: int
    peak_disk_bytes: int
    output_seconds: float
    details: dict[str, object] = field(default_factory=dict)


def print_report(
    rows: list[Row], sizes: dict[str, int], counts: tuple[int, ...]
) -> None:
    """Print the two comparisons (set name -> clips), then memory by clip count."""
    for set_name, target in (("mixed", "original"), ("reencode", "floor")):
        print_comparison([r for r in rows if _is(r, set_name, sizes[set_name])], target)
    print_scaling(rows, counts)


def _is(row: Row, set_name: str, clips: int) -> bool:
    return row.set_name == set_name and row.clips == clips


def print_comparison(rows: list[Row], target: str) -> None:
    """Absolute figures per contender, clipstitch's ratios, and the target check."""
    first = rows[0]
    print(
        f"\n## {first.set_name} set: {first.clips} clips, {first.set_seconds:.1f} s\n"
    )
    print(_table(
        ["contender", "wall s", "CPU s", "peak RSS MB", "peak disk MB", "output s",
         "notes"],
        [[row.contender, f"{row.wall_seconds:.1f}", f"{row.cpu_seconds:.1f}",
          _mb(row.peak_rss_bytes), _mb(row.peak_disk_bytes),
          f"{row.output_seconds:.2f}", _notes(row)] for row in rows],
    ))  # fmt: skip
    ours = _find(rows, "clipstitch")
    ratios = [_ratios(ours, _find(rows, other)) for other in ("original", "floor")]
    print()
    print(_table(["clipstitch ÷", "wall", "CPU", "peak RSS", "peak disk"], ratios))
    print()
    print(_target_line(ours, _find(rows, target), target))


def _notes(row: Row) -> str:
    details = row.details
    if row.contender != "clipstitch":
        return ""
    return (
        f"{details['copied_video']}/{row.clips} copied, "
        f"{details['workers']} workers x {details['threads']} threads, "
        f"self-reported {_mb(int(str(details['reported_peak_memory_bytes'])))} MB"
    )


def _ratios(ours: Row, other: Row) -> list[str]:
    pairs = [
        (ours.wall_seconds, other.wall_seconds),
        (ours.cpu_seconds, other.cpu_seconds),
        (ours.peak_rss_bytes, other.peak_rss_bytes),
        (ours.peak_disk_bytes, other.peak_disk_bytes),
    ]
    return [other.contender, *(_ratio(a, b) for a, b in pairs)]


def _ratio(ours: float, other: float) -> str:
    return f"{ours / other:.2f}x" if other else "-"


def _target_line(ours: Row, other: Row, target: str) -> str:
    limit = TARGET_MIXED_WALL if target == "original" else TARGET_REENCODE_WALL
    ratio = ours.wall_seconds / other.wall_seconds
    verdict = "met" if ratio <= limit else "MISSED"
    memory = ours.peak_rss_bytes / MB
    memory_verdict = "met" if memory < TARGET_RSS_MB else "MISSED"
    return (
        f"target wall <= {limit}x {target}: {ratio:.2f}x, {verdict}; "
        f"peak RSS < {TARGET_RSS_MB} MB: {memory:.0f} MB, {memory_verdict}"
    )


def print_scaling(rows: list[Row], counts: tuple[int, ...]) -> None:
    """Peak RSS, wall time and disk against the number of clips (mixed set)."""
    print("\n## memory against clip count (mixed set)\n")
    body = []
    for count in counts:
        ours = _find(_mixed(rows, count), "clipstitch")
        theirs = _maybe(_mixed(rows, count), "original")
        body.append([str(count), f"{ours.set_seconds:.1f}", *_cost(ours),
                     *(_cost(theirs) if theirs else ["-", "-", "-"])])  # fmt: skip
    print(_table(
        ["clips", "set s", "clipstitch RSS MB", "wall s", "disk MB",
         "original RSS MB", "wall s", "disk MB"],
        body,
    ))  # fmt: skip
    print()
    print(_growth_line(rows, counts))


def _mixed(rows: list[Row], count: int) -> list[Row]:
    return [row for row in rows if _is(row, "mixed", count)]


def _cost(row: Row) -> list[str]:
    return [
        _mb(row.peak_rss_bytes),
        f"{row.wall_seconds:.1f}",
        _mb(row.peak_disk_bytes),
    ]


def _growth_line(rows: list[Row], counts: tuple[int, ...]) -> str:
    middle, largest = counts[-2] if len(counts) > 1 else counts[0], counts[-1]
    base = _find(_mixed(rows, middle), "clipstitch").peak_rss_bytes
    top = _find(_mixed(rows, largest), "clipstitch").peak_rss_bytes
    growth = top / base
    verdict = "met" if growth <= TARGET_GROWTH else "MISSED"
    return (
        f"target peak RSS at {largest} clips <= {TARGET_GROWTH}x that at {middle}: "
        f"{growth:.2f}x, {verdict}"
    )


def _find(rows: list[Row], contender: str) -> Row:
    found = _maybe(rows, contender)
    if found is None:
        raise LookupError(f"no {contender} run")
    return found


def _maybe(rows: list[Row], contender: str) -> Row | None:
    return next((row for row in rows if row.contender == contender), None)


def _mb(size: int) -> str:
    return f"{size / MB:.0f}"


def _table(header: list[str], body: list[list[str]]) -> str:
    """A Markdown table with columns padded to line up in a terminal."""
    widths = [max(len(line[i]) for line in [header, *body]) for i in range(len(header))]

    def line(cells: list[str]) -> str:
        padded = (cell.ljust(width) for cell, width in zip(cells, widths, strict=True))
        return "| " + " | ".join(padded) + " |"

    rule = "|" + "|".join("-" * (width + 2) for width in widths) + "|"
    return "\n".join([line(header), rule, *(line(cells) for cells in body)])
