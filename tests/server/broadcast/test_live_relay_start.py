"""A relay starting for an event that was deleted a moment before (between the tick's read and the start): no
ffmpeg is started, since none would ever be stopped, and no run or folder is left."""

from __future__ import annotations

import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from server import create_app
from server.broadcast import schedule
from server.broadcast.live_relay import LiveRelays
from server.web.context import current_lineup, get_db


@pytest.fixture
def site(tmp_path):
    """An app whose ffmpeg is a script that records it ran (a real ffmpeg on a dead input could exit unseen), a
    live event on channel 1 read as the tick reads it, and relays: (app, relays, row, started)."""
    started = tmp_path / "ffmpeg-started"
    fake_ffmpeg = tmp_path / "ffmpeg"
    fake_ffmpeg.write_text(f"#!/bin/sh\ntouch {started}\n")
    fake_ffmpeg.chmod(fake_ffmpeg.stat().st_mode | stat.S_IXUSR)
    app = create_app({"DATABASE": str(tmp_path / "k.db"), "MEDIA_ROOT": str(tmp_path / "media"),
                      "ORIGINALS_DIR": str(tmp_path / "originals"), "LIVE_INPUT_HOSTS": "127.0.0.1",
                      "FFMPEG": str(fake_ffmpeg)})
    with app.app_context():
        db, now = get_db(), datetime.now(UTC)
        entry_id = schedule.add_live_entry(db, current_lineup(), channel=1, live_url="http://127.0.0.1:9/camera.ts",
                                           title="全体党员大会", start=now + timedelta(minutes=10),
                                           duration=timedelta(minutes=30), important=True, now=now,
                                           zone="Asia/Shanghai", allowed_hosts=["127.0.0.1"]).entries[0].id
        row = db.execute("SELECT * FROM schedule_entries WHERE id = ?", [entry_id]).fetchone()
    return app, LiveRelays(Path(app.config["MEDIA_ROOT"]), Path(app.config["ORIGINALS_DIR"])), row, started


def start(app, relays: LiveRelays, row) -> bool:
    with app.app_context():
        return relays._start(get_db(), current_lineup(), row, int(datetime.now(UTC).timestamp() * 1000), app.config)


def runs(app) -> int:
    with app.app_context():
        return get_db().execute("SELECT count(*) FROM live_runs").fetchone()[0]


def test_an_event_deleted_as_its_relay_starts_gets_no_ffmpeg(site):
    app, relays, row, started = site
    with app.app_context():  # an administrator deletes it after the tick read it
        schedule.delete_entry(get_db(), row["id"], now=datetime.now(UTC), zone="Asia/Shanghai")
    assert start(app, relays, row) is False
    assert runs(app) == 0 and relays.relays == {} and not started.exists()
    assert not (Path(app.config["MEDIA_ROOT"]) / "live" / "events" / str(row["id"])).exists()


def test_a_relay_for_an_event_still_scheduled_starts(site):
    """The same start without the deletion: ffmpeg runs (the test above cannot pass by never starting one)."""
    app, relays, row, started = site
    assert start(app, relays, row) is True
    assert runs(app) == 1
    relays.relays[row["id"]].process.wait(timeout=10)
    assert started.exists()
