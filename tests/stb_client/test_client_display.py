"""The TV client on a real X display (Xvfb), as a box with a desktop runs it. The screen is read back from the
X server: what a viewer would see, not what the client says it shows.
  - the menus drawn by SDL, a lecture's picture in the client's video window over them, the menus after Back
    (keys typed on the X server's keyboard, as a keyboard on the box);
    (this fails when libVLC finds no video output: without Debian's vlc-plugin-video-output a desktop box
    plays the sound over a blank screen);
  - the guide opened over live TV is seen (the video window is hidden while the menus show);
  - CH+ to the prepared neighbour: its picture, drawn hidden before the key, is what the screen shows after
    it, and the box goes on to full quality."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime, timedelta

import pytest

from server.core.channels_yaml import load_lineup
from server.web.context import current_lineup, get_db, station
from tests.conftest import REPO, pair_device
from tests.stb_client.conftest import publish_lecture, real_clock_app, tv_client
from tests.stb_client.test_client_headless import ARTIFACTS, press, until
from tests.support.channel_media import encode_programme
from tests.support.processes import wait_for
from tests.support.xdisplay import ScreenReader, near, virtual_display

pytestmark = pytest.mark.slow
MENU = (0x0B, 0x1A, 0x2E)  # the menus' background
BARS = (191, 191, 191)  # smptebars' first bar, at BAR_POINT
RED = (253, 0, 0)  # testsrc2 at the same point
BAR_POINT = (20, 300)  # testsrc2 keeps it red all along (its moving shapes pass elsewhere)
MENU_POINT = (640, 700)


@pytest.fixture
def screen():
    """A virtual X display of 1280x720 for this test and a reader of its pixels: (name, reader)."""
    with virtual_display("1280x720") as name:
        reader = ScreenReader(name)
        try:
            yield name, reader
        finally:
            reader.close()


@pytest.fixture(scope="module")
def bars(tmp_path_factory):
    """A 20 s lecture of SMPTE colour bars in the ladder's format (its first bar is light grey)."""
    return encode_programme(tmp_path_factory.mktemp("bars") / "lesson", load_lineup(REPO / "channels.yaml"), 20,
                            "smptebars", 440)


def test_a_lecture_shows_its_picture_over_the_menus_and_back_leaves_them(screen, bars, tmp_path):
    display, reader = screen
    app = real_clock_app(tmp_path)
    with app.app_context():
        db, lineup = get_db(), current_lineup()
        publish_lecture(db, lineup, tmp_path / "media", bars, "支部党课：彩条", duration_s=20.0)
        _, token = pair_device(db, datetime.now(UTC))
    with tv_client(app, token, tmp_path / "stb", ARTIFACTS, ("--aout=dummy",), display=display) as remote:
        until(remote, lambda s: s["ready"], "Home")
        wait_for(lambda: near(reader.pixel(*MENU_POINT), MENU), 10, "the menus on the X screen")
        # On the display's keyboard (SDL's own input, looked for every 100 ms until it is used): 支部党课, its first
        # item; then Back.
        reader.type_keys("5")
        until(remote, lambda s: s["view"] == "board", "the board, from a key typed on the X keyboard")
        reader.type_keys("1")
        wait_for(lambda: near(reader.pixel(*BAR_POINT), BARS, 40), 30,
                 "the colour bars on the X screen (the video window over the menus)")
        reader.type_keys("Escape")
        wait_for(lambda: near(reader.pixel(*MENU_POINT), MENU), 15, "the menus again once the video stops")


@pytest.fixture
def two_channels(tmp_path, lecture_40s, bars, channel_art):
    """A server whose channel 1 plays a test pattern (red at BAR_POINT) and channel 2 colour bars (grey there),
    both on the air, and a box token: (app, token)."""
    media = tmp_path / "media"
    shutil.copytree(channel_art / "channels", media / "channels")
    now = datetime.now(UTC)
    app = real_clock_app(tmp_path)
    with app.app_context():
        db, lineup = get_db(), current_lineup()
        publish_lecture(db, lineup, media, lecture_40s, "支部党课：测试图")  # channel 1's filler
        publish_lecture(db, lineup, media, bars, "科普：彩条", board_id="kepu", duration_s=20.0)  # channel 2's
        _, token = pair_device(db, now)
        station().keep_built(db, lineup, now - timedelta(seconds=30))
    return app, token


