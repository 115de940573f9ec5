"""The API the console works through: the editor's library, item edits, articles, pictures,
boxes and accounts for administrators, what a box reports it is playing."""

from __future__ import annotations

import subprocess

import pytest

from server.catalogue.items import create_item
from server.ingest.transcode_jobs import enqueue
from server.web.context import current_lineup, get_db
from tests.conftest import editor_token
from tests.support.clips import ffmpeg


@pytest.fixture
def people(app, clock):
    with app.app_context():
        db, lineup = get_db(), current_lineup()
        tokens = {
            "editor": editor_token(db, lineup, clock.now, "editor", boards=("dangke", "banshi")),
            "other": editor_token(db, lineup, clock.now, "other", boards=("wenyu",)),
            "admin": editor_token(db, lineup, clock.now, "admin", role="admin"),
        }
    return {name: {"Authorization": f"Bearer {token}"} for name, token in tokens.items()}


@pytest.fixture
def items(app, clock):
    with app.app_context():
        db, lineup = get_db(), current_lineup()
        ids = {
            "draft": create_item(db, lineup, kind="video", board_id="dangke", title="新党课", speaker="王书记"),
            "ready": create_item(db, lineup, kind="video", board_id="dangke", title="已转码的党课",
                                 hls_path="vod/1/master.m3u8", duration_s=60),
            "elsewhere": create_item(db, lineup, kind="video", board_id="wenyu", title="广场舞"),
            "article": create_item(db, lineup, kind="article", board_id="banshi", title="医保指南",
                                   body_markdown="正文"),
        }
        ids["job"] = enqueue(db, ids["draft"], "/x/source.mp4", clock.now)
    return ids


def test_the_library_lists_only_the_editor_s_boards_with_the_latest_job(client, people, items):
    listed = client.get("/api/v1/editor/items", headers=people["editor"]).json["items"]
    assert {i["title"] for i in listed} == {"新党课", "已转码的党课", "医保指南"}
    draft = next(i for i in listed if i["id"] == items["draft"])
    assert draft["job"]["state"] == "queued" and draft["ready"] is False
    everything = client.get("/api/v1/editor/items", headers=people["admin"]).json["items"]
    assert len(everything) == 4


@pytest.mark.parametrize(("query", "titles"), [
    ("?q=王书记", {"新党课"}), ("?kind=article", {"医保指南"}), ("?board=dangke&q=转码", {"已转码的党课"}),
    ("?q=%25", set()), ("?state=published", set()),
])
def test_the_library_filters_and_searches(client, people, items, query, titles):
    listed = client.get(f"/api/v1/editor/items{query}", headers=people["editor"]).json["items"]
    assert {i["title"] for i in listed} == titles


def test_an_edit_changes_the_fields_and_times_carry_their_zone(client, people, items):
    answer = client.patch(f"/api/v1/editor/items/{items['ready']}", headers=people["editor"], json={
        "title": " 新标题 ", "speaker": "李老师", "pinned": True, "publish_at": "2026-11-24T08:00:00+08:00",
        "expire_at": None, "targets": []})
    assert answer.status_code == 200, answer.json
    assert answer.json["title"] == "新标题" and answer.json["pinned"] is True
    assert answer.json["publish_at"] == "2026-11-24T00:00:00Z"


@pytest.mark.parametrize(("change", "status", "words"), [
    ({"title": "  "}, 400, "标题不能为空"),
    ({"board_id": "nosuch"}, 400, "nosuch"),
    ({"board_id": "banshi"}, 400, "只放"),  # an article board takes no video
    ({"board_id": "kepu"}, 403, "kepu"),  # not one of the editor's boards
    ({"publish_at": "2026-11-25T00:00:00Z", "expire_at": "2026-11-24T00:00:00Z"}, 400, "必须晚于"),
    ({"publish_at": "2026-11-25 08:00"}, 400, "时区"),
    ({"hls_path": "x"}, 400, "hls_path"),
    ({"targets": [999]}, 404, "999"),
    ({"state": "published"}, 409, "转码"),
])
def test_a_bad_edit_says_what_is_wrong_and_changes_nothing(client, people, items, change, status, words):
    before = client.get(f"/api/v1/editor/items/{items['draft']}", headers=people["editor"]).json
    answer = client.patch(f"/api/v1/editor/items/{items['draft']}", headers=people["editor"], json=change)
    assert answer.status_code == status and words in answer.json["error"]["message"]
    assert client.get(f"/api/v1/editor/items/{items['draft']}", headers=people["editor"]).json == before


def test_publishing_a_ready_video_shows_it_to_boxes(client, people, items, auth):
    answer = client.patch(f"/api/v1/editor/items/{items['ready']}", headers=people["editor"],
                          json={"state": "published"})
    assert answer.status_code == 200 and answer.json["state"] == "published"
    board = client.get("/api/v1/boards/dangke/items", headers=auth).json
    assert [i["title"] for i in board["items"]] == ["已转码的党课"]


def test_another_board_s_item_is_not_found_for_an_editor(client, people, items):
    assert client.patch(f"/api/v1/editor/items/{items['elsewhere']}", headers=people["editor"],
                        json={"title": "x"}).status_code == 404


