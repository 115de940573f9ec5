"""Watch intervals from the box to a real server: sent with their real times, kept while the server is away,
sent once it is back, and credited once however often they arrive."""

from __future__ import annotations

import queue
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from server import create_app
from server.accounts.organisations import add_organisation
from server.records import watch_log
from server.records.households import assign_members
from server.records.members import EVERYTHING, add_member
from server.web.context import current_lineup, get_db
from stb_client.link.cache import AnswerCache
from stb_client.link.server_api import ServerApi
from stb_client.link.sync import ServerSync
from stb_client.ui.model import ConnectionChanged, FetchBoards, FetchHousehold, HouseholdLoaded, ReportWatch
from tests.conftest import pair_device
from tests.stb_client.link.test_sync import DEADLINE_S, closed_port, next_event
from tests.support.fake_vod import add_video
from tests.support.http_server import serve_in_thread


@pytest.fixture
def real_time_site(tmp_path):
    """A server on the real clock (the box's intervals carry real times) with a video and a household of one."""
    app = create_app({"DATABASE": str(tmp_path / "k.sqlite3"), "MEDIA_ROOT": str(tmp_path / "media"),
                      "ORIGINALS_DIR": str(tmp_path / "originals"), "SECRET_KEY": "test"},
                     clock=lambda: datetime.now(UTC))
    now = datetime.now(UTC)
    with app.app_context():
        db = get_db()
        top = add_organisation(db, "太平街道", "subdistrict")
        branch = add_organisation(db, "第一党支部", "branch", add_organisation(db, "东风社区", "community", top.id).id)
        device_id, token = pair_device(db, now, top.id)
        member = add_member(db, EVERYTHING, name="张三", branch_id=branch.id, now=now)
        assign_members(db, EVERYTHING, device_id, [member.id], now)
        video = add_video(db, current_lineup(), Path(app.config["MEDIA_ROOT"]), board_id="dangke", title="党课",
                          seconds=3600)
    with serve_in_thread(app) as url:
        yield app, url, token, member.id, video


def credited(app, member_id: int) -> float:
    with app.app_context():
        return get_db().execute("SELECT coalesce(sum(seconds), 0) FROM study_credit WHERE member_id = ?",
                                [member_id]).fetchone()[0]


def wait_for(condition, what: str) -> None:
    deadline = time.monotonic() + DEADLINE_S
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def test_intervals_recorded_offline_arrive_later_with_their_real_times_and_count_once(real_time_site, tmp_path):
    app, url, token, member_id, video = real_time_site
    cache = AnswerCache(tmp_path / "cache.sqlite3")
    api = ServerApi(closed_port(), token)
    events: queue.Queue = queue.Queue()
    sync = ServerSync(api, events.put, cache, poll_s=3600, offline_poll_s=3600)
    sync.start()
    try:
        mono = time.monotonic()
        sync.request(ReportWatch(mono - 900, mono - 600, video, None, 0.0, 300.0, (member_id,)))
        assert next_event(events, ConnectionChanged) == ConnectionChanged(False)
        later = ReportWatch(mono - 500, mono - 400, video, None, 300.0, 400.0, (member_id,))
        sync.request(later)
        sync.request(ReportWatch(mono - 500, mono - 200, video, None, 300.0, 600.0, (member_id,)))  # its checkpoint
        wait_for(lambda: len(cache.pending_watch()) == 2, "two intervals kept offline")
        assert credited(app, member_id) == 0
        api.base_url = url.rstrip("/") + "/"  # the server is back
        sync.request(FetchBoards())
        assert next_event(events, ConnectionChanged) == ConnectionChanged(True)
        wait_for(lambda: credited(app, member_id) == 600, "the credit of both intervals")
        wait_for(lambda: cache.pending_watch() == [], "the cache emptied")
        with app.app_context():
            started = get_db().execute("SELECT min(started_at) FROM watch_intervals").fetchone()[0]
        assert abs(started - (time.time() - 900)) < 5  # the real time it was watched, not when it was sent
        sync.request(later)  # sent again (a box that did not hear the answer): nothing changes
        sync.request(FetchHousehold())
        assert [m.name for m in next_event(events, HouseholdLoaded).household.members] == ["张三"]
        assert credited(app, member_id) == 600
    finally:
        sync.stop()
        sync.thread.join(timeout=DEADLINE_S)


