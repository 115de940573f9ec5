"""The real client plays for real: libVLC (dummy output) plays a video from its resume point and a
live channel through a zap, driven through the HTTP remote against a loopback server."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime, timedelta

import pytest

from server.catalogue.positions import save_position
from server.ingest.subtitles import save_subtitles
from server.web.context import current_lineup, get_db, station
from tests.conftest import pair_device
from tests.stb_client.conftest import publish_lecture, real_clock_app, tv_client
from tests.stb_client.test_client_headless import ARTIFACTS, press, screenshot, until
from tests.support.processes import wait_for

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def encoded(lecture_40s, channel_art):
    return lecture_40s, channel_art


@pytest.fixture
def client(tmp_path, encoded):
    lesson_dir, art = encoded
    media = tmp_path / "media"
    shutil.copytree(art / "channels", media / "channels")
    now = datetime.now(UTC)
    app = real_clock_app(tmp_path)
    with app.app_context():
        db, lineup = get_db(), current_lineup()
        item = publish_lecture(db, lineup, media, lesson_dir, "支部党课")
        save_subtitles(db, media, item, "zh", "中文", "1\n00:00:19,000 --> 00:00:40,000\n同志们好\n".encode())
        device, token = pair_device(db, now)
        save_position(db, device, item, 20.0, 40.0, now)
        station().keep_built(db, lineup, now - timedelta(seconds=30))  # both channels on the air: filler
    with tv_client(app, token, tmp_path / "stb", ARTIFACTS) as remote:
        yield remote, app, device


def playing_reported(app, device: int) -> tuple[int | None, int | None]:
    with app.app_context():
        return tuple(get_db().execute("SELECT playing_channel, playing_item_id FROM devices WHERE id = ?",
                                      [device]).fetchone())


def test_a_video_resumes_and_a_live_channel_survives_a_zap(client):
    remote, app, device = client
    until(remote, lambda s: s["ready"], "Home")
    press(remote, "5", "1")
    playing = until(remote, lambda s: s["view"] == "player" and s["displayed_pictures"] >= 25, "the video's pictures")
    assert playing["playback"]["position_s"] >= 19.0, "started from the resume point (20 s)"
    subtitled = until(remote, lambda s: s["subtitle_track"] >= 0, "the subtitles on by default")
    assert subtitled["playback"]["subtitles"]
    press(remote, "yellow")  # the yellow key turns them off in libVLC, and on again
    until(remote, lambda s: s["subtitle_track"] == -1 and not s["playback"]["subtitles"], "the subtitles off")
    press(remote, "yellow")
    until(remote, lambda s: s["subtitle_track"] >= 0, "the subtitles on again")
    screenshot(remote, "player")
    press(remote, "back", "home", "ch_up")
    live = until(remote, lambda s: s["view"] == "live" and s["displayed_pictures"] >= 25, "channel 1's pictures")
    assert live["channel"] == 1
    press(remote, "ch_up")
    zapped = until(remote, lambda s: s["channel"] == 2 and s["displayed_pictures"] >= 25, "channel 2 after the zap")
    assert zapped["playback"]["url"].endswith("/live/2/master.m3u8")
    # libVLC's own window shows the banner over the picture (its marquee is the on-screen display).
    banner = until(remote, lambda s: s["osd"].startswith("2  "), "the banner over channel 2's picture")
    assert banner["osd_shown"], "libVLC's marquee is on"
    # The administrators' list of boxes shows what this one is watching.
    wait_for(lambda: playing_reported(app, device) == (2, None), 10, "the box to report channel 2")
