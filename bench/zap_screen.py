"""Channel changes timed on a real X display (Xvfb), from the key to the new channel's picture on the screen.

libVLC's own picture counters are updated about every 0.28 s, too coarse for a change that is meant to take
less than 0.1 s, and a prepared channel's pictures were drawn before the key (hidden). So here the bench reads
one pixel of the X screen every 2 ms (a round trip to the X server, about 0.1 ms) until it shows the channel
pressed for: channel 1 plays a test pattern (red at POINT), channel 2 its negative (cyan there).
The same measure is taken of the client with a prepared neighbour, the client without one (a cold zap), and
plain libVLC drawing into a window of the same size (a new media per zap on one player).
"""

from __future__ import annotations

import time

from stb_client.hardware.player import quality_options
from tests.support.xdisplay import ScreenReader, near

QUALITY = quality_options(720)  # the rung the client on the 1280x720 screen plays
POINT = (20, 300)  # a point testsrc2 keeps red all along (its moving shapes pass elsewhere)
COLOURS = {1: (253, 0, 0), 2: (2, 255, 255)}  # testsrc2 and its negative at POINT
TOLERANCE = 48
STEP_S = 0.002
DEADLINE_S = 10.0


def showing(reader: ScreenReader, channel: int) -> bool:
    """Whether the screen shows `channel`'s picture at POINT."""
    return near(reader.pixel(*POINT), COLOURS[channel], TOLERANCE)


def until_showing(reader: ScreenReader, channel: int, since: float) -> float:
    """Seconds from `since` until the screen shows `channel` (polled every STEP_S, at most DEADLINE_S)."""
    while time.monotonic() - since < DEADLINE_S:
        if showing(reader, channel):
            return time.monotonic() - since
        time.sleep(STEP_S)  # polling the X screen, bounded by the deadline
    raise SystemExit(f"channel {channel} did not show on the X screen within {DEADLINE_S} s")


def client_zaps(reader: ScreenReader, press, status, zaps: int, prepared: bool) -> list[float]:
    """CH+ `zaps` times on a client already showing channel 1; with `prepared`, each once the next channel is
    ready beside it (as a viewer who has watched a moment), and checked to have been a swap of the players.
    Seconds from the key to the new channel on screen."""
    times, channel = [], 1
    for _ in range(zaps):
        time.sleep(1.0)  # watch a moment, as a viewer would
        channel = 2 if channel == 1 else 1
        swaps = prepared_for(status, channel) if prepared else 0
        pressed = time.monotonic()
        press("ch_up")
        times.append(until_showing(reader, channel, pressed))
        end = time.monotonic() + 2.0  # the status follows the screen by a frame of the client's loop
        while prepared and status()["standby"]["swaps"] <= swaps:
            if time.monotonic() > end:
                raise SystemExit("CH+ to the prepared channel was not a swap of the players")
            time.sleep(0.01)  # polling the client's status, bounded by the deadline
    return times


def prepared_for(status, channel: int) -> int:
    """Wait until `channel` is ready on the spare player as the neighbour; the swaps made so far."""
    end = time.monotonic() + DEADLINE_S
    while time.monotonic() < end:
        standby = status()["standby"]
        if standby["purpose"] == "neighbour" and standby["url"].endswith(f"/live/{channel}/master.m3u8") \
                and standby["ready"]:
            return standby["swaps"]
        time.sleep(0.01)  # polling the client's status, bounded by the deadline
    raise SystemExit(f"channel {channel} was not prepared in time")


def plain_vlc_zaps(display: str, base_url: str, zaps: int) -> list[float]:
    """The reference: plain libVLC (one instance and player, a new media per zap) drawing into an X window the size
    of the screen, timed the same way."""
    import vlc
    from Xlib import X
    from Xlib import display as xdisplay

    connection = xdisplay.Display(display)
    screen = connection.screen()
    window = screen.root.create_window(0, 0, screen.width_in_pixels, screen.height_in_pixels, 0, screen.root_depth,
                                       X.InputOutput, X.CopyFromParent, background_pixel=screen.black_pixel,
                                       override_redirect=True)
    window.map()
    connection.sync()
    reader = ScreenReader(display)
    instance = vlc.Instance("--aout=dummy", "--quiet", "--network-caching=1000", "--no-video-title-show",
                            f"--x11-display={display}")
    player = instance.media_player_new()
    player.set_xwindow(window.id)
    times = []
    try:
        player.set_media(instance.media_new(f"{base_url}/live/1/master.m3u8", *QUALITY))
        player.play()
        until_showing(reader, 1, time.monotonic())
        channel = 1
        for _ in range(zaps):
            time.sleep(1.0)
            channel = 2 if channel == 1 else 1
            pressed = time.monotonic()
            player.set_media(instance.media_new(f"{base_url}/live/{channel}/master.m3u8", *QUALITY))
            player.play()
            times.append(until_showing(reader, channel, pressed))
    finally:
        player.stop()
        player.release()
        instance.release()
        reader.close()
        window.destroy()
        connection.close()
    return times
