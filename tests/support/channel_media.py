"""Real programmes in the ladder format, encoded once per test session, for channel playback tests."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import ffmpeg

from server.core.channels_yaml import Lineup
from server.ingest.audio_prep import prepare_audio
from server.ingest.hls_ladder import ladder_output, renditions_for, run_ffmpeg


def encode_programme(out_dir: Path, lineup: Lineup, seconds: float, pattern: str, tone_hz: int,
                     filters: tuple[str, ...] = ()) -> Path:
    """A `pattern` test picture (through ffmpeg's `filters`, e.g. "negate") with a tone, encoded into every rung of the
    ladder in out_dir."""
    ladder = lineup.ladder
    with tempfile.TemporaryDirectory(prefix="keting-programme-") as scratch:
        tone = ["-f", "lavfi", "-t", str(seconds), "-i", f"sine=frequency={tone_hz}:sample_rate=48000"]
        audio = ffmpeg.input(str(prepare_audio(tone, Path(scratch) / "tone.m4a", ladder))).audio
        video = ffmpeg.input(f"{pattern}=s=1280x720:r={ladder.fps}:d={seconds}", f="lavfi").video
        for name in filters:
            video = video.filter(name)
        run_ffmpeg(ladder_output(video, audio, ladder, renditions_for(ladder, 720), out_dir))
    return out_dir


def install(encoded: Path, media_root: Path, base: str) -> str:
    """Copy an encoded programme into a media folder at `base`; return its master playlist path."""
    shutil.copytree(encoded, media_root / base)
    return f"{base}/master.m3u8"
