"""Box polls answered from memory: 304 without opening the database while nothing changed,
and a write by any connection (another process) seen by the very next poll."""

from __future__ import annotations

import contextlib

import pytest

from server.accounts.devices import revoke_device
from server.catalogue.items import create_item
from server.core.db import connect
from server.web.context import current_lineup

POLLS = ["/api/v1/boards", "/api/v1/boards/dangke/items", "/api/v1/channels", "/api/v1/notices"]


@pytest.fixture
def statements(ctx, auth):
    """The SQL the requests run on their database connection (the tests' app context lends them its own)."""
    db, _ = ctx
    seen: list[str] = []
    db.conn.set_trace_callback(seen.append)
    yield seen
    db.conn.set_trace_callback(None)


def other_connection(app):
    """A connection of its own, as another process would have."""
    return contextlib.closing(connect(app.config["DATABASE"]))


@pytest.mark.parametrize("path", POLLS)
def test_an_unchanged_poll_is_answered_304_without_touching_the_database(client, auth, statements, path):
    first = client.get(path, headers=auth)
    assert first.status_code == 200 and first.headers["ETag"] and statements
    statements.clear()
    again = client.get(path, headers={**auth, "If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and again.headers["ETag"] == first.headers["ETag"]
    assert statements == []


def test_a_write_from_another_connection_shows_on_the_next_poll(app, client, auth, clock):
    first = client.get("/api/v1/boards/dangke/items", headers=auth)
    assert first.json["total"] == 0
    with other_connection(app) as db, app.app_context():
        create_item(db, current_lineup(), kind="video", board_id="dangke", title="新党课", state="published",
                    hls_path="vod/1/master.m3u8", duration_s=60)
    second = client.get("/api/v1/boards/dangke/items", headers={**auth, "If-None-Match": first.headers["ETag"]})
    assert second.status_code == 200 and second.json["total"] == 1


def test_an_item_published_later_appears_when_its_time_comes(app, client, auth, clock):
    from datetime import timedelta

    with other_connection(app) as db, app.app_context():
        create_item(db, current_lineup(), kind="video", board_id="dangke", title="定时发布", state="published",
                    hls_path="vod/1/master.m3u8", duration_s=60, publish_at=clock.now + timedelta(minutes=5))
    first = client.get("/api/v1/boards/dangke/items", headers=auth)
    assert first.json["total"] == 0
    clock.advance(minutes=6)
    second = client.get("/api/v1/boards/dangke/items", headers={**auth, "If-None-Match": first.headers["ETag"]})
    assert second.status_code == 200 and second.json["total"] == 1


def test_a_revoked_box_is_refused_on_its_next_poll(app, client, auth):
    assert client.get("/api/v1/boards", headers=auth).status_code == 200
    with other_connection(app) as db:
        device_id = db.execute("SELECT id FROM devices").fetchone()[0]
        revoke_device(db, device_id, app.extensions["keting"]["site"].now())
    assert client.get("/api/v1/boards", headers=auth).status_code == 401


def test_last_seen_is_still_written_while_polls_come_from_memory(app, client, auth, clock):
    interval = app.config["DEVICE_SEEN_INTERVAL"]
    client.get("/api/v1/boards", headers=auth)
    with other_connection(app) as db:
        first_seen = db.execute("SELECT last_seen_at FROM devices").fetchone()[0]
    clock.advance(seconds=interval + 1)
    client.get("/api/v1/boards", headers=auth)
    with other_connection(app) as db:
        assert db.execute("SELECT last_seen_at FROM devices").fetchone()[0] > first_seen
