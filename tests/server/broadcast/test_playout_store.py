"""Channel timelines in SQLite: built ahead, never rewritten once started, the same in every process."""

from __future__ import annotations

import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from server import create_app
from server.broadcast import playout_store, schedule
from server.core.timestamps import from_ms, to_ms
from server.web.context import current_lineup, get_db, station
from tests.conftest import REPO
from tests.support.fake_vod import add_video, prepare_channels


@pytest.fixture
def items(app):
    return prepare_channels(app)


def rows_of(db, channel=1):
    return [tuple(row) for row in db.execute("SELECT * FROM playout WHERE channel = ? ORDER BY start_ms", [channel])]


def test_first_build_fills_the_horizon_with_filler_in_rotation(app, clock, items):
    with app.app_context():
        db, lineup = get_db(), current_lineup()
        assert station().keep_built(db, lineup, clock.now) == [1, 2]
        rows = playout_store.listings(db, 1, 0, 2**62)
        assert rows[0].start_ms <= to_ms(clock.now)
        assert rows[-1].end_ms >= to_ms(clock.now + timedelta(hours=48))
        assert [r.title for r in rows[:4]] == ["党课片段", "教育片", "党课片段", "教育片"]
        # Channel 2's filler boards (kepu, wenyu) have nothing: the slate fills it.
        assert {r.kind for r in playout_store.listings(db, 2, 0, 2**62)} == {"slate"}
        assert station().keep_built(db, lineup, clock.now) == []  # nothing changed


def test_a_new_entry_airs_at_its_time_and_what_started_is_never_rewritten(app, clock, items):
    with app.app_context():
        db, lineup = get_db(), current_lineup()
        station().keep_built(db, lineup, clock.now)
        clock.advance(minutes=7, seconds=13)
        before = [r for r in rows_of(db) if r[1] <= to_ms(clock.now)]
        lecture = add_video(db, lineup, Path(app.config["MEDIA_ROOT"]), board_id="daode", title="道德讲堂", seconds=600)
        start = clock.now + timedelta(minutes=10, seconds=1)
        entry = schedule.add_entry(db, lineup, channel=1, item_id=lecture, start=start, important=False,
                                   now=clock.now, zone="Asia/Shanghai").entries[0]
        assert station().keep_built(db, lineup, clock.now) == [1, 2]  # the catalogue changed too
        after = rows_of(db)
        assert after[:len(before)] == before
        aired = [r for r in playout_store.listings(db, 1, 0, 2**62) if r.entry_id == entry.id]
        assert len(aired) == 1
        assert 0 <= aired[0].start_ms - to_ms(start) < 2000
        assert aired[0].end_ms - aired[0].start_ms == 600_000


def test_an_important_entry_cuts_the_filler_on_air_after_the_published_window(app, clock, items):
    with app.app_context():
        db, lineup = get_db(), current_lineup()
        media_root = Path(app.config["MEDIA_ROOT"])
        long_film = add_video(db, lineup, media_root, board_id="dangke", title="长片", seconds=3600)
        station().keep_built(db, lineup, clock.now)
        on_air = [r for r in playout_store.listings(db, 1, 0, 2**62) if r.item_id == long_film][0]
        clock.now = from_ms(on_air.start_ms + 60_000)
        playlist_before = station().channel_window(db, lineup, lineup.channels[0], clock.now).media("720p")
        meeting = add_video(db, lineup, media_root, board_id="dangjian", title="重要会议", seconds=300)
        start = clock.now + timedelta(seconds=30)
        schedule.add_entry(db, lineup, channel=1, item_id=meeting, start=start, important=True, now=clock.now,
                           zone="Asia/Shanghai")
        station().keep_built(db, lineup, clock.now)
        assert station().channel_window(db, lineup, lineup.channels[0], clock.now).media("720p") == playlist_before
        titles = [(r.title, r.start_ms) for r in playout_store.listings(db, 1, on_air.start_ms, on_air.start_ms + 1)]
        cut = [r for r in playout_store.listings(db, 1, 0, 2**62) if r.item_id == long_film and
               r.start_ms == on_air.start_ms][0]
        assert titles[0][0] == "长片" and cut.end_ms - to_ms(start) in range(0, 2000)


PRINT_PLAYLIST = """
import sys
from datetime import datetime
from server import create_app
from server.web.context import current_lineup, get_db, station
moment = datetime.fromisoformat(sys.argv[3])
app = create_app({"DATABASE": sys.argv[1], "MEDIA_ROOT": sys.argv[2]}, clock=lambda: moment)
with app.app_context():
    lineup = current_lineup()
    print(station().channel_window(get_db(), lineup, lineup.channels[0], moment).media("480p"), end="")
"""


def playlist_480p(moment) -> str:
    """Channel 1's 480p playlist at `moment`, in the current app context."""
    lineup = current_lineup()
    return station().channel_window(get_db(), lineup, lineup.channels[0], moment).media("480p")


def test_the_playlist_is_the_same_in_another_process_and_after_a_restart(app, clock, items, tmp_path):
    with app.app_context():
        db, lineup = get_db(), current_lineup()
        station().keep_built(db, lineup, clock.now)
    for minutes in (0, 3, 61, 47 * 60):
        moment = clock.now + timedelta(minutes=minutes, seconds=1.5)
        with app.app_context():
            here = playlist_480p(moment)
        restarted = create_app({"DATABASE": app.config["DATABASE"], "MEDIA_ROOT": app.config["MEDIA_ROOT"]},
                               clock=lambda moment=moment: moment)
        with restarted.app_context():
            again = playlist_480p(moment)
        other = subprocess.run([sys.executable, "-c", PRINT_PLAYLIST, app.config["DATABASE"],
                                app.config["MEDIA_ROOT"], moment.isoformat()], cwd=REPO, capture_output=True,
                               text=True, timeout=60, check=True).stdout
        assert here == again == other
        assert "#EXT-X-MEDIA-SEQUENCE:" in here


def test_written_playlists_match_the_served_ones(app, clock, items, client):
    with app.app_context():
        db, lineup = get_db(), current_lineup()
        station().keep_built(db, lineup, clock.now)
        clock.advance(seconds=95)
        next_ms = station().write_playlists(db, lineup, clock.now)
    assert 0 < next_ms - to_ms(clock.now) <= 2000
    live = Path(app.config["MEDIA_ROOT"]) / "live" / "1"
    assert sorted(p.name for p in live.iterdir()) == ["360p.m3u8", "480p.m3u8", "720p.m3u8", "master.m3u8"]
    assert client.get("/live/1/720p.m3u8").get_data(as_text=True) == (live / "720p.m3u8").read_text()
    assert client.get("/live/1/master.m3u8").get_data(as_text=True) == (live / "master.m3u8").read_text()
    assert not [p for p in live.iterdir() if p.name.startswith(".")]  # no temporary files left
