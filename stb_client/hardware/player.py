"""Playback with libVLC: one instance and one media player for the client's life.

A new media on the same player starts in about 0.3 s; a new instance per zap
took 0.6-0.9 s (docs/architecture.md, "Measured"). The player is polled from the main
loop: its reports become the reducer's events. For live channels libVLC's
time is not a position (it drops to 0 at each discontinuity), so only video
on demand reports positions.
"""

from __future__ import annotations

import logging
import time

import vlc

from stb_client.ui.model import (
    PlaybackEnded,
    PlaybackFailed,
    PlaybackPosition,
    ReadingEnded,
    ReadingFailed,
    ReadingPosition,
)

# The marquee is the on-screen display over the picture (libVLC draws video in its own
# window, full screen on a TV); its font must have Chinese.
DEFAULT_ARGS = ("--no-video-title-show", "--quiet", "--network-caching=1000", "--sub-source=marq",
                "--freetype-font=Noto Sans CJK SC")
OSD_MARGIN_PX = 40
log = logging.getLogger(__name__)
# Subtitle files added to one video at most (each holds its whole file in memory, up to 2 MB).
MAX_SUBTITLE_TRACKS = 6
START_TIMEOUT_S = 20.0  # no picture by then: tell the viewer instead of a black screen


class VlcPlayer:
    """The box's player. `args` adds libVLC options (tests: --vout=dummy --aout=dummy)."""

    def __init__(self, args: tuple[str, ...] = (), window_id: int | None = None, fullscreen: bool = False):
        self.instance = vlc.Instance(*DEFAULT_ARGS, *args)
        self.player = self.instance.media_player_new()
        if window_id:
            self.player.set_xwindow(window_id)
        self.player.set_fullscreen(fullscreen)
        self.osd = ""
        self.media = None
        self.live = False
        self._ended_reported = False
        self._tracks: dict[str, int] = {}  # subtitle files added to what plays, by URL: their track ids
        self._pending: tuple[str, set[int]] | None = None  # the file added last, before its track appeared
        self._subtitles: str | None = None  # the file the viewer's size shows
        self._added = 0  # subtitle files added to what plays (MAX_SUBTITLE_TRACKS)
        # Articles read aloud play on a second player of the same instance: audio only, no window, so
        # the article stays on the TV while the voice reads it.
        self.reader = self.instance.media_player_new()
        self.reading = None
        self._reading_ended = False

    def release(self) -> None:
        """Stop playing and release libVLC's players and instance."""
        self.player.stop()
        self.reader.stop()
        self.player.release()
        self.reader.release()
        self.instance.release()

    def read_aloud(self, url: str, start_s: float = 0.0) -> None:
        """Play an article's reading from `start_s`, without video."""
        media = self.instance.media_new(url)
        media.add_option(":no-video")
        if start_s > 0:
            media.add_option(f":start-time={start_s:.1f}")
        self.reading, self._reading_ended = media, False
        self.reader.set_media(media)
        self.reader.play()

    def stop_reading(self) -> None:
        """Stop the reading aloud."""
        self.reader.stop()
        self.reading = None

    def reading_position(self) -> float | None:
        """Where the reading aloud is, in seconds (None: nothing is read)."""
        return self.reader.get_time() / 1000 if self.reading is not None else None

    def play(self, url: str, start_s: float = 0.0, subtitles_url: str | None = None, live: bool = False) -> None:
        """Play `url` from `start_s`, with an external subtitle track if given; `live` turns off position reports."""
        media = self.instance.media_new(url)
        if start_s > 0:
            media.add_option(f":start-time={start_s:.1f}")
        self.media, self.live, self._ended_reported = media, live, False
        self.started = time.monotonic()
        self._tracks, self._pending, self._subtitles, self._added = {}, None, None, 0
        self.player.set_media(media)
        if subtitles_url:
            self._add_subtitles(subtitles_url)
        self.player.play()

    def stop(self) -> None:
        """Stop playing and forget the media."""
        self.player.stop()
        self.media = None

    def seek(self, position_s: float) -> None:
        """Jump to `position_s` in the programme."""
        self.player.set_time(int(position_s * 1000))

    def set_paused(self, paused: bool) -> None:
        """Pause or resume."""
        self.player.set_pause(1 if paused else 0)

    def _spu_ids(self) -> set[int]:
        return {track[0] for track in (self.player.video_get_spu_description() or []) if track[0] >= 0}

    def _add_subtitles(self, url: str) -> None:
        """Add a subtitle file as a track; its id is learnt when it appears (`_learn_track`)."""
        self._learn_track()
        self._pending, self._subtitles = (url, self._spu_ids()), url
        self._added += 1
        if self.player.add_slave(vlc.MediaSlaveType.subtitle, url, True) != 0:
            log.warning("subtitles not added: %s", url)

    def _learn_track(self) -> None:
        """The track id a subtitle file got: the one new since it was added (libVLC adds it asynchronously)."""
        if self._pending is not None:
            url, before = self._pending
            new = self._spu_ids() - before - set(self._tracks.values())
            if new:
                self._tracks[url], self._pending = min(new), None

    def show_subtitles(self, on: bool) -> None:
        """Show the viewer's subtitle track (the file at their size, not captions inside the video), or none."""
        if not on:
            self.player.video_set_spu(-1)
            return
        self._learn_track()
        track = self._tracks.get(self._subtitles)
        if track is None:  # not known yet: the track added last
            ids = self._spu_ids()
            track = max(ids) if ids else None
        if track is not None:
            self.player.video_set_spu(track)

    def set_subtitles(self, url: str) -> None:
        """Show the same subtitles at another size. A file is added as a new track (it shows the line on screen
        at once; a track chosen again shows nothing until its next line, as libVLC's subtitle demuxer has gone
        past the current one), up to MAX_SUBTITLE_TRACKS per video; after that, tracks are chosen again."""
        if self.media is None:
            return
        self._learn_track()
        if url in self._tracks and self._added >= MAX_SUBTITLE_TRACKS:
            self._subtitles = url
            self.player.video_set_spu(self._tracks[url])
        elif self._pending is None or self._pending[0] != url:
            self._tracks.pop(url, None)
            self._add_subtitles(url)

    def set_volume(self, level: int, muted: bool) -> None:
        """Set libVLC's volume (0-100) and mute, for the programme and the reading."""
        for player in (self.player, self.reader):
            player.audio_set_volume(level)
            player.audio_set_mute(muted)

    def show_osd(self, text: str) -> None:
        """Text over the picture, in white at the bottom (the banner, digits typed, messages,
        volume: what the UI draws over video); "" hides it."""
        if text == self.osd:
            return
        self.osd = text
        option = vlc.VideoMarqueeOption
        if text:
            self.player.video_set_marquee_string(option.Text, text)
            for name, value in ((option.Position, 8 | 1), (option.X, OSD_MARGIN_PX), (option.Y, OSD_MARGIN_PX),
                                (option.Color, 0xFFFFFF), (option.Opacity, 255), (option.Timeout, 0)):
                self.player.video_set_marquee_int(name, value)  # 8 | 1: bottom left
        self.player.video_set_marquee_int(option.Enable, 1 if text else 0)

    def subtitle_track(self) -> int:
        """The subtitle track on screen (-1: none)."""
        return self.player.video_get_spu() if self.media is not None else -1

    def osd_shown(self) -> bool:
        """Whether the on-screen display text is shown now."""
        return bool(self.player.video_get_marquee_int(vlc.VideoMarqueeOption.Enable))

    def displayed_pictures(self) -> int:
        """Pictures shown since the current media started (libVLC's statistics)."""
        if self.media is None:
            return 0
        stats = vlc.MediaStats()
        return stats.displayed_pictures if self.media.get_stats(stats) else 0

    def _poll_reading(self) -> list:
        state = self.reader.get_state()
        if state == vlc.State.Error:
            self.reading = None
            return [ReadingFailed("libVLC error")]
        if state == vlc.State.Ended and not self._reading_ended:
            self._reading_ended = True
            self.reading = None
            return [ReadingEnded()]
        if state == vlc.State.Playing:
            return [ReadingPosition(self.reader.get_time() / 1000)]
        return []

    def poll(self) -> list:
        """What happened since the last poll, as events."""
        if self._pending is not None:
            self._learn_track()
        events = self._poll_reading() if self.reading is not None else []
        return events + self._poll_programme()

    def _poll_programme(self) -> list:
        if self.media is None:
            return []
        state = self.player.get_state()
        if state == vlc.State.Error:
            self.media = None
            return [PlaybackFailed("libVLC error")]
        if state == vlc.State.Ended and not self._ended_reported:
            self._ended_reported = True
            if self.live or self.displayed_pictures() == 0:  # nothing was shown: the stream failed
                return [PlaybackFailed("stream ended")]
            return [PlaybackEnded()]
        if state in (vlc.State.Opening, vlc.State.Buffering, vlc.State.NothingSpecial) \
                and time.monotonic() - self.started > START_TIMEOUT_S and self.displayed_pictures() == 0:
            self.media = None
            return [PlaybackFailed("no picture")]
        if not self.live and state == vlc.State.Playing:
            length = self.player.get_length()
            return [PlaybackPosition(self.player.get_time() / 1000, length / 1000 if length > 0 else None)]
        return []
