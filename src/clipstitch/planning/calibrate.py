"""Measure this machine with short ffmpeg runs and fit the planner's cost model."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path

from clipstitch.pipeline.costs import CostModel, cost_model
from clipstitch.planning.fit import fit
from clipstitch.planning.overheads import measure_overheads
from clipstitch.planning.runs import (
    DECODE_CODECS,
    FPS,
    FULL_HD,
    HEAVY_NOISE,
    SIZES,
    SLOPE_TRIES,
    THREADS,
    TINY,
    Measurements,
    copy_clip,
    decode,
    encode,
    join,
    join_rate,
    make_source,
    python_bytes,
)

Report = Callable[[str], None]


def measure(folder: Path, report: Report) -> Measurements:
    """Make the sources, then run every measured ffmpeg, one at a time."""
    report("making synthetic clips")
    tiny = make_source(folder, "h264", TINY)
    sources = {size: make_source(folder, "h264", size) for size in SIZES}
    by_codec = {codec: make_source(folder, codec, FULL_HD) for codec in DECODE_CODECS}
    grainy = make_source(folder, "h264", FULL_HD, HEAVY_NOISE)
    report("decoding h264, hevc, vp9")
    decodes = {codec: decode(source) for codec, source in by_codec.items()}
    report("encoding at 3 sizes and 2 thread counts")
    encodes = [
        encode(
            sources[size],
            size,
            threads,
            folder / f"out-{size[1]}-{threads}.mp4",
            tries=SLOPE_TRIES if (size, threads) == (FULL_HD, 1) else 1,
        )
        for size in SIZES
        for threads in THREADS
    ]
    report("copying and joining")
    full_hd = sources[FULL_HD]
    joined = join(full_hd, folder / "join.mp4")
    tiny_decode = decode(tiny)
    report("preparing and joining a tiny clip through the pipeline")
    rate = join_rate(joined, tiny_decode)
    overheads = measure_overheads(tiny.path, TINY, FPS, rate, folder)
    return Measurements(
        tiny=encode(tiny, TINY, 1, folder / "out-tiny.mp4"),
        tiny_decode=tiny_decode,
        decodes=decodes,
        decode_threaded=decode(by_codec["h264"], threads=2),
        encodes=encodes,
        heavy=encode(grainy, FULL_HD, 1, folder / "out-heavy.mp4", SLOPE_TRIES),
        copy=copy_clip(full_hd, folder / "copy.mp4"),
        copy_source=full_hd,
        join=joined,
        python_bytes=python_bytes(),
        overheads=overheads,
    )


def calibrate(report: Report = lambda message: None) -> CostModel:
    """Measure this machine and return the fitted model (not yet saved)."""
    with tempfile.TemporaryDirectory(prefix="clipstitch-calibrate-") as folder:
        runs = measure(Path(folder), report)
    return fit(runs, cost_model())


def save(model: CostModel, path: Path) -> Path:
    """Write the model where `cost_model()` will find it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(model.to_json())
    return path
