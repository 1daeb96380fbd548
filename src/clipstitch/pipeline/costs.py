"""The calibrated cost model: memory and time per ffmpeg, measured, stored as data.

The packaged figures were measured on the reference machine; `clipstitch calibrate`
measures this machine and writes its own file, which then takes precedence.
"""

from __future__ import annotations

import functools
import json
import os
from dataclasses import asdict, dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

PACKAGED = "costs.json"


@dataclass(frozen=True)
class CostModel:
    """Bytes and seconds per process, per pixel and per frame."""

    measured_on: str
    python_bytes: int
    ffmpeg_base_bytes: int
    copy_process_bytes: int
    decode_bytes_per_pixel: float
    encode_bytes_per_pixel: float
    encode_bytes_per_pixel_per_thread: float
    hdr_bytes_per_pixel: float
    encode_seconds_per_megapixel: float
    thread_efficiency: float
    process_seconds: float
    copy_seconds_per_megabyte: float
    join_seconds_per_output_second: float
    segment_bits_per_pixel: float
    decode_seconds_per_megapixel: dict[str, float] = field(default_factory=dict)
    preset_speed: dict[str, float] = field(default_factory=dict)
    # Each extra decoding thread holds a few more frames of the input.
    decode_bytes_per_pixel_per_thread: float = 2.0
    # Extra encode seconds per output megapixel per bit of each input pixel: a busy
    # (grainy, moving) picture costs more to encode, and its input bitrate shows it.
    encode_seconds_per_megapixel_per_bit: float = 0.0
    # Wall seconds of a job whatever its clips: Python start-up, the join's fixed
    # part. (`process_seconds` is the same for each clip: probes, process starts.)
    job_seconds: float = 0.0

    def decode_seconds(self, codec: str) -> float:
        table = self.decode_seconds_per_megapixel
        return table.get(codec, table.get("other", 0.006))

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2) + "\n"

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CostModel:
        return cls(**data)


def user_costs_path() -> Path:
    """Where `clipstitch calibrate` writes this machine's figures."""
    configured = os.environ.get("CLIPSTITCH_COSTS")
    if configured:
        return Path(configured)
    config_home = os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config"
    return Path(config_home) / "clipstitch" / "costs.json"


@functools.cache
def cost_model() -> CostModel:
    """This machine's calibrated figures if there are any, else the packaged ones."""
    path = user_costs_path()
    if path.is_file():
        return CostModel.from_dict(json.loads(path.read_text()))
    packaged = resources.files("clipstitch.pipeline").joinpath(PACKAGED).read_text()
    return CostModel.from_dict(json.loads(packaged))
