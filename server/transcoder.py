"""Turning one validated source into the ladder, with progress, cancellation and clean failure.

ffmpeg is started so that it dies with the thread that waits for it
(PR_SET_PDEATHSIG): when the server is killed outright, no orphan ffmpeg
keeps writing into media/. Output goes to a staging folder that is renamed
into place only when complete, so nothing half-encoded is ever served.
"""

from __future__ import annotations

import ctypes
import signal
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path

import ffmpeg

from .cards import CARD_HEIGHT, board_card, title_lines
from .channels_yaml import Board, Lineup
from .hls_ladder import STDERR_TAIL_LINES, EncodeError, ladder_output, make_thumbnail, renditions_for
from .probe import Source

PR_SET_PDEATHSIG = 1
# The representative frame is looked for from here on (a black first second is common).
THUMBNAIL_AT_FRACTION = 0.1
POSTER_HEIGHT = 720
THUMBNAIL_HEIGHT = 360


class Cancelled(Exception):
    """The job was cancelled while ffmpeg ran; ffmpeg has been stopped."""


def _die_with_parent() -> None:  # runs in the child between fork and exec
    ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


def _parse_progress(block: dict[str, str], duration_s: float) -> tuple[float, float | None]:
    """Percent done and seconds left from one block of ffmpeg's -progress output."""
    out_us = block.get("out_time_us") or block.get("out_time_ms") or "0"
    try:
        done_s = max(0.0, int(out_us) / 1_000_000)
    except ValueError:
        done_s = 0.0
    percent = min(99.9, 100.0 * done_s / duration_s) if duration_s else 0.0
    speed = block.get("speed", "").rstrip("x").strip()
    try:
        eta = max(0.0, duration_s - done_s) / float(speed) if speed and float(speed) > 0 else None
    except ValueError:
        eta = None
    return percent, eta


def run_with_progress(output, ffmpeg_cmd: str, duration_s: float,
                      on_progress: Callable[[float, float | None], bool]) -> None:
    """Run ffmpeg; call on_progress(percent, eta_s) about once a second; stop it when that says False."""
    args = output.global_args("-hide_banner", "-nostdin", "-loglevel", "error", "-nostats",
                              "-progress", "pipe:1").compile(cmd=ffmpeg_cmd)
    args.insert(1, "-y")
    with tempfile.TemporaryFile() as errors:
        process = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=errors, text=True,
                                   preexec_fn=_die_with_parent)
        block: dict[str, str] = {}
        cancelled = False
        for line in process.stdout:
            key, _, value = line.strip().partition("=")
            block[key] = value
            if key == "progress":
                if not on_progress(*_parse_progress(block, duration_s)):
                    cancelled = True
                    process.terminate()
                    break
                block = {}
        try:
            returncode = process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            returncode = process.wait()
        process.stdout.close()
        if cancelled:
            raise Cancelled()
        if returncode != 0:
            errors.seek(0)
            text = errors.read().decode("utf-8", "replace").strip().splitlines()
            raise EncodeError(returncode, "\n".join(text[-STDERR_TAIL_LINES:]) or f"ffmpeg exited with {returncode}")


def transcode(source_path: Path, source: Source, lineup: Lineup, board: Board, title: str, speaker: str,
              out_dir: Path, font: str | None, ffmpeg_cmd: str,
              on_progress: Callable[[float, float | None], bool]) -> None:
    """Encode a source into the ladder in out_dir, with thumb.jpg and poster.jpg.

    Audio-only sources get their board's card as picture; silent videos get
    silence, because every item must have both tracks to be stitched.
    """
    with tempfile.TemporaryDirectory(prefix="keting-card-") as scratch:
        src = ffmpeg.input(str(source_path))
        if source.audio_only:
            lines = title_lines(board.name, title, speaker)
            video = board_card(board, lines, source.duration_s, lineup.ladder.fps, font, Path(scratch))
            height = CARD_HEIGHT
        else:
            video, height = src.video, source.height
        audio = src.audio if source.audio_codec else ffmpeg.input(
            "anullsrc=r=48000:cl=stereo", f="lavfi", t=source.duration_s)
        renditions = renditions_for(lineup.ladder, height)
        output = ladder_output(video, audio, lineup.ladder, renditions, out_dir)
        run_with_progress(output, ffmpeg_cmd, source.duration_s, on_progress)
    top = out_dir / renditions[0].name / "index.m3u8"
    at = source.duration_s * THUMBNAIL_AT_FRACTION
    make_thumbnail(top, out_dir / "thumb.jpg", at, ffmpeg_cmd, THUMBNAIL_HEIGHT)
    make_thumbnail(top, out_dir / "poster.jpg", at, ffmpeg_cmd, min(POSTER_HEIGHT, renditions[0].height))
