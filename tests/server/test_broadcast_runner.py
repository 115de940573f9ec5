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


def test_a_gap_slate_announces_the_next_programme_once_drawn(tmp_path):
    from datetime import timedelta

    from server import broadcast, schedule
    from server.cards import find_cjk_font

    media = tmp_path / "media"
    now = datetime(2026, 11, 23, 11, 20, 7, tzinfo=UTC)
    app = create_app({"DATABASE": str(tmp_path / "k.db"), "MEDIA_ROOT": str(media), "SLATE_SECONDS": 2},
                     clock=lambda: now)
    with app.app_context():
        db, lineup = get_db(), current_lineup()
        broadcast.ensure_art(lineup, find_cjk_font())
        lesson = add_video(db, lineup, media, board_id="dangke", title="支部党课", seconds=60, state="draft")
        schedule.add_entry(db, lineup, channel=1, item_id=lesson, start=datetime(2026, 11, 23, 11, 30, tzinfo=UTC),
                           important=False, now=now, zone="Asia/Shanghai")
        broadcast.keep_built(db, lineup, now)
        before = broadcast.playlists(db, lineup, lineup.channels[0], now).media["720p"]
        assert "/media/channels/1/slate/" in before
        assert broadcast.draw_next_slates(db, lineup, find_cjk_font(), now) == [1]
        # What players were told stays; from the next segment on, the slate names 19:30 支部党课.
        assert broadcast.playlists(db, lineup, lineup.channels[0], now).media["720p"] == before
        later = broadcast.playlists(db, lineup, lineup.channels[0], now + timedelta(seconds=6)).media["720p"]
        assert "/media/slates/1/" in later
        drawn = list((media / "slates" / "1").iterdir())
        assert len(drawn) == 1 and (drawn[0] / "720p" / "index.m3u8").is_file()
        assert broadcast.draw_next_slates(db, lineup, find_cjk_font(), now) == []  # drawn once
