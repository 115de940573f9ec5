"""The TV client on a real X display (Xvfb), as a box with a desktop runs it: the menus drawn by SDL, then a
lecture's picture in libVLC's own full-screen window over them, then the menus again after Back. The screen
is read back with xwd: what a viewer would see, not what the client says it shows. This is the test that
fails when libVLC finds no video output (without Debian's vlc-plugin-video-output a desktop box plays the
sound over a blank screen)."""

from __future__ import annotations

import os
import select
import shutil
import struct
import subprocess
from datetime import UTC, datetime

import pytest

from server.core.channels_yaml import load_lineup
from server.web.context import current_lineup, get_db
from tests.conftest import REPO, pair_device
from tests.stb_client.conftest import publish_lecture, real_clock_app, tv_client
from tests.stb_client.test_client_headless import ARTIFACTS, press, until
from tests.support.channel_media import encode_programme
from tests.support.processes import wait_for

pytestmark = pytest.mark.slow
MENU = (0x0B, 0x1A, 0x2E)  # the menus' background


@pytest.fixture
def xvfb():
    """A virtual X display of 1280x720 for this test, on a number Xvfb chose free (-displayfd); its name (":N")."""
    readable, writable = os.pipe()
    server = subprocess.Popen([shutil.which("Xvfb") or "/usr/bin/Xvfb", "-displayfd", str(writable), "-screen", "0",
                               "1280x720x24", "-nolisten", "tcp"], pass_fds=(writable,),
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.close(writable)
    try:
        with os.fdopen(readable) as announced:
            ready, _, _ = select.select([announced], [], [], 15)
            assert ready, "Xvfb did not say which display it took"
            yield f":{announced.readline().strip()}"
    finally:
        server.terminate()
        server.wait(timeout=10)


def pixel(display: str, x: int, y: int) -> tuple[int, int, int]:
    """The colour at (x, y) of the whole X screen, read with xwd (ZPixmap, 32 bits a pixel, BGRX)."""
    dump = subprocess.run(["xwd", "-root", "-silent", "-display", display], capture_output=True, check=True,
                          timeout=10).stdout
    header_size, = struct.unpack(">I", dump[:4])
    width, = struct.unpack(">I", dump[16:20])
    colours, = struct.unpack(">I", dump[76:80])
    offset = header_size + colours * 12 + (y * width + x) * 4
    blue, green, red = dump[offset:offset + 3]
    return red, green, blue


def near(colour: tuple[int, int, int], target: tuple[int, int, int], tolerance: int = 24) -> bool:
    return all(abs(a - b) <= tolerance for a, b in zip(colour, target, strict=True))


@pytest.fixture(scope="module")
def bars(tmp_path_factory):
    """A 20 s lecture of SMPTE colour bars in the ladder's format (its first bar is light grey)."""
    return encode_programme(tmp_path_factory.mktemp("bars") / "lesson", load_lineup(REPO / "channels.yaml"), 20,
                            "smptebars", 440)


def test_a_lecture_shows_its_picture_over_the_menus_and_back_leaves_them(xvfb, bars, tmp_path):
    app = real_clock_app(tmp_path)
    with app.app_context():
        db, lineup = get_db(), current_lineup()
        publish_lecture(db, lineup, tmp_path / "media", bars, "支部党课：彩条", duration_s=20.0)
        _, token = pair_device(db, datetime.now(UTC))
    with tv_client(app, token, tmp_path / "stb", ARTIFACTS, ("--aout=dummy",), display=xvfb) as remote:
        until(remote, lambda s: s["ready"], "Home")
        wait_for(lambda: near(pixel(xvfb, 640, 700), MENU), 10, "the menus on the X screen")
        press(remote, "5", "1")  # 支部党课, its first item
        wait_for(lambda: pixel(xvfb, 60, 150)[0] > 150 and near(pixel(xvfb, 60, 150), (191, 191, 191), 40), 30,
                 "the colour bars on the X screen (libVLC's window over the menus)")
        press(remote, "back")
        wait_for(lambda: near(pixel(xvfb, 640, 700), MENU), 15, "the menus again once the video stops")
