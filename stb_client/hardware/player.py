"""Playback with libVLC: one instance and one media player for the client's life.

A new media on the same player starts in about 0.3 s; a new instance per zap
took 0.6-0.9 s (docs/architecture.md, "Measured"). The player is polled from the main
loop: its reports become the reducer's events. For live channels libVLC's
time is not a position (it drops to 0 at each discontinuity), so only video
on demand reports positions.

With a spare player (standby.py) a channel change to the prepared neighbour swaps the two players instead
of starting a stream. On an X display each player draws into a window of the client's (video_windows.py),
shown only while the frame shows video, so the menus drawn over live TV (the guide) are seen.
"""

from __future__ import annotations

import logging
import time

import vlc

from stb_client.hardware.standby import NEIGHBOUR, UPGRADE, Spare, pictures
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
SPARE_RETRY_S = 10.0  # a prepared channel that failed (off the air) is tried again this much later, then
SPARE_RETRY_MAX_S = 300.0  # twice as late each time, up to this
START_TIMEOUT_S = 20.0  # no picture by then: tell the viewer instead of a black screen


def quality_options(max_height: int) -> tuple[str, ...]:
    """libVLC media options that play a master playlist's highest rung up to `max_height` (the TV's height).

    libVLC's own adaptive logics (predictive, nearoptimal, rate) stayed on the lowest rung, 360p, for as long as
    they were watched, live and on demand, on loopback (measured): a 1080p TV showed 360p. A box on a slow link
    is given a lower --max-height."""
    return (":adaptive-logic=highest", f":adaptive-maxheight={max_height}")


