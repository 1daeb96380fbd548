"""Audio editing, measured on the output: speed, volume, mute, declick, music, loudness.

Levels are measured with ffmpeg itself (ebur128, filters, decoded samples), not
with clipstitch's own code.
"""

from __future__ import annotations

import itertools
import math
import re
import subprocess
from array import array
from collections.abc import Callable
from pathlib import Path

import pytest

from clipstitch import Clip, Composition, OutputSettings, compose
from clipstitch.media.filters import tempo_factors
from clipstitch.spec import Ducking, Loudness, MusicBed
from media_checks import SAMPLE_RATE, Timeline, durations, run

TINY = OutputSettings(width=160, height=90, fps="30")
FRAME = 1 / 30
REAL_MUSIC = Path(__file__).resolve().parents[2] / "shared/media/audio/rain.mp3"
H264_AAC = ("-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p",
            "-c:a", "aac", "-ar", "48000", "-ac", "2")  # fmt: skip
MUSIC_HZ = 200  # the bed is a low sine, the clips' sound a 2 kHz tone
TONE_HZ = 2000


def lavfi_clip(seconds: float, sound: str, picture: str = "testsrc2") -> list[str]:
    """make_clip arguments: a 160x90 clip whose audio is aevalsrc `sound`."""
    return [
        "-f", "lavfi", "-i", f"{picture}=s=160x90:r=30:d={seconds}",
        "-f", "lavfi", "-i", f"aevalsrc='{sound}':s=48000:d={seconds}",
        *H264_AAC,
    ]  # fmt: skip


def tone(level: float) -> str:
    return f"{level}*sin(2*PI*{TONE_HZ}*t)"


@pytest.fixture(scope="module")
def alternating(make_clip: Callable[..., Path]) -> Path:
    """2 s whose sound alternates: a tone in each second's first half, silence."""
    sound = f"if(lt(mod(t,1),0.5),{tone(0.25)},0)"
    return make_clip("alternating.mp4", *lavfi_clip(2, sound))


@pytest.fixture(scope="module")
def steady(make_clip: Callable[..., Path]) -> Path:
    """1 s of a steady tone at a quarter of full scale."""
    return make_clip("steady.mp4", *lavfi_clip(1, tone(0.25)))


@pytest.fixture(scope="module")
def sync_clip(make_clip: Callable[..., Path]) -> Path:
    """2 s: black and silent for 1 s, then a test pattern and a tone, together."""
    return make_clip(
        "sync.mp4",
        *lavfi_clip(2, f"if(gte(t,1),{tone(0.25)},0)"),
        "-vf", "drawbox=c=black:t=fill:enable='lt(t,1)'",
    )  # fmt: skip


@pytest.fixture(scope="module")
def bed(make_clip: Callable[..., Path]) -> Path:
    """1.3 s of a low sine: shorter than the videos, so looping shows."""
    return make_clip("bed.wav", "-f", "lavfi", "-i", f"sine=f={MUSIC_HZ}:r=48000:d=1.3")


def made(path: Path, composition: Composition) -> Path:
    compose(composition, path)
    return path


