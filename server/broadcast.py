"""Linear channels inside the running server: timelines kept built, playlists rendered and written.

The thin shell around the pure parts (playout.py, live_playlist.py): it
reads settings, the database and files, and is shared by the HTTP routes,
the CLI and the background runner (broadcast_runner.py).
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from flask import current_app
from sqlite_utils import Database

from keting_i18n import text

from . import playout_store
from .channel_art import (
    clock_slate_path,
    ensure_channel_art,
    ensure_clock_slate,
    remove_old_clock_slates,
    slate_path,
)
from .channels_yaml import Channel, Ladder, Lineup
from .live_playlist import master_playlist, media_playlist, next_change_ms, window
from .segments import Media, MediaCache, MediaMissing
from .timestamps import from_ms, to_ms

log = logging.getLogger(__name__)
# Gap rows (at most SLATE_CLOCK_SECONDS long) get a clip of their own with a running clock, drawn
# shortly before they play: encoding costs about a sixth of the clip's length on two cores (5.6x
# realtime, measured), so a channel with nothing to show costs ~18% of one core.
CLOCK_SLATES_PER_SWEEP = 1
CLOCK_SLATE_LEAD_MS = 10 * 60 * 1000


def media_cache() -> MediaCache:
    """The app's cache of programme segment lists."""
    extensions = current_app.extensions["keting"]
    if "media_cache" not in extensions:
        extensions["media_cache"] = MediaCache(Path(current_app.config["MEDIA_ROOT"]))
    return extensions["media_cache"]


def channel_by_number(lineup: Lineup, number: int) -> Channel | None:
    return next((c for c in lineup.channels if c.number == number), None)


def ensure_art(lineup: Lineup, font: str) -> None:
    """Draw every channel's slate and logo that is missing or out of date."""
    config = current_app.config
    for channel in lineup.channels:
        if ensure_channel_art(Path(config["MEDIA_ROOT"]), lineup, channel, font, config["SLATE_SECONDS"],
                              config["LANGUAGE"], config["FFMPEG"]):
            log.info("channel %s: slate and logo drawn", channel.number)


def keep_built(db: Database, lineup: Lineup, now: datetime, force: bool = False,
               only: set[int] | None = None) -> list[int]:
    """Rebuild the timelines whose inputs changed or that run short (all of `only` with force);
    return the channels rebuilt."""
    config = current_app.config
    horizon_ms = config["PLAYOUT_HORIZON_HOURS"] * 3600 * 1000
    rebuilt = []
    for channel in lineup.channels:
        if only is not None and channel.number not in only:
            continue
        slate = slate_path(channel.number)
        if not (Path(config["MEDIA_ROOT"]) / slate).is_file():
            log.warning("channel %s: no slate yet (run `keting serve` or `keting demo` to draw it)", channel.number)
            continue
        if force or playout_store.needs_rebuild(db, lineup, channel, now, horizon_ms, slate):
            chunk_ms = config["SLATE_CLOCK_SECONDS"] * 1000 or None
            playout_store.rebuild(db, lineup, channel, now, horizon_ms, media_cache().get, slate,
                                  text("slate.title", lang=config["LANGUAGE"]),
                                  _gap_slate_finder(lineup, channel) if chunk_ms else None, chunk_ms)
            rebuilt.append(channel.number)
    return rebuilt


def _when(start_ms: int) -> str:
    """A programme's start as the slate shows it: HH:MM in the configured zone."""
    local = from_ms(start_ms).astimezone(ZoneInfo(current_app.config["TIMEZONE"]))
    return f"{local:%H:%M}"


def _gap_slate_finder(lineup: Lineup, channel: Channel):
    config = current_app.config
    seg_ms = lineup.ladder.segment_seconds * 1000

    def find(start_ms: int, segments: int, following) -> Media | None:
        if segments * seg_ms > config["SLATE_CLOCK_SECONDS"] * 1000:
            return None
        title, when = (following.title, _when(following.start_ms)) if following is not None else ("", "")
        path = clock_slate_path(channel, lineup, start_ms, segments, title, when, config["LANGUAGE"])
        if not (Path(config["MEDIA_ROOT"]) / path).is_file():
            return None
        try:
            return media_cache().get(path)
        except MediaMissing:
            return None
    return find


def _utc_offset_s(ms: int) -> int:
    offset = from_ms(ms).astimezone(ZoneInfo(current_app.config["TIMEZONE"])).utcoffset()
    return int(offset.total_seconds()) if offset else 0


