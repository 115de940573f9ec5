"""The station: every channel's timeline kept built, its gap clips drawn, its playlists rendered and written.

The thin shell around the pure parts (playout.py, live_playlist.py): it
reads files and the database with the settings it was given, and is shared
by the HTTP routes, the CLI and the background runner (runner.py). It holds
no Flask: the web layer makes one per app, the runner gets it passed in.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlite_utils import Database

from keting_i18n import text
from server.broadcast import playout_store
from server.broadcast.channel_art import (
    clock_slate_path,
    ensure_channel_art,
    ensure_clock_slate,
    remove_old_clock_slates,
    slate_path,
)
from server.broadcast.live_playlist import master_playlist, media_playlist, next_change_ms, window
from server.broadcast.segments import Media, MediaCache, MediaMissing
from server.core.channels_yaml import Channel, Ladder, Lineup
from server.core.media_permissions import replace_file
from server.core.media_signing import MediaSigner, expiry
from server.core.timestamps import from_ms, to_ms

log = logging.getLogger(__name__)
# Gap rows (at most SLATE_CLOCK_SECONDS long) get a clip of their own with a running clock, drawn
# shortly before they play: encoding costs about a sixth of the clip's length on two cores (5.6x
# realtime, measured), so a channel with nothing to show costs ~18% of one core.
CLOCK_SLATES_PER_SWEEP = 1
# Segment URLs in a channel's playlists stay valid at least this long (players refresh the playlist anyway).
CHANNEL_URL_LIFETIME_S = 3600
CLOCK_SLATE_LEAD_MS = 10 * 60 * 1000


@dataclass(frozen=True)
class StationSettings:
    """The settings the station works with (see server/core/settings.py for each)."""

    media_root: Path
    media_url: str
    media_signing_key: str
    timezone: str
    language: str
    ffmpeg: str
    slate_seconds: int
    slate_clock_seconds: int
    playout_horizon_hours: int

    @classmethod
    def from_config(cls, config: Mapping[str, object]) -> StationSettings:
        """The station's part of a site's typed settings."""
        return cls(Path(config["MEDIA_ROOT"]), config["MEDIA_URL"], config["MEDIA_SIGNING_KEY"], config["TIMEZONE"],
                   config["LANGUAGE"],
                   config["FFMPEG"], config["SLATE_SECONDS"], config["SLATE_CLOCK_SECONDS"],
                   config["PLAYOUT_HORIZON_HOURS"])


def channel_by_number(lineup: Lineup, number: int) -> Channel | None:
    """The line-up's channel with this number, or None."""
    return next((c for c in lineup.channels if c.number == number), None)


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
    signer: MediaSigner
    expires: int  # when the signed segment URLs of this window expire (hour-aligned: the text is stable)

    def media(self, rendition_name: str) -> str | None:
        """The media playlist of one rendition; None for a name the ladder does not have."""
        rendition = next((r for r in self.ladder.renditions if r.name == rendition_name), None)
        if rendition is None:
            return None
        return media_playlist(self.segments, rendition, self.ladder, self.media_url,
                              lambda path: self.signer.path(path, self.expires))


def _write_atomically(path: Path, content: str) -> bool:
    """Replace a file in one step so nginx never serves half a playlist; False if unchanged."""
    try:
        if path.read_text("utf-8") == content:
            return False
    except OSError:
        pass
    replace_file(path, content.encode())
    return True


