"""The client's shell: one loop that turns input into events, events into state, state into frames.

Everything decided is decided by the reducer (navigation.py); here are the
edges: the keyboard (pygame), the HTTP remote, the server (sync.py), the
player (player.py) and the screen (renderer.py). The loop never exits on
its own: a failed request or stream becomes an event the reducer answers.
"""

from __future__ import annotations

import logging
import queue
import sqlite3
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from stb_client.hardware.interfaces import Player, Screen
from stb_client.hardware.key_input import KeyTranslator
from stb_client.link.cache import AnswerCache
from stb_client.link.server_api import ApiError, ServerApi, Unreachable
from stb_client.link.sync import ServerSync
from stb_client.ui.keys import KEYBOARD, Key
from stb_client.ui.model import (
    SUBTITLE_SIZES,
    Paired,
    PairingStarted,
    Play,
    Prepare,
    ReadAloud,
    ReportPlaying,
    SeekTo,
    SetPaused,
    SetSubtitles,
    SetVolume,
    ShowSubtitles,
    State,
    Stop,
    StopReading,
    Tick,
)
from stb_client.ui.navigation import reduce
from stb_client.ui.render_model import render

log = logging.getLogger(__name__)
TICK_SECONDS = 0.1
# The loop sleeps on its queue: remotes (IR, HDMI-CEC, HTTP) and the server link wake it at once. Only SDL's own
# keyboard must be looked for: every 100 ms (the tick) until a key comes from it, then every 20 ms while it is in use.
# Looking every 20 ms always cost about 1 point of a core while watching (bench/stb.py: 9.4 % against 8.6 %),
# most of what the client spent beyond plain libVLC.
KEYBOARD_POLL_S = 0.02
KEYBOARD_IN_USE_S = 600.0
PICTURE_POLL_S = 0.002  # while a new channel's first picture is awaited, so the zap measure is exact to a few ms


# What the box remembers across restarts (State fields, kept in the cache as they change).
PREFERENCES = ("volume", "muted", "last_channel", "subtitle_size")


def remembered(preferences: dict[str, object]) -> State:
    """The state a box starts in: its kept preferences, each checked (a damaged value is left at its default)."""
    volume, muted, channel, subtitle_size = (preferences.get(name) for name in PREFERENCES)
    found: dict[str, object] = {}
    if isinstance(volume, int) and not isinstance(volume, bool) and 0 <= volume <= 100:
        found["volume"] = volume
    if isinstance(muted, bool):
        found["muted"] = muted
    if isinstance(channel, int) and not isinstance(channel, bool) and 1 <= channel <= 999:
        found["last_channel"] = channel
    if subtitle_size in SUBTITLE_SIZES:
        found["subtitle_size"] = subtitle_size
    return State(**found)


def clock_text(zone: str) -> str:
    """Now as HH:MM in the server's zone (the guide's times), the box's own before it is known."""
    if zone:
        try:
            return datetime.now(ZoneInfo(zone)).strftime("%H:%M")
        except (KeyError, ValueError):
            pass
    return time.strftime("%H:%M")


@dataclass(frozen=True)
class KeyPressed:
    """A key from any remote, with when it arrived (the key-to-frame measure starts there)."""

    key: Key
    at: float


@dataclass(frozen=True)
class ScreenshotWanted:
    """The HTTP remote asks for the screen as a PNG at `path`; `done` is set once it is saved."""

    path: str
    done: threading.Event = field(compare=False)


