"""ffmpeg filter graphs that turn one clip into a uniform segment."""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

from clipstitch.media.geometry import Placement, place
from clipstitch.media.probe import AudioStream, VideoStream
from clipstitch.spec import FitMode, OutputSettings

# Unlabelled SDR sources: HD and larger is assumed BT.709, smaller BT.601,
# as browsers and players do.
HD_HEIGHT = 720
KNOWN_MATRICES = {
    "bt709": "bt709",
    "bt470bg": "bt601",
    "smpte170m": "bt601",
    "bt2020nc": "bt2020",
    "fcc": "fcc",
    "smpte240m": "smpte240m",
}
# The blurred background is made at a fraction of the frame size: cheaper, and
# the blur hides the upscaling.
BLUR_DOWNSCALE = 8
BLUR_RADIUS = 8
# boxblur refuses a radius over half a plane's side, which small outputs reach.
_BOX_BLUR = (
    f"boxblur=lr='min({BLUR_RADIUS},floor(min(w,h)/2))':lp=2"
    f":cr='min({BLUR_RADIUS},floor(min(cw,ch)/2))':cp=2"
)
# atempo's range for smooth stretching, and the declick fade at plain cuts.
ATEMPO_MIN = 0.5
ATEMPO_MAX = 2.0
DECLICK_SECONDS = 0.005
OUTPUT_COLOR = "color_primaries=bt709:color_trc=bt709:colorspace=bt709:range=tv"


def video_graph(
    video: VideoStream, output: OutputSettings, frames: int, *, speed: float = 1.0
) -> str:
    """The filter graph from the clip's video stream to the labelled output [v].

    `speed` above 1 plays the clip faster (fewer output frames), below 1 slower.
    """
    # Time zero is where the clip begins; a picture that starts later (after a
    # lead of sound) is held on its first frame until then.
    timing = "" if speed == 1 else f"setpts=PTS/{speed:.6f},"
    start = f"fps=fps={output.frame_rate}:start_time=0"
    picture = f"[0:{video.index}]{timing}{start}"
    frame = (output.width, output.height)
    fitted = fit(picture, video, video.display_size, frame, output.fit)
    return f"{fitted},{finish(frames, output.frame_rate)}[v]"


def fit(
    picture: str,
    video: VideoStream,
    display: tuple[float, float],
    frame: tuple[int, int],
    fit_mode: FitMode,
) -> str:
    """Extend the filter chain `picture` to fill `frame` per the fit mode.

    The result ends on an unlabelled pad, so the caller can chain more filters.
    """
    content = place(display, frame, fit_mode)
    if fit_mode is FitMode.BLUR and not content.fills_frame:
        background = place(display, frame, FitMode.COVER)
        return (
            f"{picture},split=2[fg_in][bg_in];"
            f"[bg_in]{_blurred_background(video, background)}[bg];"
            f"[fg_in]{_scale(video, content)}[fg];"
            f"[bg][fg]overlay=x={content.x}:y={content.y}"
        )
    return f"{picture},{_scale(video, content)},{_arrange(content)}"


def blurred_cover(
    video: VideoStream, display: tuple[float, float], frame: tuple[int, int]
) -> str:
    """Filters that turn the picture into a blurred copy filling `frame`."""
    return _blurred_background(video, place(display, frame, FitMode.COVER))


def finish(frames: int, rate: Fraction) -> str:
    """The common end of every clip's video: square pixels, BT.709 8-bit, held."""
    hold = _hold_last_frame(frames, rate)
    return f"setsar=1,format=yuv420p,setparams={OUTPUT_COLOR},{hold}"


def _scale(video: VideoStream, content: Placement) -> str:
    """Scale to the placed size, converting colour to 8-bit BT.709 limited range."""
    if video.hdr:
        return (
            f"zscale=w={content.width}:h={content.height}:t=linear:npl=100,"
            "format=gbrpf32le,zscale=p=bt709,tonemap=tonemap=hable:desat=0,"
            "zscale=t=bt709:m=bt709:r=tv,format=yuv420p"
        )
    matrix = KNOWN_MATRICES.get(video.color_space)
    if matrix is None:
        matrix = "bt709" if min(video.width, video.height) >= HD_HEIGHT else "bt601"
    in_range = "pc" if video.full_range else "tv"
    return (
        f"scale=w={content.width}:h={content.height}:flags=bicubic"
        f":in_color_matrix={matrix}:out_color_matrix=bt709"
        f":in_range={in_range}:out_range=tv,format=yuv420p"
    )


def _arrange(content: Placement) -> str:
    if content.fills_frame:
        return "null"
    if content.width > content.frame_width or content.height > content.frame_height:
        return f"crop=w={content.frame_width}:h={content.frame_height}"
    return (
        f"pad=w={content.frame_width}:h={content.frame_height}"
        f":x={content.x}:y={content.y}:color=black"
    )