class Station:
    """The channels of one site; it keeps a cache of programme segment lists shared by every caller."""

    def __init__(self, settings: StationSettings):
        self.settings = settings
        self.media_cache = MediaCache(settings.media_root)

    def ensure_art(self, lineup: Lineup, font: str) -> None:
        """Draw every channel's slate and logo that is missing or out of date."""
        s = self.settings
        for channel in lineup.channels:
            if ensure_channel_art(s.media_root, lineup, channel, font, s.slate_seconds, s.language, s.ffmpeg):
                log.info("channel %s: slate and logo drawn", channel.number)

    def keep_built(self, db: Database, lineup: Lineup, now: datetime, force: bool = False,
                   only: set[int] | None = None) -> list[int]:
        """Rebuild the timelines whose inputs changed or that run short (all of `only` with force);
        return the channels rebuilt."""
        s = self.settings
        horizon_ms = s.playout_horizon_hours * 3600 * 1000
        rebuilt = []
        for channel in lineup.channels:
            if only is not None and channel.number not in only:
                continue
            slate = slate_path(channel.number)
            if not (s.media_root / slate).is_file():
                log.warning("channel %s: no slate yet (run `keting serve` or `keting demo` to draw it)",
                            channel.number)
                continue
            if force or playout_store.needs_rebuild(db, lineup, channel, now, horizon_ms, slate):
                chunk_ms = s.slate_clock_seconds * 1000 or None
                playout_store.rebuild(db, lineup, channel, now, horizon_ms, self.media_cache.get, slate,
                                      text("slate.title", lang=s.language),
                                      self._gap_slate_finder(lineup, channel) if chunk_ms else None, chunk_ms)
                rebuilt.append(channel.number)
        return rebuilt

    def _when(self, start_ms: int) -> str:
        """A programme's start as the slate shows it: HH:MM in the configured zone."""
        local = from_ms(start_ms).astimezone(ZoneInfo(self.settings.timezone))
        return f"{local:%H:%M}"

    def _utc_offset_s(self, ms: int) -> int:
        offset = from_ms(ms).astimezone(ZoneInfo(self.settings.timezone)).utcoffset()
        return int(offset.total_seconds()) if offset else 0

    def _gap_slate_finder(self, lineup: Lineup, channel: Channel):
        s = self.settings
        seg_ms = lineup.ladder.segment_seconds * 1000

        def find(start_ms: int, segments: int, following) -> Media | None:
            if segments * seg_ms > s.slate_clock_seconds * 1000:
                return None
            title, when = (following.title, self._when(following.start_ms)) if following is not None else ("", "")
            path = clock_slate_path(channel, lineup, start_ms, segments, title, when, s.language)
            if not (s.media_root / path).is_file():
                return None
            try:
                return self.media_cache.get(path)
            except MediaMissing:
                return None
        return find

    def _draw_clock_slates(self, db: Database, lineup: Lineup, channel: Channel, font: str, now_ms: int,
                           until_ms: int, limit: int) -> int:
        """Clips with a running clock for the short gaps ahead (the next programme named); returns how many."""
        s = self.settings
        gaps = db.execute("""
            SELECT g.start_ms, g.segment_count, g.end_ms,
                   (SELECT n.title FROM playout n WHERE n.channel = g.channel AND n.start_ms >= g.end_ms
                      AND n.entry_id IS NOT NULL ORDER BY n.start_ms LIMIT 1) AS next_title,
                   (SELECT n.start_ms FROM playout n WHERE n.channel = g.channel AND n.start_ms >= g.end_ms
                      AND n.entry_id IS NOT NULL ORDER BY n.start_ms LIMIT 1) AS next_start
            FROM playout g WHERE g.channel = ? AND g.kind = 'slate' AND g.entry_id IS NULL AND g.start_ms > ?
              AND g.start_ms < ? AND g.end_ms - g.start_ms <= ? ORDER BY g.start_ms""",
                          [channel.number, now_ms, until_ms, s.slate_clock_seconds * 1000]).fetchall()
        drawn = 0
        for gap in gaps:
            if drawn >= limit:
                break
            # The anchor's scheduled start names the programme as the guide does.
            title = gap["next_title"] or ""
            when = self._when(gap["next_start"]) if gap["next_start"] is not None else ""
            if ensure_clock_slate(s.media_root, lineup, channel, gap["start_ms"], gap["segment_count"], title, when,
                                  self._utc_offset_s(gap["start_ms"]), font, s.language, s.ffmpeg):
                drawn += 1
        return drawn

    def draw_gap_slates(self, db: Database, lineup: Lineup, font: str, now: datetime) -> list[int]:
        """Draw the clips of the gap pieces about to play (one per channel per call, soonest first),
        re-plan the channels that got one, and drop the clips of gaps long past; returns those channels."""
        now_ms = to_ms(now)
        drawn = set()
        if self.settings.slate_clock_seconds:
            drawn = {channel.number for channel in lineup.channels if self._draw_clock_slates(
                db, lineup, channel, font, now_ms, now_ms + CLOCK_SLATE_LEAD_MS, CLOCK_SLATES_PER_SWEEP)}
        remove_old_clock_slates(self.settings.media_root, now_ms - 24 * 3600 * 1000)
        if drawn:
            self.keep_built(db, lineup, now, force=True, only=drawn)
        return sorted(drawn)

    def channel_window(self, db: Database, lineup: Lineup, channel: Channel, now: datetime) -> ChannelWindow | None:
        """The channel's live window at `now`; None before its timeline is built."""
        now_ms = to_ms(now)
        try:
            rows = playout_store.rows_at(db, channel.number, now_ms, self.media_cache.get, lineup.ladder)
        except MediaMissing as error:  # a programme on air was deleted; the next rebuild moves on
            log.error("channel %s: %s", channel.number, error)
            return None
        if not rows or rows[0].end_ms <= now_ms:
            return None
        return ChannelWindow(tuple(window(rows, now_ms)), lineup.ladder, self.settings.media_url,
                             next_change_ms(rows, now_ms), MediaSigner(self.settings.media_signing_key),
                             expiry(now_ms / 1000, CHANNEL_URL_LIFETIME_S))

    def write_playlists(self, db: Database, lineup: Lineup, now: datetime) -> int | None:
        """Write every channel's playlists under MEDIA_ROOT/live/<number>/; return when to write again (ms)."""
        live_root = self.settings.media_root / "live"
        soonest = None
        for channel in lineup.channels:
            current = self.channel_window(db, lineup, channel, now)
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