def resume_point(app, video: int) -> float | None:
    with app.app_context():
        row = get_db().execute("SELECT position_s FROM positions WHERE item_id = ?", [video]).fetchone()
    return None if row is None else row[0]


def test_a_checkpoints_resume_point_reaches_the_server_or_waits_offline_with_the_interval(real_time_site, tmp_path):
    app, url, token, member_id, video = real_time_site
    cache = AnswerCache(tmp_path / "cache.sqlite3")
    api = ServerApi(url, token)
    events: queue.Queue = queue.Queue()
    sync = ServerSync(api, events.put, cache, poll_s=3600, offline_poll_s=3600)
    sync.start()
    try:
        mono = time.monotonic()
        sync.request(ReportWatch(mono - 300, mono - 270, video, None, 100.0, 130.0, (member_id,), position_s=130.0))
        wait_for(lambda: resume_point(app, video) == 130.0, "the resume point saved by the watch report")
        wait_for(lambda: cache.pending_watch() == [], "the interval taken")
        api.base_url = closed_port()  # the server goes away: the next checkpoint and its resume point wait
        sync.request(ReportWatch(mono - 300, mono, video, None, 100.0, 400.0, (member_id,), position_s=400.0))
        wait_for(lambda: cache.pending_positions() == [(video, 400.0)], "the resume point kept offline")
        api.base_url = url.rstrip("/") + "/"
        sync.request(FetchBoards())
        wait_for(lambda: resume_point(app, video) == 400.0, "the resume point sent once the server is back")
        wait_for(lambda: credited(app, member_id) == 300, "the interval's credit, once")
    finally:
        sync.stop()
        sync.thread.join(timeout=DEADLINE_S)


def test_a_resume_point_refused_by_a_failing_server_waits_and_never_overtakes_a_newer_one(real_time_site, tmp_path,
                                                                                              monkeypatch):
    app, url, token, member_id, video = real_time_site
    cache = AnswerCache(tmp_path / "cache.sqlite3")
    events: queue.Queue = queue.Queue()
    sync = ServerSync(ServerApi(url, token), events.put, cache, poll_s=3600, offline_poll_s=3600)
    real_record = watch_log.record_batch

    def failing(*args, **kwargs):
        raise RuntimeError("the server fails (a 500)")
    monkeypatch.setattr(watch_log, "record_batch", failing)
    sync.start()
    try:
        mono = time.monotonic()
        sync.request(ReportWatch(mono - 300, mono - 270, video, None, 0.0, 30.0, (member_id,), position_s=30.0))
        wait_for(lambda: cache.pending_positions() == [(video, 30.0)], "the resume point kept after the 500")
        monkeypatch.setattr(watch_log, "record_batch", real_record)
        sync.request(ReportWatch(mono - 300, mono - 240, video, None, 0.0, 60.0, (member_id,), position_s=60.0))
        wait_for(lambda: resume_point(app, video) == 60.0, "the newer resume point saved")
        wait_for(lambda: cache.pending_positions() == [], "the older one forgotten, never sent after it")
    finally:
        sync.stop()
        sync.thread.join(timeout=DEADLINE_S)


def test_intervals_older_than_a_week_are_dropped_from_the_cache(tmp_path):
    cache = AnswerCache(tmp_path / "cache.sqlite3")
    now = time.time()
    cache.keep_watch({"key": "old", "started_at": now - 8 * 86400, "ended_at": now - 8 * 86400 + 60})
    cache.keep_watch({"key": "new", "started_at": now - 60, "ended_at": now - 30})
    cache.keep_watch({"key": "new", "started_at": now - 60, "ended_at": now - 45})  # an older checkpoint: kept longer
    assert [(i["key"], i["ended_at"]) for i in cache.pending_watch(now=now)] == [("new", now - 30)]


def test_a_clock_corrected_while_watching_does_not_split_the_interval(monkeypatch):
    sync = ServerSync(ServerApi(closed_port(), "kt_token"), lambda _event: None)
    mono = time.monotonic()
    first = sync.watch_json(ReportWatch(mono - 60, mono - 30, 5, None, 0.0, 30.0, (1,)))
    real = time.time
    monkeypatch.setattr(time, "time", lambda: real() + 3600)  # NTP set the clock an hour forward
    later = sync.watch_json(ReportWatch(mono - 60, mono, 5, None, 0.0, 60.0, (1,)))
    assert later["key"] == first["key"] and later["started_at"] == first["started_at"]
    assert later["ended_at"] - later["started_at"] == pytest.approx(60, abs=0.01)