def test_an_article_is_written_previewed_and_sanitised(client, people):
    preview = client.post("/api/v1/editor/articles/preview", headers=people["editor"], json={
        "body_markdown": "# 通知\n\n<script>alert(1)</script>\n\n[链接](javascript:alert(2))"})
    assert "<h1>通知</h1>" in preview.json["html"]
    html = preview.json["html"]
    assert "<script" not in html and "&lt;script&gt;" in html and "href=\"javascript" not in html
    created = client.post("/api/v1/editor/articles", headers=people["editor"], json={
        "board_id": "banshi", "title": "办事指南", "body_markdown": "第一段", "state": "published"})
    assert created.status_code == 201 and created.json["state"] == "published"
    refused = client.post("/api/v1/editor/articles", headers=people["editor"],
                          json={"board_id": "minsheng", "title": "x", "body_markdown": "y"})
    assert refused.status_code == 403 and "minsheng" in refused.json["error"]["message"]


def test_a_picture_is_re_encoded_to_a_plain_jpeg(app, client, people, tmp_path):
    source = tmp_path / "photo.png"
    ffmpeg("-f", "lavfi", "-i", "testsrc2=s=2600x1200", "-frames:v", "1", str(source))
    answer = client.post("/api/v1/editor/images", headers={**people["editor"], "Content-Type": "image/png"},
                         data=source.read_bytes())
    assert answer.status_code == 201 and answer.json["markdown"] == f"![]({answer.json['url']})"
    stored = app.config["MEDIA_ROOT"] + "/" + answer.json["path"]
    probe = subprocess.run(["ffprobe", "-v", "error", "-show_entries", "stream=codec_name,width,height",
                            "-of", "csv=p=0", stored], capture_output=True, text=True, check=True).stdout.strip()
    assert probe == "mjpeg,1920,886"  # shrunk to fit 1920x1080, even sides
    served = client.get(f"/media/{answer.json['path']}")
    assert served.mimetype == "image/jpeg" and served.headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize(("body", "words"), [(b"", "空的"), (b"<html><script>alert(1)</script>", "不是能识别的图片")])
def test_a_bad_picture_is_refused_and_leaves_nothing(app, client, people, body, words):
    from pathlib import Path
    answer = client.post("/api/v1/editor/images", headers=people["editor"], data=body)
    assert answer.status_code == 422 and words in answer.json["error"]["message"]
    folder = Path(app.config["MEDIA_ROOT"]) / "images"
    assert not folder.exists() or list(folder.iterdir()) == []


def test_administrators_approve_and_revoke_boxes_through_the_api(client, people, clock):
    registered = client.post("/api/v1/devices", json={"serial": "SN-1", "name": "客厅", "client_version": "2"}).json
    pending = client.get("/api/v1/admin/devices", headers=people["admin"]).json["devices"]
    assert [d["pairing_code"] for d in pending] == [registered["pairing_code"]]
    approved = client.post("/api/v1/admin/devices/approve", headers=people["admin"],
                           json={"pairing_code": registered["pairing_code"], "org_id": None})
    assert approved.status_code == 200 and approved.json["state"] == "approved"
    token = client.post("/api/v1/devices/token", json={"device_code": registered["device_code"]}).json["token"]
    box = {"Authorization": f"Bearer {token}"}
    assert client.put("/api/v1/playing", headers=box, json={"channel": 1}).json == {"channel": 1, "item_id": None}
    listed = client.get("/api/v1/admin/devices", headers=people["admin"]).json["devices"][0]
    assert listed["playing_channel"] == 1 and listed["playing_item_id"] is None and listed["client_version"] == "2"
    revoked = client.post(f"/api/v1/admin/devices/{approved.json['id']}/revoke", headers=people["admin"])
    assert revoked.status_code == 200
    assert client.get("/api/v1/boards", headers=box).status_code == 401


def test_administrators_manage_accounts_by_the_same_rules_as_the_cli(client, people):
    made = client.post("/api/v1/admin/users", headers=people["admin"], json={
        "username": "zhang", "password": "password123", "role": "editor", "boards": ["dangke"]})
    assert made.status_code == 201 and made.json["boards"] == ["dangke"]
    short = client.post("/api/v1/admin/users", headers=people["admin"],
                        json={"username": "li", "password": "short", "role": "editor"})
    assert short.status_code == 400 and "至少需要 8" in short.json["error"]["message"]
    promoted = client.patch("/api/v1/admin/users/zhang", headers=people["admin"], json={"role": "admin"})
    assert promoted.json["role"] == "admin"
    assert client.patch("/api/v1/admin/users/zhang", headers=people["admin"],
                        json={"disabled": True}).json["disabled"] is True
    own = client.patch("/api/v1/admin/users/admin", headers=people["admin"], json={"disabled": True})
    assert own.status_code == 409 and "自己" in own.json["error"]["message"]
    unknown = client.patch("/api/v1/admin/users/zhang", headers=people["admin"], json={"colour": "red"})
    assert unknown.status_code == 400 and "colour" in unknown.json["error"]["message"]