def _blurred_background(video: VideoStream, cover: Placement) -> str:
    small = Placement(
        width=max(2, cover.width // BLUR_DOWNSCALE // 2 * 2),
        height=max(2, cover.height // BLUR_DOWNSCALE // 2 * 2),
        frame_width=max(2, cover.frame_width // BLUR_DOWNSCALE // 2 * 2),
        frame_height=max(2, cover.frame_height // BLUR_DOWNSCALE // 2 * 2),
    )
    return (
        f"{_scale(video, small)},crop=w={small.frame_width}:h={small.frame_height},"
        f"{_BOX_BLUR},scale=w={cover.frame_width}:h={cover.frame_height}"
        ",setsar=1"
    )


def _hold_last_frame(frames: int, rate: Fraction) -> str:
    """Repeat the last frame if the stream runs short; -frames:v cuts it at `frames`."""
    spare = float(frames / rate) + 1.0
    return f"tpad=stop_mode=clone:stop_duration={spare:.3f}"


@dataclass(frozen=True)
class AudioEdit:
    """What a clip's own sound gets besides normalization: tempo, gain, fades."""

    speed: float = 1.0  # tempo factor, pitch kept
    gain: float = 1.0  # linear
    mute: bool = False
    fade_in: bool = False  # a declick fade at the start
    fade_out: bool = False  # and at the end


NO_EDIT = AudioEdit()


def audio_graph(
    audio: AudioStream | None,
    samples: int,
    shift: float,
    sample_rate: int,
    edit: AudioEdit = NO_EDIT,
    source_input: int = 0,
) -> str:
    """The graph to exactly `samples` of stereo audio at `sample_rate`, labelled [a].

    `shift` is where the video starts in the audio's timeline (source time): audio
    before it is cut, gaps and a late start are filled with silence, the end padded
    or cut after the tempo change. The audio is read from ffmpeg input
    `source_input`.
    """
    exact_length = f"apad=whole_len={samples},atrim=end_sample={samples}"
    if audio is None or edit.mute:
        return f"anullsrc=r={sample_rate}:cl=stereo,{exact_length}[a]"
    tempo = tempo_factors(edit.speed)
    # Delaying the source by atempo's latency keeps the sped sound in sync.
    offset = _atempo_latency(tempo, sample_rate) - shift
    steps = [
        f"asetpts=PTS{offset:+.6f}/TB",
        f"aresample={sample_rate}:async=1:first_pts=0",
        *(f"atempo={factor:.6f}" for factor in tempo),
        _to_stereo(audio),
        f"volume={edit.gain:.6f}" if edit.gain != 1 else "",
        f"aformat=sample_fmts=s16:sample_rates={sample_rate}:channel_layouts=stereo",
        exact_length,
        *_declick(edit, samples, sample_rate),
    ]
    label = f"[{source_input}:{audio.index}]"
    return label + ",".join(step for step in steps if step) + "[a]"


def tempo_factors(speed: float) -> list[float]:
    """atempo factors whose product is `speed`, each within 0.5..2.

    atempo accepts up to 100, but stretches past 2x skip whole chunks of sound;
    a chain of small steps keeps it smooth.
    """
    factors = []
    while speed > ATEMPO_MAX + 1e-9:
        factors.append(ATEMPO_MAX)
        speed /= ATEMPO_MAX
    while speed < ATEMPO_MIN - 1e-9:
        factors.append(ATEMPO_MIN)
        speed /= ATEMPO_MIN
    if abs(speed - 1) > 1e-9:
        factors.append(speed)
    return factors


def _atempo_latency(factors: list[float], sample_rate: int) -> float:
    """Seconds of source by which a chain of atempo puts its output early.

    Each atempo starts half a window (the power of two over rate/24) into its
    input; a later stage's input runs at the product of the earlier tempos.
    """
    half_window = 2 ** math.ceil(math.log2(sample_rate / 24)) / 2 / sample_rate
    latency, scale = 0.0, 1.0
    for factor in factors:
        latency += half_window * scale
        scale *= factor
    return latency


def _declick(edit: AudioEdit, samples: int, sample_rate: int) -> list[str]:
    length = min(round(DECLICK_SECONDS * sample_rate), samples // 2)
    if length < 1:
        return []
    fades = []
    if edit.fade_in:
        fades.append(f"afade=t=in:ss=0:ns={length}:curve=hsin")
    if edit.fade_out:
        fades.append(f"afade=t=out:ss={samples - length}:ns={length}:curve=hsin")
    return fades


def _to_stereo(audio: AudioStream) -> str:
    if audio.channels == 1:
        return "pan=stereo|c0=c0|c1=c0"  # mono on both channels at full level
    return ""  # 2 channels pass; more are downmixed by aformat's resampler


def frames_for(duration: float, rate: Fraction) -> int:
    """Output frames for a clip of `duration` seconds: at least one."""
    return max(1, round(duration * rate))


def samples_for(frames: int, rate: Fraction, sample_rate: int) -> int:
    """Audio samples that last exactly as long as `frames` video frames."""
    return round(frames * sample_rate / rate)
