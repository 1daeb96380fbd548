"""The join's audio: the clips' sound, a music bed ducked under it, loudness.

The graph streams: the bed is looped by its input (`-stream_loop -1`) and cut to
the timeline, ducking is a sidechain compressor keyed by the clips' sound, and
loudness is loudnorm's linear second pass after a measuring pass over the mix.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from clipstitch.media.ffmpeg import SAFE_INPUT_OPTIONS, Cancellation, run_ffprobe
from clipstitch.media.loudness import LoudnessMeasure, measure, normalizing_filter
from clipstitch.spec import Composition, Ducking, Loudness, MusicBed

# A compressor at its steepest ratio: above the threshold the bed drops quickly
# towards the depth, which the dry share of the compressor's mix sets as a floor.
DUCKING_RATIO = 20
MIN_THRESHOLD = 0.000976563  # sidechaincompress's lowest threshold (-60 dB)


@dataclass(frozen=True)
class AudioMix:
    """The composition-wide audio of a join; the music source is a local file."""

    music: MusicBed | None = None
    loudness: Loudness | None = None

    @classmethod
    def of(cls, composition: Composition) -> AudioMix | None:
        """The composition's mix, or None when the clips' sound goes out as it is."""
        if composition.music is None and composition.loudness is None:
            return None
        return cls(music=composition.music, loudness=composition.loudness)

    def with_music_file(self, path: Path) -> AudioMix:
        """The same mix with the bed read from `path` (after fetching it)."""
        if self.music is None:
            return self
        return AudioMix(
            music=self.music.model_copy(update={"source": str(path)}),
            loudness=self.loudness,
        )


@dataclass(frozen=True)
class MixGraph:
    """What the join adds to its ffmpeg command for the audio."""

    inputs: tuple[str, ...]  # input arguments, after the inputs already used
    graph: str  # a -filter_complex graph ending in [label]
    label: str


def mix_graph(
    mix: AudioMix | None,
    clips_input: Sequence[str],
    clips: str,
    first_input: int,
    samples: int,
    sample_rate: int,
    *,
    cancel: Cancellation | None = None,
) -> MixGraph | None:
    """The join's audio graph from the clips' sound, stream `clips` of the join.

    `first_input` is the index the bed's input gets in the join. When loudness is
    asked, the mix is first measured in a pass that reads `clips_input` (ffmpeg
    input arguments giving the clips' sound) and the bed. None: nothing to mix.
    """
    if mix is None or (mix.music is None and mix.loudness is None):
        return None
    measured = None
    if mix.loudness is not None:
        audio_only = _graph(mix, "0:a", 1, samples, sample_rate)
        measured = measure(
            [*clips_input, *audio_only.inputs],
            f"{audio_only.graph};[{audio_only.label}]anull",
            cancel=cancel,
        )
    return _graph(mix, clips, first_input, samples, sample_rate, measured)


def _graph(
    mix: AudioMix,
    clips: str,
    first_input: int,
    samples: int,
    sample_rate: int,
    measured: LoudnessMeasure | None = None,
) -> MixGraph:
    """The mix; loudness-normalized when `measured` is given."""
    float_stereo = (
        f"aformat=sample_fmts=fltp:sample_rates={sample_rate}:channel_layouts=stereo"
    )
    parts = [f"[{clips}]{float_stereo}[mx_clips]"]
    inputs: tuple[str, ...] = ()
    sound = "mx_clips"
    if mix.music is not None:
        inputs = _music_input(mix.music)
        bed = _bed(mix.music, first_input, samples, sample_rate)
        parts.append(f"[{first_input}:a:0]{bed},{float_stereo}[mx_bed]")
        parts.append(_with_bed(mix.music.ducking, sound, "mx_bed", "mx_mixed"))
        sound = "mx_mixed"
    tail = []
    if mix.loudness is not None and measured is not None:
        # loudnorm works at 192 kHz.
        tail = [normalizing_filter(mix.loudness, measured), float_stereo]
    tail.append(f"apad=whole_len={samples},atrim=end_sample={samples}")
    parts.append(f"[{sound}]{','.join(tail)}[mx_out]")
    return MixGraph(inputs=inputs, graph=";".join(parts), label="mx_out")


def _music_input(music: MusicBed) -> tuple[str, ...]:
    loop = ("-stream_loop", "-1") if music.loop else ()
    return (*loop, *SAFE_INPUT_OPTIONS, "-vn", "-i", music.source)


def _bed(music: MusicBed, input_index: int, samples: int, sample_rate: int) -> str:
    """The bed cut (or padded) to the timeline, at its volume, faded in and out."""
    length = samples / sample_rate
    end = length if music.loop else min(length, _duration(music.source))
    steps = [
        "asetpts=PTS-STARTPTS",
        f"aresample={sample_rate}",
        f"atrim=end_sample={samples}",
        f"volume={music.volume:.6f}",
    ]
    if music.fade_in > 0:
        steps.append(f"afade=t=in:st=0:d={min(music.fade_in, end):.6f}")
    if music.fade_out > 0:
        fade = min(music.fade_out, end)
        steps.append(f"afade=t=out:st={end - fade:.6f}:d={fade:.6f}")
    steps.append(f"apad=whole_len={samples}")
    return ",".join(steps)


def _with_bed(ducking: Ducking | None, sound: str, bed: str, label: str) -> str:
    """The clips' sound over the bed, summed: amix's level normalization is off."""
    summed = "amix=inputs=2:duration=first:normalize=0"
    if ducking is None:
        return f"[{sound}][{bed}]{summed}[{label}]"
    threshold = max(MIN_THRESHOLD, 10 ** (ducking.threshold_db / 20))
    # sidechaincompress gives gain * mix + (1 - mix): the dry share is the floor.
    share = 1 - 10 ** (-ducking.depth_db / 20)
    compressor = (
        f"sidechaincompress=threshold={threshold:.6f}:ratio={DUCKING_RATIO}"
        f":attack={ducking.attack_ms:g}:release={ducking.release_ms:g}"
        f":mix={share:.6f}"
    )
    return (
        f"[{sound}]asplit=2[mx_voice][mx_key];"
        f"[{bed}][mx_key]{compressor}[mx_ducked];"
        f"[mx_voice][mx_ducked]{summed}[{label}]"
    )


def _duration(path: str) -> float:
    """How long a bed that is not looped lasts, for its fade-out."""
    shown = run_ffprobe(
        ["-show_entries", "format=duration", "-of", "csv=p=0", path]
    ).strip()
    try:
        return float(shown)
    except ValueError:
        return math.inf
