"""Administrator schedule API: create, conflicts, pre-emption, edits, rules; editors and boxes refused."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from server.web.context import current_lineup, get_db
from tests.conftest import editor_token
from tests.support.fake_vod import add_video, write_slates

ZONE_OFFSET = "+08:00"


@pytest.fixture
def admin(app, clock):
    with app.app_context():
        db, lineup = get_db(), current_lineup()
        write_slates(Path(app.config["MEDIA_ROOT"]), lineup)
        token = editor_token(db, lineup, clock.now, username="admin", role="admin")
        lesson = add_video(db, lineup, Path(app.config["MEDIA_ROOT"]), board_id="dangke", title="党课", seconds=1200)
    return {"Authorization": f"Bearer {token}"}, lesson


def at(clock, **delta) -> str:
    return (clock.now + timedelta(**delta)).isoformat()


def test_create_list_edit_delete(client, admin, clock):
    headers, lesson = admin
    created = client.post("/api/v1/admin/schedule", json={"channel": 1, "item_id": lesson, "start": at(clock, hours=2)},
                          headers=headers)
    assert created.status_code == 201
    entry = created.json["entries"][0]
    assert entry["start_label"] == "11月23日 12:00" and entry["state"] == "scheduled"
    listed = client.get("/api/v1/admin/schedule", headers=headers).json["entries"]
    assert [e["id"] for e in listed] == [entry["id"]]
    # The guide shows it at once: the timeline was rebuilt.
    epg = client.get("/epg.xml").get_data(as_text=True)
    assert "<title lang=\"zh\">党课</title>" in epg and 'start="20261123120000 +0800"' in epg
    moved = client.patch(f"/api/v1/admin/schedule/{entry['id']}", json={"start": at(clock, hours=3)}, headers=headers)
    assert moved.status_code == 200 and moved.json["entries"][0]["start_label"] == "11月23日 13:00"
    assert client.delete(f"/api/v1/admin/schedule/{entry['id']}", headers=headers).status_code == 200
    assert client.get("/api/v1/admin/schedule", headers=headers).json["entries"] == []


def test_conflict_is_409_and_important_preempts_with_a_report(client, admin, clock):
    headers, lesson = admin
    body = {"channel": 1, "item_id": lesson, "start": at(clock, hours=2)}
    first = client.post("/api/v1/admin/schedule", json=body, headers=headers).json["entries"][0]
    clash = client.post("/api/v1/admin/schedule", json={**body, "start": at(clock, hours=2, minutes=5)},
                        headers=headers)
    assert clash.status_code == 409 and clash.json["error"]["code"] == "conflict"
    assert f"编号 {first['id']}" in clash.json["error"]["message"]
    check = client.post("/api/v1/admin/schedule?dry_run=1", json={**body, "important": True}, headers=headers)
    assert check.status_code == 200 and [e["id"] for e in check.json["preempted"]] == [first["id"]]
    done = client.post("/api/v1/admin/schedule", json={**body, "important": True}, headers=headers)
    assert done.status_code == 201 and done.json["preempted"][0]["title"] == "党课"
    states = {e["id"]: e["state"] for e in client.get("/api/v1/admin/schedule", headers=headers).json["entries"]}
    assert states[first["id"]] == "preempted"


def test_weekly_rule_through_the_api(client, admin, clock):
    headers, lesson = admin
    answer = client.post("/api/v1/admin/schedule", json={
        "channel": 1, "item_id": lesson, "repeat": "weekly", "days": ["tue"], "time": "19:30",
        "first_date": "2026-11-23", "last_date": "2026-12-31"}, headers=headers)
    assert answer.status_code == 201 and len(answer.json["entries"]) == 6
    assert answer.json["entries"][0]["start"] == "2026-11-24T11:30:00Z"
    removed = client.delete(f"/api/v1/admin/schedule/rules/{answer.json['rule_id']}", headers=headers)
    assert removed.json["removed_entries"] == 6


@pytest.mark.parametrize(("body", "status", "words"), [
    ({"channel": 1, "item_id": 1, "start": "2026-11-30 19:30"}, 400, "带时区"),
    ({"channel": "一", "item_id": 1, "start": "2026-11-30T19:30:00+08:00"}, 400, "整数"),
    ({"channel": 1, "item_id": 1, "start": "2026-11-01T19:30:00+08:00"}, 400, "已经过去"),
    ({"channel": 3, "item_id": 1, "start": "2026-11-30T19:30:00+08:00"}, 400, "没有 3 号频道"),
    ({"channel": 1, "item_id": 1, "repeat": "weekly", "time": "19:30"}, 400, "星期几"),
])
def test_bad_requests_say_what_to_do(client, admin, body, status, words):
    headers, _ = admin
    answer = client.post("/api/v1/admin/schedule", json=body, headers=headers)
    assert answer.status_code == status and words in answer.json["error"]["message"]


def test_only_administrators_may_schedule(client, admin, app, clock, auth):
    _, lesson = admin
    with app.app_context():
        token = editor_token(get_db(), current_lineup(), clock.now, username="editor")
    body = {"channel": 1, "item_id": lesson, "start": at(clock, hours=2)}
    as_editor = client.post("/api/v1/admin/schedule", json=body, headers={"Authorization": f"Bearer {token}"})
    assert as_editor.status_code == 403 and "管理员" in as_editor.json["error"]["message"]
    assert client.post("/api/v1/admin/schedule", json=body).status_code == 401
    assert client.post("/api/v1/admin/schedule", json=body, headers=auth).status_code == 401  # a box's token


def test_a_live_event_through_the_api(app, client, admin, clock):
    app.config["LIVE_INPUT_HOSTS"] = "127.0.0.1"  # the site's own encoder on this machine
    headers, _ = admin
    body = {"channel": 1, "live_url": "rtmp://127.0.0.1/live/meeting", "title": "全体党员大会",
            "start": at(clock, hours=1), "duration_minutes": 90, "important": True}
    created = client.post("/api/v1/admin/schedule", json=body, headers=headers)
    assert created.status_code == 201
    entry = created.json["entries"][0]
    assert (entry["live_url"], entry["live_state"], entry["item_id"]) == (body["live_url"], "waiting", None)
    assert entry["end"] == (clock.now + timedelta(hours=2, minutes=30)).strftime("%Y-%m-%dT%H:%M:%SZ")
    guide = client.get("/epg.xml").get_data(as_text=True)
    assert "<title lang=\"zh\">全体党员大会</title>" in guide  # the slate stands in until the relay runs
    moved = client.patch(f"/api/v1/admin/schedule/{entry['id']}", json={"start": at(clock, hours=3)}, headers=headers)
    assert moved.status_code == 200 and moved.json["entries"][0]["live_url"] == body["live_url"]
    bad = client.post("/api/v1/admin/schedule", json={**body, "live_url": "camera-1"}, headers=headers)
    assert bad.status_code == 400 and "rtmp://" in bad.json["error"]["message"]
    untitled = client.post("/api/v1/admin/schedule", json={**body, "title": " ", "start": at(clock, hours=9)},
                           headers=headers)
    assert untitled.status_code == 400 and "标题" in untitled.json["error"]["message"]
