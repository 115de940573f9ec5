"""Checking an uploaded source with ffprobe (never by its name) before it is accepted.

Every refusal says what was found and what to do, usually with the ffmpeg
command that fixes the file, because the editor holding a bad file needs a
way forward, not an error code.
"""

from __future__ import annotations

import json
import logging
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

from server.core.errors import UserError
from server.ingest.input_policy import input_args, probe_args, upload_options

log = logging.getLogger(__name__)

MIN_DURATION_S = 1.0
MAX_DURATION_S = 6 * 3600.0
MAX_WIDTH, MAX_HEIGHT = 4096, 2304
MIN_SIDE = 64
# Formats that hold one picture: ffprobe reports them as a "video" stream.
_IMAGE_FORMATS = re.compile(r"(^image2$|_pipe$|^gif$|^webp$)")
_SIZE_REFUSED = re.compile(r"Picture size (\d+)x(\d+) is invalid")
PROBE_TIMEOUT_S = 60
DECODE_CHECK_S = 2


@dataclass(frozen=True)
class Source:
    """What a valid upload holds."""

    duration_s: float
    width: int | None  # None for audio-only
    height: int | None
    fps: float | None
    video_codec: str | None
    audio_codec: str | None
    audio_only: bool


def _reject(reason: str, **params: object) -> UserError:
    return UserError(f"probe.{reason}", status=422, error_code="bad_media", **params)


def _fps(stream: dict) -> float | None:
    num, _, den = str(stream.get("avg_frame_rate") or stream.get("r_frame_rate") or "0/0").partition("/")
    try:
        return float(num) / float(den) if float(den) else None
    except ValueError:
        return None


def _run(args: list[str]) -> subprocess.CompletedProcess:
    return subprocess.run(args, capture_output=True, text=True, timeout=PROBE_TIMEOUT_S, check=False)


def probe_source(path: Path, ffprobe: str = "ffprobe", ffmpeg: str = "ffmpeg") -> Source:
    """Validate an uploaded file and describe it; UserError (422, code bad_media) if it will not do."""
    if path.stat().st_size == 0:
        raise _reject("empty")
    result = _run([ffprobe, "-v", "error", "-of", "json", "-show_format", "-show_streams",
                   *probe_args(upload_options(), path)])
    if result.returncode != 0:
        refused = _SIZE_REFUSED.search(result.stderr)
        if refused:
            raise _reject("too_large", width=refused[1], height=refused[2], max_width=MAX_WIDTH,
                          max_height=MAX_HEIGHT)
        with path.open("rb") as head:
            start = head.read(64)
        if b"ftyp" in start[:12]:
            raise _reject("truncated_mp4")
        raise _reject("not_media")
    info = json.loads(result.stdout)
    fmt = info.get("format", {})
    streams = info.get("streams", [])
    video = [s for s in streams if s.get("codec_type") == "video"
             and not s.get("disposition", {}).get("attached_pic")]
    audio = [s for s in streams if s.get("codec_type") == "audio"]
    if video and _IMAGE_FORMATS.search(fmt.get("format_name", "")):
        raise _reject("still_image", codec=video[0].get("codec_name", "?"))
    if not video and not audio:
        raise _reject("no_streams")
    for stream in video[:1] + audio[:1]:
        if not stream.get("codec_name") or stream.get("codec_name") == "none":
            raise _reject("unknown_codec", tag=stream.get("codec_tag_string", "?"))
    width = height = None
    if video:
        width, height = int(video[0].get("width") or 0), int(video[0].get("height") or 0)
        if width > MAX_WIDTH or height > MAX_HEIGHT:
            raise _reject("too_large", width=width, height=height, max_width=MAX_WIDTH, max_height=MAX_HEIGHT)
        if width < MIN_SIDE or height < MIN_SIDE:
            raise _reject("too_small", width=width, height=height, minimum=MIN_SIDE)
    try:
        duration = float(fmt.get("duration") or (video or audio)[0].get("duration") or 0)
    except ValueError:
        duration = 0.0
    if duration < MIN_DURATION_S:
        raise _reject("too_short", seconds=f"{duration:.1f}", minimum=MIN_DURATION_S)
    if duration > MAX_DURATION_S:
        raise _reject("too_long", hours=f"{duration / 3600:.1f}", maximum=MAX_DURATION_S / 3600)
    _check_decodes(path, ffmpeg)
    return Source(duration_s=duration, width=width, height=height, fps=_fps(video[0]) if video else None,
                  video_codec=video[0]["codec_name"] if video else None,
                  audio_codec=audio[0]["codec_name"] if audio else None, audio_only=not video)


def _check_decodes(path: Path, ffmpeg: str) -> None:
    """Decode the first seconds: catches streams ffprobe can name but ffmpeg cannot read."""
    result = _run([ffmpeg, "-v", "error", "-xerror", "-nostdin", "-t", str(DECODE_CHECK_S),
                   *input_args(upload_options(), path),
                   "-map", "0:v:0?", "-map", "0:a:0?", "-f", "null", "-"])
    if result.returncode != 0:  # ffmpeg's words may quote the file: the log has them, the editor the advice
        log.info("upload %s does not decode: %s", path.name, result.stderr.strip()[-500:])
        raise _reject("undecodable")
