"""Turning one validated source into the ladder, with progress, cancellation and clean failure.

ffmpeg is started so that it dies with the thread that waits for it
(PR_SET_PDEATHSIG): when the server is killed outright, no orphan ffmpeg
keeps writing into media/. Output goes to a staging folder that is renamed
into place only when complete, so nothing half-encoded is ever served.
"""

from __future__ import annotations

import json
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path

import ffmpeg

from server.core.channels_yaml import Board, Ladder, Lineup, Rendition
from server.core.child_process import die_with_parent
from server.ingest.audio_prep import prepare_audio
from server.ingest.cards import CARD_HEIGHT, board_card, title_lines
from server.ingest.hls_ladder import STDERR_TAIL_LINES, EncodeError, ladder_output, make_thumbnail, renditions_for
from server.ingest.input_policy import input_args, probe_args, upload_options
from server.ingest.probe import Source

POSTER_HEIGHT = 720
THUMBNAIL_HEIGHT = 360


class Cancelled(Exception):
    """The job was cancelled while ffmpeg ran; ffmpeg has been stopped."""


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
                                   preexec_fn=die_with_parent)
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


def keyframe_times(path: Path, ffprobe: str = "ffprobe") -> list[float] | None:
    """Times of the video keyframes, read from packet flags (no decoding), from the stream's start."""
    result = subprocess.run([ffprobe, "-v", "error", "-select_streams", "v:0", "-show_entries",
                             "packet=pts_time,flags", "-of", "csv=p=0", *probe_args(upload_options(), path)],
                            capture_output=True, text=True, timeout=300, check=False)
    if result.returncode != 0:
        return None
    times = []
    for line in result.stdout.splitlines():
        pts, _, flags = line.partition(",")
        if "K" in flags and pts not in ("", "N/A"):
            times.append(float(pts))
    if not times:
        return None
    return [round(t - times[0], 3) for t in sorted(times)]


def can_copy_video(path: Path, source: Source, rung: Rendition, ladder: Ladder, ffprobe: str = "ffprobe") -> bool:
    """Whether the source's video already is this rung: then it is copied, not encoded again.

    H.264 4:2:0 at exactly the ladder's frame rate and the rung's height, within
    its bitrate budget, with a keyframe at every segment boundary and nowhere else
    (so segments line up with the other renditions').
    """
    info = json.loads(subprocess.run(
        [ffprobe, "-v", "error", "-select_streams", "v:0", "-show_entries",
         "stream=codec_name,pix_fmt,height,r_frame_rate,avg_frame_rate,bit_rate,sample_aspect_ratio",
         "-of", "json", *probe_args(upload_options(), path)], capture_output=True, text=True, timeout=60,
        check=False).stdout or "{}")
    streams = info.get("streams") or [{}]
    video = streams[0]
    rate = f"{ladder.fps}/1"
    if (video.get("codec_name") != "h264" or video.get("pix_fmt") != "yuv420p" or video.get("height") != rung.height
            or video.get("r_frame_rate") != rate or video.get("avg_frame_rate") != rate
            or video.get("sample_aspect_ratio") not in (None, "1:1", "0:1")):
        return False
    try:
        if int(video.get("bit_rate") or 0) > rung.video_bitrate * 1.2:
            return False
    except ValueError:
        return False
    keys = keyframe_times(path, ffprobe)
    segment = ladder.segment_seconds
    expected = [float(n * segment) for n in range(int(-(-source.duration_s // segment)))]
    return keys is not None and keys == expected


def plan_ladder(source_path: Path, source: Source, audio_path: Path, lineup: Lineup, board: Board, title: str,
                speaker: str, out_dir: Path, font: str | None, scratch: Path, copy: bool = True):
    """The ffmpeg output node for a source's ladder, and the renditions it makes.

    `audio_path` holds the prepared audio track (prepare_source_audio). Audio-only
    sources get their board's card as picture.
    """
    if source.audio_only:
        video = board_card(board, title_lines(board.name, title, speaker), source.duration_s,
                           lineup.ladder.fps, font, scratch)
        height = CARD_HEIGHT
    else:
        video, height = ffmpeg.input(str(source_path), **upload_options()).video, source.height
    audio = ffmpeg.input(str(audio_path)).audio
    renditions = renditions_for(lineup.ladder, height)
    copy_top = copy and not source.audio_only and can_copy_video(source_path, source, renditions[0], lineup.ladder)
    return ladder_output(video, audio, lineup.ladder, renditions, out_dir, copy_top=copy_top), renditions


def prepare_source_audio(source_path: Path, source: Source, ladder: Ladder, scratch: Path,
                         ffmpeg_cmd: str = "ffmpeg", ffprobe_cmd: str = "ffprobe") -> Path:
    """The source's audio made into the ladder's track; silence for a video without sound,
    because every item must have both tracks to be stitched into a channel."""
    if source.audio_codec:
        return prepare_audio(input_args(upload_options(), source_path), scratch / "audio.m4a", ladder, ffmpeg_cmd,
                             ffprobe_cmd,
                             source=source_path)
    silence = ["-f", "lavfi", "-t", f"{source.duration_s:.3f}", "-i", "anullsrc=r=48000:cl=stereo"]
    return prepare_audio(silence, scratch / "audio.m4a", ladder, ffmpeg_cmd, ffprobe_cmd)


def transcode(source_path: Path, source: Source, lineup: Lineup, board: Board, title: str, speaker: str,
              out_dir: Path, font: str | None, ffmpeg_cmd: str,
              on_progress: Callable[[float, float | None], bool]) -> None:
    """Encode a source into the ladder in out_dir, with thumb.jpg and poster.jpg."""
    with tempfile.TemporaryDirectory(prefix="keting-transcode-") as scratch_name:
        scratch = Path(scratch_name)
        audio_path = prepare_source_audio(source_path, source, lineup.ladder, scratch, ffmpeg_cmd)
        output, renditions = plan_ladder(source_path, source, audio_path, lineup, board, title, speaker,
                                         out_dir, font, scratch)
        run_with_progress(output, ffmpeg_cmd, source.duration_s, on_progress)
    top = out_dir / renditions[0].name / "index.m3u8"
    interval = lineup.ladder.segment_seconds
    make_thumbnail(top, out_dir / "thumb.jpg", source.duration_s, interval, ffmpeg_cmd, THUMBNAIL_HEIGHT)
    make_thumbnail(top, out_dir / "poster.jpg", source.duration_s, interval, ffmpeg_cmd,
                   min(POSTER_HEIGHT, renditions[0].height))
