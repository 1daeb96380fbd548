"""Composition-wide audio: a music bed with ducking, and loudness normalization."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class Ducking(BaseModel):
    """The music drops under clip audio that carries sound (sidechain compression)."""

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)

    depth_db: float = Field(default=12, ge=3, le=40, description="Reduction, dB.")
    threshold_db: float = Field(default=-35, ge=-60, le=0)
    attack_ms: float = Field(default=20, ge=1, le=2000)
    release_ms: float = Field(default=400, ge=10, le=9000)


class MusicBed(BaseModel):
    """Background music under the whole video."""

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)

    source: str = Field(min_length=1)
    volume: float = Field(default=0.3, ge=0, le=2, description="Linear gain.")
    loop: bool = True
    fade_in: float = Field(default=0, ge=0, le=30)
    fade_out: float = Field(default=0, ge=0, le=30)
    ducking: Ducking | None = None


class Loudness(BaseModel):
    """Normalize the final mix to an integrated loudness (EBU R128)."""

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)

    target_lufs: float = Field(default=-14, ge=-40, le=-5, examples=[-14, -16, -23])
    true_peak_db: float = Field(default=-1.0, ge=-9, le=0)
    match_clips: bool = Field(
        default=False, description="Bring clips to one loudness before mixing."
    )
