"""The video graph of one clip: a video, a still (with Ken Burns), a title card."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

from clipstitch.media.drawing import color, drawtext
from clipstitch.media.filters import blurred_cover, finish, fit, video_graph
from clipstitch.media.images import orientation_filters
from clipstitch.media.orientation import Orientation
from clipstitch.media.preflight import ClipReport
from clipstitch.media.probe import MediaInfo, VideoStream
from clipstitch.spec import KenBurns, OutputSettings, TitleCard

# Ken Burns zooms into a picture this many times larger than the frame, so that
# zoompan's whole-pixel steps are quarter pixels in the output: no visible jitter.
KEN_BURNS_OVERSAMPLE = 4
KEN_BURNS_MAX_SIDE = 8192
TITLE_MARGIN = 0.05  # of the width, kept clear of a title card's text at each side


def clip_video_graph(
    info: MediaInfo | None, report: ClipReport, output: OutputSettings
) -> str:
    """The graph from the clip's input (if any) to the labelled output [v]."""
    video = info.video if info is not None else None
    if report.title is not None:
        return title_graph(report.title, output, report.frames, info, report.speed)
    if video is None:
        raise ValueError("a clip without a title card needs a video stream")
    if info is not None and info.still:
        return still_graph(video, output, report.frames, report.ken_burns)
    return video_graph(video, output, report.frames, speed=report.speed)


def still_graph(
    video: VideoStream,
    output: OutputSettings,
    frames: int,
    ken_burns: KenBurns | None = None,
) -> str:
    """A picture shown for `frames` frames, upright, over black, optionally zoomed."""
    rate = output.frame_rate
    picture = _upright_picture(video, rate)
    frame = (output.width, output.height)
    if ken_burns is None:
        fitted = fit(picture, video, video.display_size, frame, output.fit)
        return f"{fitted},{finish(frames, rate)}[v]"
    # zoompan makes its own frames from the one picture: no fps filter before it.
    still = _upright_picture(video, None)
    large = _oversampled(frame)
    fitted = fit(still, video, video.display_size, large, output.fit)
    zoom = _zoompan(ken_burns, frames, frame, rate)
    return f"{fitted},{zoom},{finish(frames, rate)}[v]"


def title_graph(
    card: TitleCard,
    output: OutputSettings,
    frames: int,
    info: MediaInfo | None = None,
    speed: float = 1.0,
) -> str:
    """Centred text over a solid colour, or over the clip's own picture blurred."""
    rate = output.frame_rate
    frame = (output.width, output.height)
    if card.background == "blur" and info is not None and info.video is not None:
        video = info.video
        picture = (
            _upright_picture(video, rate)
            if info.still
            else _moving_picture(video, rate, speed)
        )
        background = f"{picture},{blurred_cover(video, video.display_size, frame)}"
    else:
        # A bounded source: ffmpeg does not stop on -frames:v while an endless
        # source still feeds the graph.
        seconds = float(frames / rate) + 1.0
        background = (
            f"color=c={color(card.background)}:s={frame[0]}x{frame[1]}:r={rate}"
            f":d={seconds:.3f},format=yuv420p"
        )
    text = drawtext(
        card.text,
        size=card.size,
        text_color=card.color,
        anchor="center",
        margin=round(output.width * TITLE_MARGIN),
        frame=(output.width, output.height),
    )
    return f"{background},{text},{finish(frames, rate)}[v]"


def _upright_picture(video: VideoStream, rate: Fraction | None) -> str:
    # premultiply over an alpha plane is exactly compositing over black.
    steps = ["premultiply=inplace=1"] if video.has_alpha else []
    steps += orientation_filters(video.orientation)
    steps.append("setpts=PTS-STARTPTS")
    if rate is not None:
        steps.append(f"fps=fps={rate}")
    return f"[0:{video.index}]" + ",".join(steps)


def _moving_picture(video: VideoStream, rate: Fraction, speed: float) -> str:
    timing = "PTS-STARTPTS" if speed == 1 else f"(PTS-STARTPTS)/{speed:.6f}"
    return f"[0:{video.index}]setpts={timing},fps=fps={rate}"


def _oversampled(frame: tuple[int, int]) -> tuple[int, int]:
    factor = min(KEN_BURNS_OVERSAMPLE, KEN_BURNS_MAX_SIDE / max(frame))
    return (
        max(frame[0], int(frame[0] * factor) // 2 * 2),
        max(frame[1], int(frame[1] * factor) // 2 * 2),
    )


def _zoompan(
    ken_burns: KenBurns, frames: int, frame: tuple[int, int], rate: Fraction
) -> str:
    """zoompan from zoom_start to zoom_end over the clip, panning as asked."""
    last = max(1, frames - 1)
    progress = f"(on/{last})"
    start, end = ken_burns.zoom_start, ken_burns.zoom_end
    zoom = f"{start:.6f}+({end - start:.6f})*{progress}"
    room_x, room_y = "(iw-iw/zoom)", "(ih-ih/zoom)"
    x, y = f"{room_x}/2", f"{room_y}/2"
    if ken_burns.pan == "left":
        x = f"{room_x}*(1-{progress})"
    elif ken_burns.pan == "right":
        x = f"{room_x}*{progress}"
    elif ken_burns.pan == "up":
        y = f"{room_y}*(1-{progress})"
    elif ken_burns.pan == "down":
        y = f"{room_y}*{progress}"
    return (
        f"zoompan=z='{zoom}':x='{x}':y='{y}':d={frames}"
        f":s={frame[0]}x{frame[1]}:fps={rate}"
    )


def drawn_picture(output: OutputSettings, duration: float = 0.0) -> MediaInfo:
    """Probe-like data for a title card drawn from nothing, for cost estimates."""
    video = VideoStream(
        index=0,
        codec="rawvideo",
        profile="",
        level=0,
        width=output.width,
        height=output.height,
        sar=Fraction(1),
        orientation=Orientation.UPRIGHT,
        pix_fmt="yuv420p",
        bit_depth=8,
        has_alpha=False,
        frame_rate=output.frame_rate,
        variable_frame_rate=False,
        color_range="tv",
        color_space="bt709",
        color_transfer="bt709",
        color_primaries="bt709",
        start_time=0.0,
        duration=duration,
        frame_count=0,
    )
    return MediaInfo(
        path=Path("title-card"),
        format_name="lavfi",
        size_bytes=0,
        start_time=0.0,
        duration=duration,
        video=video,
        audio=None,
        dropped_streams=(),
    )