class VlcPlayer:
    """The box's player. `args` adds libVLC options (tests: --vout=dummy --aout=dummy); `windows` are the client's
    own X windows, one per player (None: libVLC opens its own); `standby` adds the spare player."""

    def __init__(self, args: tuple[str, ...] = (), fullscreen: bool = False, windows=None, standby: bool = False,
                 max_height: int = 1080):
        self.instance = vlc.Instance(*DEFAULT_ARGS, *args)
        self.quality = quality_options(max_height)
        self.players = [self.instance.media_player_new() for _ in range(2 if standby else 1)]
        self.windows = windows
        for n, player in enumerate(self.players):
            if windows is not None:
                player.set_xwindow(windows.ids[n])
                player.video_set_key_input(False)  # keys and clicks go on to the TV's window (SDL)
                player.video_set_mouse_input(False)
            else:
                player.set_fullscreen(fullscreen)
        self.player = self.players[0]  # the one the viewer sees and hears
        self.spare = Spare(self.players[1]) if standby else None
        self._wanted: tuple[str, str] | None = None  # the neighbour (channel, lowest rung) to prepare when free
        self._volume = (100, False)
        self._video_shown = False  # whether the frame shows video (the menus are drawn beneath it otherwise)
        self._shown_from = 0  # pictures the media on screen had shown before it was on screen (a swap)
        self._upgrade_for: str | None = None  # the channel whose lowest rung is on screen, until full quality
        self._retry_at, self._retry_s = 0.0, SPARE_RETRY_S  # a spare that failed is tried again then; the next wait
        self.swaps = 0  # channel changes and upgrades made by swapping the players
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
        if self.spare is not None:
            self.spare.close()
        for player in (*self.players, self.reader):
            player.stop()
            player.release()
        self.instance.release()
        if self.windows is not None:
            self.windows.close()

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
        """Play `url` from `start_s`, with an external subtitle track if given; `live` turns off position reports.
        A live channel the spare has ready is swapped in instead of started."""
        spare = self.spare
        if spare is not None:
            if live and spare.ready(NEIGHBOUR, url):
                self._swap()
                self._upgrade_for = url  # full quality, hidden, swapped in once it shows
                spare.load(self.instance, url, url, UPGRADE, self.quality)
                return
            self._upgrade_for = None
            if not live or spare.purpose == UPGRADE:  # video on demand, or a channel no longer wanted
                spare.stop()
            if not live:
                self._wanted = None
        media, old = self.instance.media_new(url, *self.quality), self.media
        if start_s > 0:
            media.add_option(f":start-time={start_s:.1f}")
        self.media, self.live, self._ended_reported, self._shown_from = media, live, False, 0
        self.started = time.monotonic()
        self._tracks, self._pending, self._subtitles, self._added = {}, None, None, 0
        self.player.set_media(media)
        if subtitles_url:
            self._add_subtitles(subtitles_url)
        self.player.play()
        self._show_window()
        if old is not None:
            old.release()  # python-vlc never frees a media itself

    def prepare(self, url: str, lowest_url: str) -> None:
        """Keep channel `url` ready on the spare player, playing its `lowest_url` rung (no spare: nothing)."""
        if self.spare is None:
            return
        if self._wanted != (url, lowest_url):
            self._wanted, self._retry_s, self._retry_at = (url, lowest_url), SPARE_RETRY_S, 0.0
        if self.spare.purpose == UPGRADE or (self.spare.purpose == NEIGHBOUR and self.spare.url == url):
            return  # busy with the channel on screen, or ready already
        self.spare.load(self.instance, lowest_url, url, NEIGHBOUR)

    def _swap(self) -> None:
        """Put the spare's channel on screen (its window shown, its sound on) and make the old player the spare."""
        spare = self.spare
        old_player, old_media = self.player, self.media
        self.player, self.media, self._shown_from = spare.player, spare.media, pictures(spare.media)
        self.live, self._ended_reported, self.started = True, False, time.monotonic()
        self._tracks, self._pending, self._subtitles, self._added = {}, None, None, 0
        self.player.audio_set_volume(self._volume[0])
        self.player.audio_set_mute(self._volume[1])
        self._show_window()
        old_player.audio_set_mute(True)
        old_player.video_set_marquee_int(vlc.VideoMarqueeOption.Enable, 0)
        spare.player, spare.media, spare.url, spare.purpose, spare.count = old_player, old_media, "", "", 0
        self.swaps += 1
        text, self.osd = self.osd, "\0"  # not a text shown: show_osd writes it (or hides the marquee) again
        self.show_osd(text)  # the banner over the new picture too

    def show_video(self, shown: bool) -> None:
        """Whether the frame shows video: the player's window is shown, or hidden so the menus show."""
        self._video_shown = shown
        self._show_window()

    def _show_window(self) -> None:
        if self.windows is not None:
            self.windows.show(self.players.index(self.player) if self._video_shown and self.media is not None
                              else None)

    def stop(self) -> None:
        """Stop playing and forget the media (the spare's too: nothing is watched to prepare beside)."""
        self.player.stop()
        if self.media is not None:
            self.media.release()
        self.media = None
        self._show_window()
        if self.spare is not None:
            self.spare.stop()
            self._wanted, self._upgrade_for = None, None

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
        self._volume = (level, muted)
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
        """Pictures shown since the current media came on screen (libVLC's statistics; a swapped-in channel's
        pictures drawn while it was hidden do not count)."""
        return max(0, pictures(self.media) - self._shown_from) if self.media is not None else 0

    def video_height(self) -> int:
        """The height of the picture on screen (0: none yet): 360 on the lowest rung, more at full quality."""
        size = self.player.video_get_size(0) if self.media is not None else None
        return size[1] if size else 0

    def standby(self) -> dict | None:
        """What the spare player does, for the status: {"url", "purpose", "ready", "swaps"} (None: no spare)."""
        if self.spare is None:
            return None
        spare = self.spare
        return {"url": spare.url, "purpose": spare.purpose, "ready": spare.ready(spare.purpose, spare.url),
                "swaps": self.swaps}

    def _poll_spare(self) -> None:
        """A spare that failed or froze stops, and is tried again later (each time twice as late, up to
        SPARE_RETRY_MAX_S): the full-quality stream of the channel on screen first, else the neighbour. A
        full-quality stream that shows is swapped in, and the lowest rung's player prepares the neighbour."""
        spare, now = self.spare, time.monotonic()
        spare.watch(now)
        if spare.failed(now):
            log.info("the prepared stream stopped (%s): %s; again in %.0f s", spare.purpose, spare.url, self._retry_s)
            spare.stop()
            self._retry_at, self._retry_s = now + self._retry_s, min(self._retry_s * 2, SPARE_RETRY_MAX_S)
        elif spare.purpose == UPGRADE and self.media is not None and spare.ready(UPGRADE, spare.url, now):
            self._swap()
            self._upgrade_for, self._retry_s = None, SPARE_RETRY_S
            if self._wanted is not None:
                self.prepare(*self._wanted)  # the lowest rung's player now prepares the neighbour
            else:
                spare.stop()
        elif spare.purpose == NEIGHBOUR and spare.ready(NEIGHBOUR, spare.url, now):
            self._retry_s = SPARE_RETRY_S
        elif not spare.purpose and self.live and self.media is not None and now >= self._retry_at:
            if self._upgrade_for is not None:
                spare.load(self.instance, self._upgrade_for, self._upgrade_for, UPGRADE, self.quality)
            elif self._wanted is not None:
                self.prepare(*self._wanted)

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
        if self.spare is not None:
            self._poll_spare()
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