def _draw_clock_slates(db: Database, lineup: Lineup, channel: Channel, font: str, now_ms: int, until_ms: int,
                       limit: int) -> int:
    """Clips with a running clock for the short gaps ahead (the next programme named); returns how many."""
    config = current_app.config
    gaps = db.execute("""
        SELECT g.start_ms, g.segment_count, g.end_ms,
               (SELECT n.title FROM playout n WHERE n.channel = g.channel AND n.start_ms >= g.end_ms
                  AND n.entry_id IS NOT NULL ORDER BY n.start_ms LIMIT 1) AS next_title,
               (SELECT n.start_ms FROM playout n WHERE n.channel = g.channel AND n.start_ms >= g.end_ms
                  AND n.entry_id IS NOT NULL ORDER BY n.start_ms LIMIT 1) AS next_start
        FROM playout g WHERE g.channel = ? AND g.kind = 'slate' AND g.entry_id IS NULL AND g.start_ms > ?
          AND g.start_ms < ? AND g.end_ms - g.start_ms <= ? ORDER BY g.start_ms""",
                      [channel.number, now_ms, until_ms, config["SLATE_CLOCK_SECONDS"] * 1000]).fetchall()
    drawn = 0
    for gap in gaps:
        if drawn >= limit:
            break
        # The anchor's scheduled start names the programme as the guide does.
        title = gap["next_title"] or ""
        when = _when(gap["next_start"]) if gap["next_start"] is not None else ""
        if ensure_clock_slate(Path(config["MEDIA_ROOT"]), lineup, channel, gap["start_ms"], gap["segment_count"],
                              title, when, _utc_offset_s(gap["start_ms"]), font, config["LANGUAGE"],
                              config["FFMPEG"]):
            drawn += 1
    return drawn


def draw_gap_slates(db: Database, lineup: Lineup, font: str, now: datetime) -> list[int]:
    """Draw the clips of the gap pieces about to play (one per channel per call, soonest first),
    re-plan the channels that got one, and drop the clips of gaps long past; returns those channels."""
    config = current_app.config
    now_ms = to_ms(now)
    drawn = set()
    if config["SLATE_CLOCK_SECONDS"]:
        drawn = {channel.number for channel in lineup.channels if _draw_clock_slates(
            db, lineup, channel, font, now_ms, now_ms + CLOCK_SLATE_LEAD_MS, CLOCK_SLATES_PER_SWEEP)}
    remove_old_clock_slates(Path(config["MEDIA_ROOT"]), now_ms - 24 * 3600 * 1000)
    if drawn:
        keep_built(db, lineup, now, force=True, only=drawn)
    return sorted(drawn)


@dataclass(frozen=True)
class ChannelWindow:
    """One channel's live window at one moment, and when it next moves.

    A media playlist is rendered only for the rendition asked for: a request
    for 480p.m3u8 does not pay for the other rungs.
    """

    segments: tuple
    ladder: Ladder
    media_url: str
    next_change_ms: int | None

    def media(self, rendition_name: str) -> str | None:
        """The media playlist of one rendition; None for a name the ladder does not have."""
        rendition = next((r for r in self.ladder.renditions if r.name == rendition_name), None)
        return None if rendition is None else media_playlist(self.segments, rendition, self.ladder, self.media_url)


def channel_window(db: Database, lineup: Lineup, channel: Channel, now: datetime) -> ChannelWindow | None:
    """The channel's live window at `now`; None before its timeline is built."""
    now_ms = to_ms(now)
    try:
        rows = playout_store.rows_at(db, channel.number, now_ms, media_cache().get, lineup.ladder)
    except MediaMissing as error:  # a programme on air was deleted; the next rebuild moves on
        log.error("channel %s: %s", channel.number, error)
        return None
    if not rows or rows[0].end_ms <= now_ms:
        return None
    return ChannelWindow(tuple(window(rows, now_ms)), lineup.ladder, current_app.config["MEDIA_URL"],
                         next_change_ms(rows, now_ms))


def _write_atomically(path: Path, content: str) -> bool:
    """Replace a file in one step so nginx never serves half a playlist; False if unchanged."""
    try:
        if path.read_text("utf-8") == content:
            return False
    except OSError:
        pass
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temporary.write_text(content, "utf-8")
    os.replace(temporary, path)
    return True


def write_playlists(db: Database, lineup: Lineup, now: datetime) -> int | None:
    """Write every channel's playlists under MEDIA_ROOT/live/<number>/; return when to write again (ms)."""
    live_root = Path(current_app.config["MEDIA_ROOT"]) / "live"
    soonest = None
    for channel in lineup.channels:
        current = channel_window(db, lineup, channel, now)
        if current is None:
            continue
        folder = live_root / str(channel.number)
        folder.mkdir(parents=True, exist_ok=True)
        _write_atomically(folder / "master.m3u8", master_playlist(lineup.ladder))
        for rendition in lineup.ladder.renditions:
            _write_atomically(folder / f"{rendition.name}.m3u8", current.media(rendition.name))
        if current.next_change_ms is not None:
            soonest = current.next_change_ms if soonest is None else min(soonest, current.next_change_ms)
    return soonest
