"""The channel jobs of `keting serve`: slates drawn, timelines built, playlists written at each boundary."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from server import create_app
from server.core.db import write_transaction
from server.core.timestamps import format_utc
from server.web.context import current_lineup, get_db
from tests.support.fake_vod import add_video
from tests.support.media_probe import newest_segment
from tests.support.processes import wait_for
from tests.support.runners import broadcast_runner

pytestmark = pytest.mark.slow


def test_runner_draws_slates_builds_and_writes_playlists_at_each_boundary(tmp_path):
    media = tmp_path / "media"
    app = create_app({"DATABASE": str(tmp_path / "k.db"), "MEDIA_ROOT": str(media), "SLATE_SECONDS": 2,
                      "RECONCILE_INTERVAL": 3600}, clock=lambda: datetime.now(UTC))
    with app.app_context():
        db = get_db()
        item = add_video(db, current_lineup(), media, board_id="dangke", title="党课", seconds=30)
        with write_transaction(db):  # a check-in programme that ended yesterday: its watchers are kept
            db.execute("""INSERT INTO schedule_entries (channel, item_id, title, start_at, end_at, created_at,
                          updated_at, checkin_minutes) VALUES (1, ?, '主题党日', ?, ?, '', '', 15)""",
                       [item, format_utc(datetime.now(UTC) - timedelta(days=1)),
                        format_utc(datetime.now(UTC) - timedelta(days=1) + timedelta(hours=1))])
    runner = broadcast_runner(app)
    runner.start()
    try:
        playlist = media / "live" / "1" / "720p.m3u8"
        first = wait_for(lambda: newest_segment(playlist), deadline_s=120, what="channel 1 playlist written")
        with app.app_context():
            wait_for(lambda: get_db().execute("SELECT count(*) FROM checkin_settled").fetchone()[0] == 1,
                     deadline_s=30, what="the ended check-in programme kept by the reconcile")
        # The next boundary is at most one segment away: the file moves on by itself.
        second = wait_for(lambda: (n := newest_segment(playlist)) is not None and n > first and n, deadline_s=5,
                          what="playlist rewritten at the next segment boundary")
        assert second == first + 1
        assert (media / "channels" / "1" / "logo.png").is_file()
        assert (media / "live" / "2" / "master.m3u8").is_file()  # the slate alone keeps channel 2 on the air
        assert "/vod/1/720p/seg_" in playlist.read_text() and "/media/s/" in playlist.read_text()
    finally:
        runner.stop()


def test_a_short_gap_gets_a_clip_with_a_running_clock_and_the_timeline_stays(tmp_path):
    from server.broadcast import schedule
    from server.broadcast.segments import load_media
    from server.ingest.cards import find_cjk_font
    from server.web.context import station

    media = tmp_path / "media"
    now = datetime(2026, 11, 23, 11, 21, 57, tzinfo=UTC)
    app = create_app({"DATABASE": str(tmp_path / "k.db"), "MEDIA_ROOT": str(media), "SLATE_SECONDS": 2,
                      "SLATE_CLOCK_SECONDS": 10, "PLAYOUT_HORIZON_HOURS": 1}, clock=lambda: now)
    with app.app_context():
        db, lineup = get_db(), current_lineup()
        station().ensure_art(lineup, find_cjk_font())
        first = add_video(db, lineup, media, board_id="dangke", title="党课上", seconds=60, state="draft")
        second = add_video(db, lineup, media, board_id="dangke", title="党课下", seconds=60, state="draft")
        for item, start in ((first, datetime(2026, 11, 23, 11, 22, 0, tzinfo=UTC)),
                            (second, datetime(2026, 11, 23, 11, 23, 10, tzinfo=UTC))):
            schedule.add_entry(db, lineup, channel=1, item_id=item, start=start, important=False, now=now,
                               zone="Asia/Shanghai")
        station().keep_built(db, lineup, now)

        def timeline(channel=1):
            return db.execute("SELECT start_ms, end_ms, seq, disc, kind, media_path FROM playout WHERE channel = ? "
                              "ORDER BY start_ms", [channel]).fetchall()
        before = timeline()
        gap = next(row for row in before if row["kind"] == "slate" and row["start_ms"] > 1795432920000)
        assert gap["end_ms"] - gap["start_ms"] == 10_000 and gap["media_path"] == "channels/1/slate/master.m3u8"
        assert station().draw_gap_slates(db, lineup, find_cjk_font(), now) == [1, 2]
        after = timeline()
        # The same timeline (times and media sequence); only discontinuity numbers ahead change,
        # since a clip played once has no loop points.
        assert [(*tuple(r)[:3], r["kind"]) for r in after] == [(*tuple(r)[:3], r["kind"]) for r in before]
        clip = next(row for row in after if row["start_ms"] == gap["start_ms"])
        assert clip["media_path"].startswith("slates/1/clock-")
        assert load_media(media, clip["media_path"]).durations_ms == (2000,) * 5
        # Channel 2 has nothing to show: its gap comes in 10 s pieces, the next one drawn first.
        pieces = [row for row in timeline(2) if row["start_ms"] > 1795432917000]
        assert pieces[0]["media_path"].startswith("slates/2/clock-")
        assert all(row["end_ms"] - row["start_ms"] <= 12_000 for row in pieces)
        # What players were told stays: the pieces on air keep the looped slate.
        on_air = [row for row in timeline(2) if row["start_ms"] <= 1795432917000 < row["end_ms"]]
        assert on_air[0]["media_path"] == "channels/2/slate/master.m3u8"
        # The next sweep draws the next piece of each channel, and leaves the ones drawn alone.
        drawn = sorted(path.name for path in media.glob("slates/*/clock-*"))
        station().draw_gap_slates(db, lineup, find_cjk_font(), now)
        again = sorted(path.name for path in media.glob("slates/*/clock-*"))
        assert set(drawn) < set(again) and len(again) == len(drawn) + 2
        assert next(r for r in timeline() if r["start_ms"] == gap["start_ms"])["media_path"] == clip["media_path"]
