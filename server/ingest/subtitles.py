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
from server.core.media_permissions import replace_file

MAX_BYTES = 2 * 1024 * 1024
# Each track is also kept larger, for the TV's subtitle sizes (the blue key): the same cues with a WebVTT
# STYLE block that libVLC's WebVTT decoder honours (measured: 200% draws the text twice as tall). A size of
# the file, not of the player, so the on-screen display over the picture keeps its size.
SIZE_PERCENT = {"large": 150, "larger": 200}
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
    for size in SIZE_PERCENT:  # the sizes first: the track is named (and handed out) once they are there
        _write(media_root / sized_path(relative, size), styled(vtt, SIZE_PERCENT[size]))
    _write(target, vtt)
    add_subtitles(db, item_id, lang, label.strip() or lang, relative)
    return relative


def _write(target: Path, content: str) -> None:
    replace_file(target, content.encode())


def sized_path(relative: str, size: str) -> str:
    """Where a track is kept at one of SIZE_PERCENT's sizes: subtitles/12/zh.vtt → subtitles/12/zh.large.vtt."""
    return relative.removesuffix(".vtt") + f".{size}.vtt"


def styled(vtt: str, percent: int) -> str:
    """A WebVTT file's cues drawn at `percent` of their size (a STYLE block after the header, before any cue)."""
    header, _, cues = vtt.partition("\n\n")
    return f"{header}\n\nSTYLE\n::cue {{\n  font-size: {percent}%;\n}}\n\n{cues}"


def ensure_sizes(media_root: Path, relative: str) -> bool:
    """Write a track's sized files where they are missing or are not of the track as it is (tracks saved before
    there were sizes, a backup restored over newer files); whether any was. A track saved meanwhile is read
    again, so its sizes end as its own."""
    source, wrote = media_root / relative, False
    for _ in range(3):  # a save between reading and writing: once more (saves write the sizes first)
        if not source.is_file():
            return wrote
        vtt = source.read_text(encoding="utf-8")
        for size, percent in SIZE_PERCENT.items():
            target, wanted = media_root / sized_path(relative, size), styled(vtt, percent)
            if not target.is_file() or target.read_text(encoding="utf-8") != wanted:
                _write(target, wanted)
                wrote = True
        if source.read_text(encoding="utf-8") == vtt:
            return wrote
    return wrote
