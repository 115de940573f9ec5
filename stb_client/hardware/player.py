"""Playback with libVLC: one instance and one media player for the client's life.

A new media on the same player starts in about 0.3 s; a new instance per zap
took 0.6-0.9 s (docs/architecture.md, "Measured"). The player is polled from the main
loop: its reports become the reducer's events. For live channels libVLC's
time is not a position (it drops to 0 at each discontinuity), so only video
on demand reports positions.
"""

from __future__ import annotations

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
        self.player.set_media(media)
        if subtitles_url:
            self.player.add_slave(vlc.MediaSlaveType.subtitle, subtitles_url, True)
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

    def show_subtitles(self, on: bool) -> None:
        """Show the subtitle track added last (the viewer's size), or hide subtitles."""
        if not on:
            self.player.video_set_spu(-1)
        else:
            tracks = [track for track in (self.player.video_get_spu_description() or []) if track[0] >= 0]
            if tracks:
                self.player.video_set_spu(max(track[0] for track in tracks))

    def set_subtitles(self, url: str) -> None:
        """Add a subtitle track (the same subtitles at another size) to what plays, and show it."""
        if self.media is not None:
            self.player.add_slave(vlc.MediaSlaveType.subtitle, url, True)

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
