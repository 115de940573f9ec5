"""The channel jobs of `keting serve`: slates drawn, timelines built, playlists written at each boundary."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from server import create_app
from server.broadcast_runner import BroadcastRunner
from server.context import current_lineup, get_db
from tests.support.fake_vod import add_video
from tests.support.processes import wait_for

pytestmark = pytest.mark.slow


def newest_segment(path: Path) -> int | None:
    """The media sequence number of a playlist's last segment (the window fills up first)."""
    try:
        text = path.read_text()
    except OSError:
        return None
    found = re.search(r"#EXT-X-MEDIA-SEQUENCE:(\d+)", text)
    return int(found.group(1)) + text.count("#EXTINF:") - 1 if found else None


def test_runner_draws_slates_builds_and_writes_playlists_at_each_boundary(tmp_path):
    media = tmp_path / "media"
    app = create_app({"DATABASE": str(tmp_path / "k.db"), "MEDIA_ROOT": str(media), "SLATE_SECONDS": 2,
                      "RECONCILE_INTERVAL": 3600}, clock=lambda: datetime.now(UTC))
    with app.app_context():
        add_video(get_db(), current_lineup(), media, board_id="dangke", title="党课", seconds=30)
    runner = BroadcastRunner(app)
    runner.start()
    try:
        playlist = media / "live" / "1" / "720p.m3u8"
        first = wait_for(lambda: newest_segment(playlist), deadline_s=120, what="channel 1 playlist written")
        # The next boundary is at most one segment away: the file moves on by itself.
        second = wait_for(lambda: (n := newest_segment(playlist)) is not None and n > first and n, deadline_s=5,
                          what="playlist rewritten at the next segment boundary")
        assert second == first + 1
        assert (media / "channels" / "1" / "logo.png").is_file()
        assert (media / "live" / "2" / "master.m3u8").is_file()  # the slate alone keeps channel 2 on the air
        assert "/media/vod/1/720p/seg_" in playlist.read_text()
    finally:
        runner.stop()
