"""Notices boxes poll: urgent ones by organisation, reminders of important broadcasts, conditional GET."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from server.accounts.organisations import add_organisation
from server.broadcast import schedule
from server.web.context import current_lineup, get_db, station
from tests.conftest import editor_token, pair_device
from tests.support.fake_vod import add_video, write_slates


@pytest.fixture
def world(app, clock):
    """Two communities under one subdistrict, a box in each, an administrator, a ready lesson."""
    with app.app_context():
        db, lineup = get_db(), current_lineup()
        top = add_organisation(db, "太平街道", "subdistrict")
        dongfeng = add_organisation(db, "东风社区", "community", top.id)
        xiangyang = add_organisation(db, "向阳社区", "community", top.id)
        _, dongfeng_box = pair_device(db, clock.now, dongfeng.id, "SN-DF")
        _, xiangyang_box = pair_device(db, clock.now, xiangyang.id, "SN-XY")
        admin = editor_token(db, lineup, clock.now, username="admin", role="admin")
        write_slates(Path(app.config["MEDIA_ROOT"]), lineup)
        lesson = add_video(db, lineup, Path(app.config["MEDIA_ROOT"]), board_id="dangjian", title="全体党员大会",
                           seconds=3600)
    bearer = lambda token: {"Authorization": f"Bearer {token}"}  # noqa: E731
    return {"dongfeng": dongfeng.id, "df": bearer(dongfeng_box), "xy": bearer(xiangyang_box),
            "admin": bearer(admin), "lesson": lesson}


def titles(client, headers):
    return [n["title"] for n in client.get("/api/v1/notices", headers=headers).json["notices"]]


def test_an_urgent_notice_reaches_its_community_only_until_it_expires(client, world, clock):
    published = client.post("/api/v1/admin/notices", headers=world["admin"], json={
        "title": "停水通知", "body": "明天 8:00–12:00 停水", "org_id": world["dongfeng"],
        "expires_at": (clock.now + timedelta(hours=2)).isoformat()})
    assert published.status_code == 201
    assert titles(client, world["df"]) == ["停水通知"]
    assert titles(client, world["xy"]) == []
    clock.advance(hours=2)
    assert titles(client, world["df"]) == []


def test_polling_is_a_conditional_get(client, world, clock):
    first = client.get("/api/v1/notices", headers=world["df"])
    again = client.get("/api/v1/notices", headers={**world["df"], "If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304
    client.post("/api/v1/admin/notices", headers=world["admin"], json={
        "title": "紧急通知", "expires_at": (clock.now + timedelta(hours=1)).isoformat()})
    changed = client.get("/api/v1/notices", headers={**world["df"], "If-None-Match": first.headers["ETag"]})
    assert changed.status_code == 200 and changed.json["notices"][0]["kind"] == "urgent"


def test_an_important_broadcast_is_announced_ten_minutes_ahead_until_it_ends(client, world, clock, app):
    start = clock.now + timedelta(minutes=30)
    with app.app_context():
        db, lineup = get_db(), current_lineup()
        entry = schedule.add_entry(db, lineup, channel=1, item_id=world["lesson"], start=start, important=True,
                                   now=clock.now, zone="Asia/Shanghai").entries[0]
        schedule.add_entry(db, lineup, channel=2, item_id=world["lesson"], start=start, important=False,
                           now=clock.now, zone="Asia/Shanghai")
    assert titles(client, world["df"]) == []
    clock.advance(minutes=20)
    notices = client.get("/api/v1/notices", headers=world["xy"]).json["notices"]
    assert [(n["id"], n["kind"], n["channel"]) for n in notices] == [(f"r{entry.id}", "broadcast", 1)]
    assert notices[0]["title"] == "重要直播：全体党员大会"
    assert "11月23日 10:30" in notices[0]["body"] and "确定" in notices[0]["body"]
    clock.advance(minutes=69)
    assert len(titles(client, world["df"])) == 1  # still on air
    clock.advance(minutes=2)
    assert titles(client, world["df"]) == []


def test_only_administrators_publish_and_bad_input_is_explained(client, world, app, clock):
    with app.app_context():
        editor = editor_token(get_db(), current_lineup(), clock.now, username="editor")
    body = {"title": "通知", "expires_at": (clock.now + timedelta(hours=1)).isoformat()}
    assert client.post("/api/v1/admin/notices", json=body,
                       headers={"Authorization": f"Bearer {editor}"}).status_code == 403
    assert client.post("/api/v1/admin/notices", json=body, headers=world["df"]).status_code == 401
    late = client.post("/api/v1/admin/notices", headers=world["admin"],
                       json={**body, "expires_at": (clock.now - timedelta(hours=1)).isoformat()})
    assert late.status_code == 400 and "截止时间" in late.json["error"]["message"]
    empty = client.post("/api/v1/admin/notices", headers=world["admin"], json={**body, "title": "  "})
    assert empty.status_code == 400 and "标题" in empty.json["error"]["message"]
    made = client.post("/api/v1/admin/notices", headers=world["admin"], json=body).json["id"]
    assert client.delete(f"/api/v1/admin/notices/{made}", headers=world["admin"]).status_code == 200
    assert client.delete(f"/api/v1/admin/notices/{made}", headers=world["admin"]).status_code == 404


def test_the_channels_name_the_next_important_broadcast_however_far_after_now(client, world, clock, app):
    start = clock.now + timedelta(hours=5)  # far beyond the programme after the one on air
    with app.app_context():
        db, lineup = get_db(), current_lineup()
        schedule.add_entry(db, lineup, channel=1, item_id=world["lesson"], start=start, important=True,
                           now=clock.now, zone="Asia/Shanghai")
        schedule.add_entry(db, lineup, channel=2, item_id=world["lesson"], start=start, important=False,
                           now=clock.now, zone="Asia/Shanghai")
        station().keep_built(db, lineup, clock.now)
    channels = {c["number"]: c for c in client.get("/api/v1/channels", headers=world["df"]).json["channels"]}
    upcoming = channels[1]["next_important"]
    assert (upcoming["title"], upcoming["important"]) == ("全体党员大会", True)
    assert upcoming["start"] == start.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert channels[1]["next"]["start"] < upcoming["start"] and channels[2]["next_important"] is None
    clock.advance(hours=5, minutes=1)  # on air now: the next important one is none
    with app.app_context():
        station().keep_built(get_db(), current_lineup(), clock.now)
    channels = {c["number"]: c for c in client.get("/api/v1/channels", headers=world["df"]).json["channels"]}
    assert channels[1]["now"]["title"] == "全体党员大会" and channels[1]["next_important"] is None
