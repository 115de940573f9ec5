"""Subtitles: SRT or WebVTT in, WebVTT out, checked cue by cue.

Chinese SRT files are often saved in GBK by Windows tools, so text that is
not UTF-8 is read as GB18030 (a superset of GBK) before giving up.
"""

from __future__ import annotations

import re

from .errors import UserError

MAX_BYTES = 2 * 1024 * 1024
_TIME = r"(?:(\d{1,2}):)?(\d{2}):(\d{2})[,.](\d{3})"
_CUE_TIMING = re.compile(rf"^\s*{_TIME}\s*-->\s*{_TIME}(.*)$")
LANG_RE = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})?$")


def _decode(raw: bytes) -> str:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise UserError("subtitles.unreadable", status=422)


def _stamp(hours: str | None, minutes: str, seconds: str, millis: str) -> str:
    return f"{int(hours or 0):02d}:{minutes}:{seconds}.{millis}"


def to_webvtt(raw: bytes) -> str:
    """Convert SRT or WebVTT bytes to WebVTT text; UserError when no cue can be read."""
    if len(raw) > MAX_BYTES:
        raise UserError("subtitles.too_large", status=413, limit_mb=MAX_BYTES // (1024 * 1024))
    text = _decode(raw).replace("\r\n", "\n").replace("\r", "\n")
    cues: list[str] = []
    for block in re.split(r"\n\s*\n", text):
        lines = [line for line in block.split("\n") if line.strip()]
        timing_at = next((i for i, line in enumerate(lines) if _CUE_TIMING.match(line)), None)
        if timing_at is None:
            continue
        match = _CUE_TIMING.match(lines[timing_at])
        start, end = _stamp(*match.groups()[0:4]), _stamp(*match.groups()[4:8])
        if end <= start:
            raise UserError("subtitles.bad_timing", status=422, start=start, end=end)
        body = [re.sub(r"</?font[^>]*>", "", line) for line in lines[timing_at + 1:]]
        if body:
            cues.append(f"{start} --> {end}\n" + "\n".join(body))
    if not cues:
        raise UserError("subtitles.no_cues", status=422)
    return "WEBVTT\n\n" + "\n\n".join(cues) + "\n"
