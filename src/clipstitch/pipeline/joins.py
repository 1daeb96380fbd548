"""Transitions at joins: where clips overlap, and the pieces the join copies.

A clip next to a transition is encoded with keyframes where its overlaps begin
and end (its segment records how many frames it shares on each side); the join
splits it there by stream copy into head, body and tail, renders each overlap
from the outgoing tail and the incoming head, then copies body, transition,
body, ... so only the overlaps are encoded twice.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, replace
from fractions import Fraction
from pathlib import Path

from clipstitch.errors import UnusableClipError
from clipstitch.media.encoding import video_timescale
from clipstitch.media.ffmpeg import Cancellation, run_ffmpeg
from clipstitch.media.filters import samples_for
from clipstitch.media.pcm import cut_wav
from clipstitch.media.segment import Segment
from clipstitch.media.transition import render_transition, transition_frames
from clipstitch.spec import Composition, OutputSettings, Transition, TransitionKind

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Joins:
    """The transitions on either side of one clip, if any (cuts are None)."""

    before: Transition | None = None
    after: Transition | None = None

    @property
    def overlapping(self) -> bool:
        return self.before is not None or self.after is not None

    def frames(self, rate: Fraction) -> tuple[int, int]:
        """Frames the clip overlaps the clip before it and the clip after it."""
        return _overlap(self.before, rate), _overlap(self.after, rate)


CUTS = Joins()  # plain cuts on both sides


def joins_for(composition: Composition, index: int) -> Joins:
    clips = composition.clips
    before = clips[index - 1].transition if index > 0 else None
    after = clips[index].transition if index + 1 < len(clips) else None
    return Joins(before=_real(before), after=_real(after))


def transitions_of(composition: Composition) -> dict[int, Transition]:
    """The transition after each clip that has one, by clip index."""
    return {
        index: clip.transition
        for index, clip in enumerate(composition.clips[:-1])
        if _real(clip.transition) is not None and clip.transition is not None
    }


def _real(transition: Transition | None) -> Transition | None:
    if transition is None or transition.kind is TransitionKind.CUT:
        return None
    return transition


def _overlap(transition: Transition | None, rate: Fraction) -> int:
    return 0 if transition is None else transition_frames(transition.duration, rate)


def keyframes_for(joins: Joins, frames: int, rate: Fraction) -> tuple[int, ...]:
    """Where the clip must have keyframes so it can be split without re-encoding.

    Raises UnusableClipError when its overlaps leave no frame of its own.
    """
    head, tail = joins.frames(rate)
    if head + tail >= frames:
        raise UnusableClipError(
            f"{float(frames / rate):.2f} s is too short for its transitions "
            f"({float(head / rate):.2f} s + {float(tail / rate):.2f} s)"
        )
    return tuple(cut for cut in (head, frames - tail) if 0 < cut < frames)


def split_segment(
    segment: Segment, output: OutputSettings, cancel: Cancellation | None = None
) -> None:
    """Split a segment at its overlaps into head, body and tail files (stream copy).

    The whole files are removed: their parts hold the same frames and samples.
    """
    head, tail = segment.head_frames, segment.tail_frames
    if not head and not tail:
        return
    last = segment.frames
    cuts = tuple(cut for cut in (head, last - tail) if 0 < cut < last)
    names = ["head"] * bool(head) + ["body"] + ["tail"] * bool(tail)
    _split_video(segment, cuts, names, output, cancel)
    _split_audio(segment, head, tail, output.frame_rate, output.audio.sample_rate)


def _split_video(
    segment: Segment,
    cuts: tuple[int, ...],
    names: list[str],
    output: OutputSettings,
    cancel: Cancellation | None,
) -> None:
    pattern = segment.video_path.with_name(segment.video_path.stem + ".part%d.mp4")
    timescale = video_timescale(output.frame_rate)
    run_ffmpeg(
        [
            "-i", str(segment.video_path),
            "-map", "0:v:0", "-c", "copy",
            "-f", "segment",
            "-segment_frames", ",".join(str(cut) for cut in cuts),
            "-reset_timestamps", "1",
            "-segment_format", "mp4",
            "-segment_format_options", f"video_track_timescale={timescale}",
            "-y", str(pattern),
        ],
        cancel=cancel,
    )  # fmt: skip
    parts = [Path(str(pattern) % number) for number in range(len(cuts) + 1)]
    for part, name in zip(parts, names, strict=True):
        part.replace(segment.part_video(name))
    segment.video_path.unlink(missing_ok=True)


def _split_audio(
    segment: Segment, head: int, tail: int, rate: Fraction, sample_rate: int
) -> None:
    head_samples = samples_for(head, rate, sample_rate)
    tail_samples = samples_for(tail, rate, sample_rate)
    body_samples = segment.samples - head_samples - tail_samples
    spans = {
        "head": (0, head_samples),
        "body": (head_samples, body_samples),
        "tail": (head_samples + body_samples, tail_samples),
    }
    for name, (first, count) in spans.items():
        if count > 0:
            cut_wav(segment.audio_path, segment.part_audio(name), first, count)
    segment.audio_path.unlink(missing_ok=True)


def assemble(
    segments: Sequence[Segment],
    transitions: dict[int, Transition],
    output: OutputSettings,
    workdir: Path,
    threads: int = 1,
    cancel: Cancellation | None = None,
) -> list[Segment]:
    """The pieces to join, in order: bodies of clips and rendered transitions."""
    for segment in segments:
        split_segment(segment, output, cancel)
    pieces: list[Segment] = []
    for position, segment in enumerate(segments):
        following = segments[position + 1] if position + 1 < len(segments) else None
        pieces.append(_body(segment, output))
        transition = transitions.get(segment.index)
        if following is None or transition is None or not segment.tail_frames:
            continue
        if following.head_frames != segment.tail_frames:
            logger.warning(
                "clip %d: transition dropped: the next clip was skipped", segment.index
            )
            continue
        pieces.append(
            _transition(
                segment, following, transition, output, workdir, threads, cancel
            )
        )
    return pieces


def _body(segment: Segment, output: OutputSettings) -> Segment:
    if not segment.head_frames and not segment.tail_frames:
        return segment
    rate, sample_rate = output.frame_rate, output.audio.sample_rate
    overlaps = samples_for(segment.head_frames, rate, sample_rate) + samples_for(
        segment.tail_frames, rate, sample_rate
    )
    return replace(
        segment,
        video_path=segment.part_video("body"),
        audio_path=segment.part_audio("body"),
        frames=segment.frames - segment.head_frames - segment.tail_frames,
        samples=segment.samples - overlaps,
        head_frames=0,
        tail_frames=0,
    )


def _transition(
    outgoing: Segment,
    incoming: Segment,
    transition: Transition,
    output: OutputSettings,
    workdir: Path,
    threads: int,
    cancel: Cancellation | None,
) -> Segment:
    frames = outgoing.tail_frames
    stem = workdir / f"transition-{outgoing.index:05d}"
    piece = replace(
        outgoing,
        video_path=stem.with_suffix(".video.mp4"),
        audio_path=stem.with_suffix(".audio.wav"),
        frames=frames,
        samples=samples_for(frames, output.frame_rate, output.audio.sample_rate),
        copied_video=False,
        head_frames=0,
        tail_frames=0,
    )
    render_transition(
        transition.kind,
        frames,
        tail=(outgoing.part_video("tail"), outgoing.part_audio("tail")),
        head=(incoming.part_video("head"), incoming.part_audio("head")),
        destination=(piece.video_path, piece.audio_path),
        output=output,
        threads=threads,
        cancel=cancel,
    )
    for path in (outgoing.part_video("tail"), outgoing.part_audio("tail")):
        path.unlink(missing_ok=True)
    for path in (incoming.part_video("head"), incoming.part_audio("head")):
        path.unlink(missing_ok=True)
    return piece
