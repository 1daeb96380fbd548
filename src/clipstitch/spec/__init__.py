"""The composition spec: what the user asks clipstitch to make."""

from clipstitch.spec.audio import Ducking, Loudness, MusicBed
from clipstitch.spec.composition import (
    AudioSettings,
    BadClipPolicy,
    Clip,
    Composition,
    FitMode,
    OutputSettings,
    VideoSettings,
    composition_schema,
    load_composition,
    validation_summary,
)
from clipstitch.spec.deliverables import Deliverables, ExtraOutput, Poster
from clipstitch.spec.effects import KenBurns, TitleCard, Transition, TransitionKind
from clipstitch.spec.overlays import ImageOverlay, Position, Subtitles, TextOverlay

__all__ = [
    "AudioSettings",
    "BadClipPolicy",
    "Clip",
    "Composition",
    "Deliverables",
    "Ducking",
    "ExtraOutput",
    "FitMode",
    "ImageOverlay",
    "KenBurns",
    "Loudness",
    "MusicBed",
    "OutputSettings",
    "Position",
    "Poster",
    "Subtitles",
    "TextOverlay",
    "TitleCard",
    "Transition",
    "TransitionKind",
    "VideoSettings",
    "composition_schema",
    "load_composition",
    "validation_summary",
]