class ClientApp:
    """The box: `screen` draws frames (None: render only), `player` plays (None: nothing plays), `api` talks to
    the server, `cache` keeps its answers and preferences."""

    def __init__(self, api: ServerApi, screen: Screen | None, player: Player | None,
                 save_token: Callable[[str], None] = lambda _t: None, remote_port: int | None = None,
                 serial: str = "keting-stb", version: str = "dev",
                 cache: AnswerCache | None = None, screenshot_dir: Path | None = None):
        self.api, self.screen, self.player = api, screen, player
        self.save_token, self.serial, self.version = save_token, serial, version
        self.events: queue.Queue = queue.Queue()
        self.cache = cache
        self.state = remembered(cache.preferences() if cache is not None else {})
        self.sync = ServerSync(api, self.events.put, cache)
        self.frame = None
        self.snapshot: dict = {}
        self._clock: tuple[int, str, str] = (-1, "", "")  # (minute, zone, HH:MM): the clock text once a minute
        self.key_latencies: list[float] = []
        self.zap_latencies: list[float] = []  # key to the first picture of what it started
        self._awaiting_picture: float | None = None
        self._last_key_at: float | None = None
        self.stopping = threading.Event()
        self._signalled = False  # SIGTERM came (stop_from_signal)
        self._pending_keys: list[float] = []
        self.keyboard_keys = KeyTranslator(self.press)
        self._keyboard_used_at = float("-inf")  # when SDL's keyboard last gave a key
        self.screenshot_dir = screenshot_dir or Path("screenshots")
        self.remote = None
        if remote_port is not None:
            from stb_client.hardware.http_remote import HttpRemote

            self.remote = HttpRemote(self.press, lambda: self.snapshot, self._screenshot, remote_port)

    # ---- inputs ------------------------------------------------------------------------

    def press(self, key: Key) -> None:
        """A key from any remote (thread-safe); its arrival time starts the key-to-frame measure."""
        self.events.put(KeyPressed(key, time.monotonic()))

    def _screenshot(self, name: str) -> Path:
        """Save the screen as `name` (a plain file name, checked by the remote) in the screenshot folder."""
        path = self.screenshot_dir / Path(name).name
        path.parent.mkdir(parents=True, exist_ok=True)
        done = threading.Event()
        self.events.put(ScreenshotWanted(str(path), done))
        done.wait(10)
        return path

    def _keyboard(self) -> None:
        import pygame

        for event in pygame.event.get():
            if event.type in (pygame.WINDOWEXPOSED, pygame.VIDEOEXPOSE):  # a video window hidden: draw again
                self.screen.dirty = True
            elif event.type in (pygame.KEYDOWN, pygame.KEYUP):
                key = KEYBOARD.get(pygame.key.name(event.key))
                if key is not None:
                    self._keyboard_used_at = time.monotonic()
                    if event.type == pygame.KEYDOWN:
                        self.keyboard_keys.down(key)
                    else:
                        self.keyboard_keys.up(key)

    def _pair_in_background(self) -> None:
        def pair() -> None:
            while not self.stopping.is_set():
                try:
                    registration = self.api.register(self.serial, "", self.version)
                    self.events.put(PairingStarted(registration["pairing_code"]))
                    while not self.stopping.is_set():
                        answer = self.api.poll_token(registration["device_code"])
                        if answer["status"] == "approved":
                            self.api.token = answer["token"]
                            self.save_token(answer["token"])
                            self.events.put(Paired())
                            return
                        self.stopping.wait(answer.get("interval", 5))
                except (Unreachable, ApiError) as error:
                    log.info("pairing: %s", error)
                    self.stopping.wait(5)
        threading.Thread(target=pair, name="pairing", daemon=True).start()

    # ---- effects -----------------------------------------------------------------------

    def _carry_out(self, effect: object) -> None:
        if self.sync.handles(effect):  # fetches and reports go to the server, off this thread
            self.sync.request(effect)
            return
        if self.player is None:  # no player (the menus alone): nothing plays
            return
        playing_live = self.state.playback is not None and self.state.playback.channel is not None
        match effect:
            case Play(url=url, start_s=start, subtitles_url=subtitles):
                self.player.play(url, start, subtitles, live=playing_live)
                self._awaiting_picture = self._last_key_at or time.monotonic()
                playback = self.state.playback
                if playback is not None:  # for the administrators' list of boxes
                    self.sync.request(ReportPlaying(playback.channel, playback.item_id))
            case Prepare(url=url, lowest_url=lowest):
                self.player.prepare(url, lowest)
            case Stop():
                self.player.stop()
                self.sync.request(ReportPlaying(None, None))
            case SeekTo(position_s=position):
                self.player.seek(position)
            case SetPaused(paused=paused):
                self.player.set_paused(paused)
            case ShowSubtitles(on=on):
                self.player.show_subtitles(on)
            case SetVolume(level=level, muted=muted):
                self.player.set_volume(level, muted)
            case SetSubtitles(url=url):
                self.player.set_subtitles(url)
            case ReadAloud(url=url, start_s=start):
                self.player.read_aloud(url, start)
            case StopReading():
                self.player.stop_reading()
            case _:
                log.warning("no one carries out %r", effect)

    def apply(self, event: object, now: float) -> None:
        """Reduce `event` into the state and carry out its effects; a failing effect is logged, not raised."""
        before = self.state
        try:
            self.state, effects = reduce(self.state, event, now)
        except Exception:  # a reducer bug must not end the client: the event is dropped, the screen stays
            log.exception("event %r could not be handled", event)
            return
        self._remember(before, self.state)
        for effect in effects:
            try:
                self._carry_out(effect)
            except Exception:  # a player or network fault must never end the client
                log.exception("effect %s failed", effect)

    def restore_player(self) -> None:
        """Give the player the volume and mute the box was left with (libVLC keeps them before anything plays,
        with a real audio output)."""
        if self.player is not None:
            self._carry_out(SetVolume(self.state.volume, self.state.muted))

    def _remember(self, before: State, after: State) -> None:
        """Keep the preferences that changed (a volume key, a channel tuned) for the next start."""
        if self.cache is None:
            return
        for name in PREFERENCES:
            if getattr(after, name) != getattr(before, name):
                try:
                    self.cache.keep_preference(name, getattr(after, name))
                except sqlite3.Error:  # a full or broken flash: the box goes on, it only forgets
                    log.exception("preference %s not kept", name)

    # ---- the loop ----------------------------------------------------------------------

    def _clock_text(self) -> str:
        """The clock's HH:MM, worked out again only when the minute or the zone changes (the loop draws often)."""
        minute, zone = int(time.time() // 60), self.state.zone
        if self._clock[:2] != (minute, zone):
            self._clock = (minute, zone, clock_text(zone))
        return self._clock[2]

    def _draw(self, now: float) -> None:
        frame = render(self.state, now, self._clock_text())
        if frame != self.frame or (self.screen is not None and self.screen.dirty):
            self.frame = frame
            if self.player is not None:
                # The video window is hidden before the menus are drawn: SDL's drawing under a shown window is lost.
                self.player.show_video(frame.video)
            if self.screen is not None:
                self.screen.draw(frame)
            if self.player is not None:  # over video, libVLC's own window shows the same words
                self.player.show_osd("\n".join(label.text for label in frame.labels) if frame.video else "")
        drawn = time.monotonic()
        self.key_latencies += [drawn - pressed for pressed in self._pending_keys]
        self._pending_keys.clear()
        state, screen, playback = self.state, self.state.screen, self.state.playback
        self.snapshot = {
            "view": screen.view.value, "focus": screen.focus, "board_id": screen.board_id, "page": screen.page,
            "item_id": screen.item_id, "channel": screen.channel, "digits": state.digits,
            "offline": state.offline, "texts": [label.text for label in frame.labels],
            "pairing_code": state.pairing_code,
            "playback": None if playback is None else {"url": playback.url, "item_id": playback.item_id,
                                                       "channel": playback.channel,
                                                       "position_s": playback.position_s,
                                                       "subtitles": playback.subtitles},
            "displayed_pictures": self.player.displayed_pictures() if self.player else 0,
            "reading_s": self.player.reading_position() if self.player else None,
            "standby": self.player.standby() if self.player else None,
            "video_height": self.player.video_height() if self.player else 0,
            "osd": self.player.osd if self.player else "",
            "osd_shown": self.player.osd_shown() if self.player else False,
            "subtitle_size": state.subtitle_size,
            "subtitle_track": self.player.subtitle_track() if self.player else -1,
            "ready": bool(state.boards) or screen.view.value == "pairing",
            "key_latency_ms": [round(latency * 1000, 2) for latency in self.key_latencies[-200:]],
            "zap_ms": [round(latency * 1000, 1) for latency in self.zap_latencies[-50:]],
        }

    def run(self) -> None:
        """Until stop(): read input, reduce, carry out, draw."""
        self.sync.start()
        self.restore_player()
        if self.remote is not None:
            self.remote.start()
        if self.api.token is None:
            self._pair_in_background()
        else:
            self.apply(Paired(), time.monotonic())
            self.sync.show_cached()  # Home at once from the last answers; the network refreshes it
        next_tick = time.monotonic()
        try:
            while not self.stopping.is_set():
                if self._signalled:
                    self.stopping.set()
                    break
                if self.screen is not None:
                    self._keyboard()
                try:
                    wait = (PICTURE_POLL_S if self._awaiting_picture is not None
                            else KEYBOARD_POLL_S if time.monotonic() - self._keyboard_used_at < KEYBOARD_IN_USE_S
                            else TICK_SECONDS)
                    item = self.events.get(timeout=max(0.0, min(wait, next_tick - time.monotonic())))
                except queue.Empty:
                    item = None
                now = time.monotonic()
                if isinstance(item, ScreenshotWanted):
                    self._draw(now)
                    if self.screen is not None:
                        self.screen.save(Path(item.path))
                    item.done.set()
                elif isinstance(item, KeyPressed):
                    self._pending_keys.append(item.at)
                    self._last_key_at = item.at
                    self.apply(item.key, now)
                    self._last_key_at = None
                elif item is not None:
                    self.apply(item, now)
                if self._awaiting_picture is not None and self.player and self.player.displayed_pictures() > 0:
                    self.zap_latencies.append(time.monotonic() - self._awaiting_picture)
                    self._awaiting_picture = None
                ticked = now >= next_tick
                if ticked:
                    next_tick = now + TICK_SECONDS
                    for report in self.player.poll() if self.player else ():
                        self.apply(report, now)
                    self.apply(Tick(), now)
                if item is not None or ticked:  # nothing happened: nothing to draw (saves the CPU)
                    self._draw(now)
        finally:
            self.sync.stop()
            if self.remote is not None:
                self.remote.stop()

    def stop(self) -> None:
        """Ask run()'s loop to end."""
        self.stopping.set()

    def stop_from_signal(self) -> None:
        """Ask run()'s loop to end, from a signal handler: a flag the loop reads at its next wake (0.1 s at most),
        no lock. Event.set takes one, and a second SIGTERM handled inside the first waited on it for ever."""
        self._signalled = True