def watch_channel_one(remote: str, reader: ScreenReader) -> None:
    until(remote, lambda s: s["ready"] and s["view"] == "home", "Home")
    press(remote, "ch_up")
    until(remote, lambda s: s["view"] in ("viewers", "live"), "live TV (or who watches)")
    wait_for(lambda: near(reader.pixel(*BAR_POINT), RED, 40), 30, "channel 1's test pattern on the X screen")


def test_ch_up_to_the_prepared_neighbour_shows_its_picture_and_goes_on_to_full_quality(screen, two_channels,
                                                                                          tmp_path):
    display, reader = screen
    app, token = two_channels
    # --standby on: whatever memory the test machine has free; --max-height 0: the screen's, 720p
    with tv_client(app, token, tmp_path / "stb", ARTIFACTS, ("--aout=dummy",), display=display,
                   options=("--standby", "on", "--max-height", "0")) as remote:
        watch_channel_one(remote, reader)
        prepared = until(remote, lambda s: (s["standby"] or {}).get("ready"), "channel 2 prepared beside it")
        assert prepared["standby"] == {"url": prepared["playback"]["url"].replace("/1/", "/2/"),
                                       "purpose": "neighbour", "ready": True, "swaps": 0}
        assert prepared["video_height"] == 720, "the TV's full quality on screen (libVLC's own logic gave 360p)"
        assert near(reader.pixel(*BAR_POINT), RED, 40), "the prepared channel draws hidden: channel 1 is seen"
        press(remote, "ch_up")
        swapped = until(remote, lambda s: s["channel"] == 2, "channel 2 tuned")
        assert swapped["standby"]["purpose"] == "upgrade", "the prepared player was swapped in, not a cold start"
        assert swapped["standby"]["swaps"] == 1
        wait_for(lambda: near(reader.pixel(*BAR_POINT), BARS, 40), 5, "channel 2's colour bars on the X screen")
        # Full quality: the master playlist comes on screen, and channel 1 is prepared for CH+ again.
        upgraded = until(remote, lambda s: s["standby"]["purpose"] == "neighbour" and s["standby"]["url"].endswith(
            "/live/1/master.m3u8"), "the swap back to full quality, channel 1 prepared")
        assert upgraded["standby"]["swaps"] == 2 and upgraded["channel"] == 2
        until(remote, lambda s: s["video_height"] == 720, "720p on screen again")
        assert near(reader.pixel(*BAR_POINT), BARS, 40), "still channel 2 after the swap to full quality"
        press(remote, "back")  # leaving live TV: nothing to prepare beside it
        until(remote, lambda s: s["view"] == "home" and (s["standby"]["url"], s["standby"]["purpose"]) == ("", ""),
              "the spare player stopped on Home")
        wait_for(lambda: near(reader.pixel(*MENU_POINT), MENU), 10, "the menus on the X screen")


def test_the_guide_over_live_tv_is_seen_and_back_shows_the_channel_again(screen, two_channels, tmp_path):
    display, reader = screen
    app, token = two_channels
    with tv_client(app, token, tmp_path / "stb", ARTIFACTS, ("--aout=dummy",), display=display,
                   options=("--standby", "off")) as remote:
        watch_channel_one(remote, reader)
        assert status_standby(remote) is None, "--standby off: one player"
        press(remote, "menu")
        until(remote, lambda s: s["view"] == "guide", "the guide")
        wait_for(lambda: near(reader.pixel(*MENU_POINT), MENU), 10, "the guide's menus on the X screen, not video")
        press(remote, "back")
        wait_for(lambda: near(reader.pixel(*BAR_POINT), RED, 40), 10, "channel 1's picture again")


def status_standby(remote: str):
    return until(remote, lambda s: "standby" in s, "the status")["standby"]