def samples(path: Path, filters: str = "anull") -> array[int]:
    """The output's sound, mono, after `filters`, as 16-bit samples."""
    raw = run(
        ["ffmpeg", "-v", "error", "-i", str(path), "-map", "0:a:0", "-af", filters,
         "-ac", "1", "-ar", str(SAMPLE_RATE), "-f", "s16le", "-"],
        binary=True,
    )  # fmt: skip
    decoded = array("h")
    decoded.frombytes(raw[: len(raw) // 2 * 2])
    return decoded


def level_db(sound: array[int], begin: float, end: float) -> float:
    """RMS level between two moments, dB relative to full scale."""
    window = sound[int(begin * SAMPLE_RATE) : int(end * SAMPLE_RATE)]
    power = sum(sample * sample for sample in window) / max(1, len(window))
    return 10 * math.log10(max(power, 1e-3) / 32768**2)


def music_band(path: Path) -> array[int]:
    """Only the bed's low sine: the clips' 2 kHz tone is filtered out (-60 dB)."""
    return samples(path, ",".join([f"lowpass=f={MUSIC_HZ * 2}"] * 4))


def integrated_loudness(path: Path) -> float:
    """EBU R128 integrated loudness of the output, by ffmpeg's ebur128 filter."""
    completed = subprocess.run(
        ["ffmpeg", "-nostats", "-hide_banner", "-i", str(path), "-map", "0:a:0",
         "-af", "ebur128", "-f", "null", "-"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    summary = completed.stderr.rpartition("Summary:")[2]
    found = re.search(r"I:\s+(-?[\d.]+) LUFS", summary)
    assert found, summary
    return float(found.group(1))


@pytest.mark.parametrize(
    ("speed", "factors"),
    [(1.0, []), (2.0, [2.0]), (4.0, [2.0, 2.0]), (0.25, [0.5, 0.5]), (3.0, [2, 1.5])],
)
def test_tempo_chain_stays_in_atempo_range(speed: float, factors: list[float]) -> None:
    assert tempo_factors(speed) == pytest.approx(factors)


def test_speed_keeps_durations_and_sync(tmp_path: Path, sync_clip: Path) -> None:
    clips = [
        Clip(source=str(sync_clip), speed=2),
        Clip(source=str(sync_clip), speed=0.5),
    ]
    output = tmp_path / "speed.mp4"
    result = compose(Composition(clips=clips, output=TINY), output)

    assert [clip.duration for clip in result.clips] == pytest.approx(
        [1.0, 4.0], abs=FRAME
    )
    lengths = durations(output)
    assert lengths.video == pytest.approx(5.0, abs=FRAME)
    assert lengths.audio == pytest.approx(5.0, abs=FRAME)
    timeline = Timeline(output)
    for edge in (0.5, 1.0 + 2.0):  # the source's 1 s edge, at 2x and at 0.5x
        found = timeline.edges(edge - 0.5)
        assert found.picture == pytest.approx(edge, abs=FRAME)
        assert found.gap <= FRAME


def test_speed_keeps_pitch(tmp_path: Path, steady: Path) -> None:
    clips = [Clip(source=str(steady), speed=2), Clip(source=str(steady), speed=0.5)]
    output = made(tmp_path / "pitch.mp4", Composition(clips=clips, output=TINY))
    sound = samples(output)
    for begin in (0.1, 1.0):
        window = sound[int(begin * SAMPLE_RATE) : int((begin + 0.3) * SAMPLE_RATE)]
        crossings = sum(1 for a, b in itertools.pairwise(window) if (a < 0) != (b < 0))
        assert crossings / 2 / 0.3 == pytest.approx(TONE_HZ, rel=0.02)


def test_volume_and_mute_levels(tmp_path: Path, steady: Path) -> None:
    clips = [
        Clip(source=str(steady)),
        Clip(source=str(steady), volume=0.5),
        Clip(source=str(steady), volume=2),
        Clip(source=str(steady), mute=True),
    ]
    output = made(tmp_path / "volume.mp4", Composition(clips=clips, output=TINY))
    sound = samples(output)
    full, half, double, muted = (level_db(sound, at + 0.2, at + 0.8) for at in range(4))
    assert half - full == pytest.approx(-6.02, abs=0.5)
    assert double - full == pytest.approx(6.02, abs=0.5)
    assert muted < full - 60


@pytest.mark.parametrize("declick", [True, False])
def test_declick_fades_each_cut(tmp_path: Path, steady: Path, declick: bool) -> None:
    composition = Composition(
        clips=[str(steady), str(steady)], output=TINY, declick=declick
    )
    output = made(tmp_path / f"declick-{declick}.mp4", composition)
    sound = samples(output)
    steady_level = level_db(sound, 0.3, 0.7)
    at_cut = level_db(sound, 1.0 - 0.001, 1.0 + 0.001)
    near_cut = level_db(sound, 1.0 - 0.02, 1.0 - 0.01)
    if declick:
        # Faded to near silence right at the cut, untouched 10 ms before it.
        assert at_cut < steady_level - 10
        assert near_cut == pytest.approx(steady_level, abs=1)
        assert level_db(sound, 0.0, 0.001) < steady_level - 10
    else:
        assert at_cut > steady_level - 3


def test_ducking_lowers_music_under_clip_sound(
    tmp_path: Path, alternating: Path, bed: Path
) -> None:
    music = MusicBed(
        source=str(bed), volume=0.5, ducking=Ducking(depth_db=12, release_ms=100)
    )
    composition = Composition(
        clips=[str(alternating), str(alternating)], output=TINY, music=music
    )
    output = made(tmp_path / "ducked.mp4", composition)
    band = music_band(output)
    for second in range(4):
        under_sound = level_db(band, second + 0.15, second + 0.45)
        in_silence = level_db(band, second + 0.7, second + 0.95)
        assert in_silence - under_sound >= 6, (second, in_silence, under_sound)
    assert in_silence > -40  # the bed is there (half of a 1/8-scale sine)


def test_music_loops_and_fades(tmp_path: Path, steady: Path, bed: Path) -> None:
    looped = MusicBed(source=str(bed), volume=1, fade_in=0.5, fade_out=0.5)
    composition = Composition(clips=[str(steady)] * 3, output=TINY, music=looped)
    band = music_band(made(tmp_path / "looped.mp4", composition))
    cut = composition.model_copy(
        update={"music": looped.model_copy(update={"loop": False, "fade_out": 0})}
    )
    once = music_band(made(tmp_path / "once.mp4", cut))

    steady_level = level_db(band, 1.0, 2.0)
    assert level_db(band, 0.0, 0.1) < steady_level - 10  # fading in
    assert level_db(band, 2.9, 3.0) < steady_level - 10  # fading out at the end
    assert level_db(band, 2.0, 2.4) == pytest.approx(steady_level, abs=1)  # looped
    assert level_db(once, 2.0, 2.4) < steady_level - 40  # played once, then silence
    assert durations(tmp_path / "once.mp4").audio == pytest.approx(3.0, abs=FRAME)


@pytest.mark.parametrize("target", [-14.0, -23.0])
def test_loudness_reaches_target(
    tmp_path: Path, alternating: Path, target: float
) -> None:
    music = MusicBed(source=str(REAL_MUSIC), volume=0.5, ducking=Ducking())
    composition = Composition(
        clips=[str(alternating), Clip(source=str(alternating), volume=0.2)],
        output=TINY,
        music=music,
        loudness=Loudness(target_lufs=target, match_clips=True),
    )
    output = made(tmp_path / f"loud{target}.mp4", composition)
    assert integrated_loudness(output) == pytest.approx(target, abs=1.0)
    assert durations(output).audio == pytest.approx(4.0, abs=FRAME)


def test_match_clips_evens_loudness(tmp_path: Path, steady: Path) -> None:
    composition = Composition(
        clips=[Clip(source=str(steady), volume=0.1), str(steady)],
        output=TINY,
        loudness=Loudness(target_lufs=-20, match_clips=True),
    )
    sound = samples(made(tmp_path / "matched.mp4", composition))
    assert level_db(sound, 0.2, 0.8) == pytest.approx(
        level_db(sound, 1.2, 1.8), abs=1.0
    )
