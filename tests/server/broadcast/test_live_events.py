"""Live events for real: ffmpeg relays an input onto channel 1, libVLC watches across its start and end,
a failing input shows the slate and its error, the recording becomes a draft video."""

from __future__ import annotations

import shutil
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from server import create_app
from server.broadcast import schedule
from server.broadcast.channel_art import ensure_channel_art
from server.broadcast.guide import now_and_next
from server.core.channels_yaml import load_lineup
from server.ingest.cards import find_cjk_font
from server.web import context
from server.web.context import current_lineup, get_db
from tests.conftest import REPO
from tests.support.camera import camera
from tests.support.clips import lecture_clip
from tests.support.http_server import free_port, serve_in_thread
from tests.support.media_probe import watch_pictures
from tests.support.processes import ffmpeg_pids, wait_for
from tests.support.runners import broadcast_runner

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def art(tmp_path_factory):
    lineup = load_lineup(REPO / "channels.yaml")
    root = tmp_path_factory.mktemp("art")
    for channel in lineup.channels:
        ensure_channel_art(root, lineup, channel, find_cjk_font(), 10)
    return root


@pytest.fixture
def station(tmp_path, art):
    """A server on the real clock with its channel jobs running; yields (app, url, runner)."""
    media = tmp_path / "media"
    shutil.copytree(art / "channels", media / "channels")
    app = create_app({"DATABASE": str(tmp_path / "k.db"), "MEDIA_ROOT": str(media),
                      "ORIGINALS_DIR": str(tmp_path / "originals"), "SLATE_SECONDS": 10,
                      "LIVE_LEAD_SECONDS": 5, "RECONCILE_INTERVAL": 3600, "LIVE_INPUT_HOSTS": "127.0.0.1"},
                     clock=lambda: datetime.now(UTC))
    with app.app_context():  # on the air since half a minute ago: players join a full window
        context.station().keep_built(get_db(), current_lineup(), datetime.now(UTC) - timedelta(seconds=30))
    runner = broadcast_runner(app)
    with serve_in_thread(app) as url:
        runner.start()
        try:
            yield app, url, runner
        finally:
            runner.stop()
    assert ffmpeg_pids(str(media)) == []


def add_event(app, url: str, start_in_s: float, seconds: float) -> int:
    with app.app_context():
        now = datetime.now(UTC)
        start = datetime.fromtimestamp(int(now.timestamp() + start_in_s), UTC)
        return schedule.add_live_entry(get_db(), current_lineup(), channel=1, live_url=url, title="全体党员大会",
                                       start=start, duration=timedelta(seconds=seconds), important=True, now=now,
                                       zone="Asia/Shanghai", allowed_hosts=["127.0.0.1"]).entries[0].id


def entry(app, entry_id: int):
    with app.app_context():
        return schedule.get_entry(get_db(), entry_id)


def test_a_live_event_plays_between_slates_and_leaves_a_recording(station, tmp_path):
    app, url, _ = station
    source = lecture_clip(tmp_path / "camera.mp4", seconds=60, size="1280x720")
    with camera(source) as camera_url:  # an encoder on the site's own network, listed in LIVE_INPUT_HOSTS
        event = add_event(app, camera_url, start_in_s=10, seconds=20)
        ends = entry(app, event).end.timestamp()

        def event_played_out(_samples) -> bool:  # players run a few segments behind the live edge
            return time.time() > ends + 12

        samples = watch_pictures(f"{url}/live/1/master.m3u8", event_played_out, deadline_s=90)
    done = wait_for(lambda: (e := entry(app, event)).recording_item_id and e, 30, "the recording")
    assert done.live_state == "done" and done.live_error is None
    media = Path(app.config["MEDIA_ROOT"])
    relay_segments = sorted((media / "live" / "events" / str(event) / "run-1" / "720p").glob("seg_*.ts"))
    # The relay runs from LIVE_LEAD_SECONDS before the 20 s event to its end: 12 segments of 2 s on a quiet machine,
    # as few as 4 on CI's two cores with other tests encoding (ffmpeg's start and its 720p encode lag). What holds on
    # any machine: it wrote more than its first segment, and it was still writing after the event began.
    assert len(relay_segments) >= 2
    assert relay_segments[-1].stat().st_mtime > entry(app, event).start.timestamp()
    displayed, lost = samples[-1][1], samples[-1][2]
    assert displayed >= 25 * 15 and lost <= 10  # the slate and the event's pictures kept coming (bench/boundary.py
    # measures the longest pause)
    with app.app_context():
        db = get_db()
        item = db.execute("SELECT * FROM items WHERE id = ?", [done.recording_item_id]).fetchone()
        assert (item["board_id"], item["title"], item["state"]) == ("dangjian", "全体党员大会", "draft")
        assert db.execute("SELECT state FROM transcode_jobs WHERE item_id = ?", [item["id"]]).fetchone()[0] == "queued"
        shown = db.execute("SELECT kind, entry_id FROM playout WHERE channel = 1 AND entry_id = ? ORDER BY start_ms",
                           [event]).fetchall()
        assert [row["kind"] for row in shown] == ["slate", "live"]


def test_a_failing_input_shows_the_slate_and_its_error_and_is_retried(station, tmp_path):
    app, url, _ = station
    event = add_event(app, f"http://127.0.0.1:{free_port()}/camera.ts?key=secret-stream-key", start_in_s=2,
                      seconds=30)
    failed = wait_for(lambda: (e := entry(app, event)).live_state == "retrying" and e, 20, "the relay to fail")
    assert failed.live_error == "对方拒绝连接。请确认推流服务器已经开启，地址和端口正确。"  # a known reason, in words
    assert "secret-stream-key" not in failed.live_error and "127.0.0.1" not in failed.live_error
    with app.app_context():
        db = get_db()
        wait_for(lambda: datetime.now(UTC) > entry(app, event).start + timedelta(seconds=1), 10, "the event")
        on_air, _ = now_and_next(db, current_lineup(), 1, datetime.now(UTC))
        assert (on_air.title, on_air.kind) == ("全体党员大会", "slate")
        wait_for(lambda: db.execute("SELECT count(*) FROM live_runs WHERE entry_id = ?", [event]).fetchone()[0] >= 2,
                 10, "a second attempt after the backoff")


def test_deleting_an_event_whose_relay_runs_stops_the_relay(station, tmp_path):
    app, _, _ = station
    source = lecture_clip(tmp_path / "camera.mp4", seconds=60, size="640x360")
    media = str(app.config["MEDIA_ROOT"])
    with camera(source) as camera_url:
        event = add_event(app, camera_url, start_in_s=8, seconds=60)
        wait_for(lambda: ffmpeg_pids(media), 20, "the relay to start before the event (LIVE_LEAD_SECONDS)")
        with app.app_context():
            schedule.delete_entry(get_db(), event, now=datetime.now(UTC), zone="Asia/Shanghai")
        wait_for(lambda: ffmpeg_pids(media) == [], 15, "the relay to stop once its event is gone")
