"""The planner's schedule simulation and the calibration fit, without ffmpeg."""

from __future__ import annotations

from pathlib import Path

import pytest

from clipstitch.pipeline.costs import cost_model
from clipstitch.planning.fit import fit
from clipstitch.planning.overheads import Overheads
from clipstitch.planning.runs import (
    DECODE_CODECS,
    FPS,
    FULL_HD,
    SIZES,
    THREADS,
    TINY,
    Encode,
    Measurements,
    Run,
    Source,
)
from clipstitch.planning.schedule import Slots, Work, simulate

MB = 1 << 20
GB = 1 << 30


def test_one_encoder_slot_runs_encodes_one_after_another() -> None:
    works = [Work(10.0, 2, 300 * MB), Work(10.0, 2, 300 * MB)]
    timeline = simulate(works, Slots(2, 1, 4 * GB), cpus=2.0, thread_efficiency=1.0)
    assert timeline.wall_seconds == pytest.approx(10.0)
    assert timeline.peak_memory_bytes == 300 * MB


def test_copies_run_beside_the_encoder() -> None:
    works = [Work(10.0, 2, 300 * MB), Work(1.0, 1, 60 * MB, encoder=False)]
    timeline = simulate(works, Slots(2, 1, 4 * GB), cpus=2.0, thread_efficiency=1.0)
    assert timeline.peak_memory_bytes == 360 * MB
    assert timeline.wall_seconds == pytest.approx(5.0)


def test_the_budget_caps_what_runs_at_once() -> None:
    works = [Work(4.0, 1, 300 * MB), Work(4.0, 1, 300 * MB)]
    timeline = simulate(works, Slots(2, 2, 400 * MB), cpus=2.0)
    assert timeline.peak_memory_bytes == 300 * MB
    assert timeline.wall_seconds == pytest.approx(8.0)


def test_a_busy_machine_slows_the_plan_not_its_workers() -> None:
    works = [Work(10.0, 2, 300 * MB)]
    idle = simulate(works, Slots(2, 1, 4 * GB), cpus=2.0, thread_efficiency=1.0)
    busy = simulate(works, Slots(2, 1, 4 * GB), cpus=0.5, thread_efficiency=1.0)
    assert busy.wall_seconds == pytest.approx(4 * idle.wall_seconds)


# A machine that follows the model exactly; the fit must find its figures again.
BASE = 60 * MB
DECODE, DECODE_THREAD = 10.0, 4.0  # bytes per input pixel, per extra thread
ENCODE, ENCODE_THREAD = 80.0, 20.0  # bytes per output pixel, per extra thread
ENCODE_SECONDS, BUSY_SECONDS = 0.002, 0.1  # per megapixel, per input bit/pixel
DECODE_SECONDS = 0.003
START = 0.05


def _source(
    size: tuple[int, int], bits_per_pixel: float, codec: str = "h264"
) -> Source:
    frames = FPS
    size_bytes = int(bits_per_pixel * size[0] * size[1] * frames / 8)
    return Source(Path(f"/nowhere/{codec}-{size[1]}.mp4"), codec, *size, size_bytes)


def _decode(source: Source, threads: int = 1) -> Run:
    memory = BASE + source.pixels * (DECODE + DECODE_THREAD * (threads - 1))
    seconds = START + source.megapixels * DECODE_SECONDS
    return Run(seconds, seconds, int(memory))


def _encode(source: Source, threads: int) -> Encode:
    memory = _decode(source, threads).peak_rss_bytes + source.pixels * (
        ENCODE + ENCODE_THREAD * (threads - 1)
    )
    per_megapixel = ENCODE_SECONDS + BUSY_SECONDS * source.bits_per_pixel
    seconds = _decode(source).cpu_seconds + source.megapixels * per_megapixel
    output_bytes = int(0.08 * source.pixels * source.frames / 8)
    return Encode(source, threads, Run(seconds, seconds, int(memory)), output_bytes)


def _measurements() -> Measurements:
    tiny = _source(TINY, 0.0)
    mild = {size: _source(size, 0.05) for size in SIZES}
    full_hd = mild[FULL_HD]
    tiny_encode = _encode(tiny, 1)
    return Measurements(
        tiny=Encode(tiny, 1, Run(START, START, BASE), 1000),
        tiny_decode=Run(START, START, BASE),
        decodes={codec: _decode(full_hd) for codec in DECODE_CODECS},
        decode_threaded=_decode(full_hd, 2),
        encodes=[_encode(mild[size], threads) for size in SIZES for threads in THREADS],
        heavy=_encode(_source(FULL_HD, 0.3), 1),
        copy=Run(START, START, BASE),
        copy_source=full_hd,
        join=Run(START + 0.3, START + 0.3, BASE),
        python_bytes=tiny_encode.run.peak_rss_bytes,
        overheads=Overheads(clip_seconds=0.2, job_seconds=0.5),
    )


def test_fit_recovers_the_figures_of_a_machine_that_follows_the_model() -> None:
    model = fit(_measurements(), cost_model())
    assert model.decode_bytes_per_pixel == pytest.approx(DECODE, rel=0.01)
    assert model.decode_bytes_per_pixel_per_thread == pytest.approx(
        DECODE_THREAD, rel=0.01
    )
    assert model.encode_bytes_per_pixel == pytest.approx(ENCODE, rel=0.02)
    assert model.encode_bytes_per_pixel_per_thread == pytest.approx(
        ENCODE_THREAD, rel=0.02
    )
    assert model.encode_seconds_per_megapixel == pytest.approx(ENCODE_SECONDS, rel=0.05)
    assert model.encode_seconds_per_megapixel_per_bit == pytest.approx(
        BUSY_SECONDS, rel=0.05
    )
    assert model.decode_seconds("h264") == pytest.approx(DECODE_SECONDS, rel=0.05)
    assert model.ffmpeg_base_bytes == BASE
    assert model.join_seconds_per_output_second == pytest.approx(0.03, rel=0.01)
    assert (model.process_seconds, model.job_seconds) == (0.2, 0.5)
    assert model.preset_speed == cost_model().preset_speed


def test_a_clip_over_the_budget_runs_alone_and_counts_in_full() -> None:
    works = [Work(1.0, 1, 60 * MB, encoder=False), Work(4.0, 1, 900 * MB)]
    timeline = simulate(works, Slots(2, 1, 500 * MB), cpus=2.0)
    assert timeline.peak_memory_bytes == 900 * MB
    assert timeline.wall_seconds == pytest.approx(5.0)
