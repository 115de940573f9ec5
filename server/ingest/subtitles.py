"""Subtitles: SRT or WebVTT in, WebVTT out, checked cue by cue.

Chinese SRT files are often saved in GBK by Windows tools, so text that is
not UTF-8 is read as GB18030 (a superset of GBK) before giving up.
"""

from __future__ import annotations

import re
from pathlib import Path

from sqlite_utils import Database

from server.catalogue.items import add_subtitles
from server.core.errors import NotFound, UserError

MAX_BYTES = 2 * 1024 * 1024
_TIME = r"(?:(\d{1,2}):)?(\d{2}):(\d{2})[,.](\d{3})"
_CUE_TIMING = re.compile(rf"^\s*{_TIME}\s*-->\s*{_TIME}(.*)$")
LANG_RE = re.compile(r"[a-z]{2,3}(-[A-Za-z0-9]{2,8})?")


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


def save_subtitles(db: Database, media_root: Path, item_id: int, lang: str, label: str, raw: bytes) -> str:
    """Convert SRT/WebVTT bytes and attach them to a video item; return the stored path.

    They live outside the item's ladder folder, which a re-encode replaces.
    """
    if not LANG_RE.fullmatch(lang):
        raise UserError("subtitles.bad_lang", value=lang)
    row = db.execute("SELECT kind FROM items WHERE id = ?", [item_id]).fetchone()
    if row is None:
        raise NotFound("item.not_found", id=item_id)
    if row["kind"] != "video":
        raise UserError("subtitles.not_video", status=409, id=item_id)
    vtt = to_webvtt(raw)
    relative = f"subtitles/{item_id}/{lang}.vtt"
    target = media_root / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = target.with_suffix(".tmp")
    staging.write_text(vtt, encoding="utf-8")
    staging.replace(target)
    add_subtitles(db, item_id, lang, label.strip() or lang, relative)
    return relative
