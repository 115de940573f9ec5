"""The set-top API: answers, conditional GET, resume points and every error path."""

from __future__ import annotations

import re

import pytest

from server.catalogue.items import add_subtitles, create_item
from tests.support.signed import unsigned

CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture
def content(ctx):
    """One long video with subtitles and one article with an image; returns their ids."""
    db, lineup = ctx
    video = create_item(db, lineup, kind="video", board_id="dangke", title="党课", speaker="王书记",
                        state="published", duration_s=600.0, hls_path="vod/1/master.m3u8",
                        thumbnail_path="vod/1/thumb.jpg")
    add_subtitles(db, video, "zh", "中文", "vod/1/zh.vtt")
    article = create_item(db, lineup, kind="article", board_id="banshi", title="办事指南",
                          state="published", body_markdown="第一步\n\n![图](articles/2/map.png)")
    return {"video": video, "article": article}


def test_boards_lists_the_ten_with_counts(client, auth, content):
    response = client.get("/api/v1/boards", headers=auth)
    boards = response.get_json()["boards"]
    assert [b["key"] for b in boards] == [1, 2, 3, 4, 5, 6, 7, 8, 9, 0]
    counts = {b["id"]: b["item_count"] for b in boards}
    assert counts["dangke"] == 1 and counts["banshi"] == 1 and counts["kepu"] == 0
    assert response.headers["Content-Type"].startswith("application/json")
    assert "基层党建" in response.get_data(as_text=True)  # readable UTF-8, not \\u escapes


def test_conditional_get_answers_304_without_a_body(client, auth, content, ctx):
    first = client.get("/api/v1/boards", headers=auth)
    etag = first.headers["ETag"]
    assert first.headers["Cache-Control"] == "private, no-cache"
    again = client.get("/api/v1/boards", headers={**auth, "If-None-Match": etag})
    assert (again.status_code, again.data, again.headers["ETag"]) == (304, b"", etag)
    db, lineup = ctx
    create_item(db, lineup, kind="article", board_id="minsheng", title="新通知",
                state="published", body_markdown="x")
    changed = client.get("/api/v1/boards", headers={**auth, "If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["ETag"] != etag


def test_board_items_page(client, auth, content):
    body = client.get("/api/v1/boards/dangke/items?page=1&per_page=5", headers=auth).get_json()
    assert (body["page"], body["per_page"], body["total"], body["pages"]) == (1, 5, 1, 1)
    [item] = body["items"]
    assert item["title"] == "党课" and item["duration_s"] == 600.0
    assert unsigned(item["thumbnail_url"]) == "http://localhost/media/vod/1/thumb.jpg"
    assert item["thumbnail_url"].startswith("http://localhost/media/s/")  # an item's files are signed
    empty = client.get("/api/v1/boards/kepu/items", headers=auth).get_json()
    assert (empty["items"], empty["total"], empty["pages"]) == ([], 0, 1)


def test_video_detail_and_resume_point(client, auth, content):
    url = f"/api/v1/items/{content['video']}"
    detail = client.get(url, headers=auth).get_json()
    assert unsigned(detail["hls_url"]) == "http://localhost/media/vod/1/master.m3u8"
    assert [{**s, "url": unsigned(s["url"]), "sizes": {k: unsigned(v) for k, v in s["sizes"].items()}}
            for s in detail["subtitles"]] == [
        {"lang": "zh", "label": "中文", "url": "http://localhost/media/vod/1/zh.vtt",
         "sizes": {"standard": "http://localhost/media/vod/1/zh.vtt"}}]  # no larger files for this track
    assert detail["resume_position_s"] == 0.0
    saved = client.put(f"{url}/position", headers=auth, json={"position_s": 125.5})
    assert saved.get_json() == {"item_id": content["video"], "position_s": 125.5, "completed": False}
    assert client.get(url, headers=auth).get_json()["resume_position_s"] == 125.5
    # Near the end counts as finished: the next play starts from the beginning.
    done = client.put(f"{url}/position", headers=auth, json={"position_s": 590})
    assert done.get_json()["completed"] is True
    assert client.get(url, headers=auth).get_json()["resume_position_s"] == 0.0
    past_end = client.put(f"{url}/position", headers=auth, json={"position_s": 9999})
    assert past_end.get_json()["position_s"] == 600.0


def test_resume_points_are_per_box(app, client, auth, content, ctx, clock):
    from tests.conftest import pair_device

    db, _ = ctx
    _, other_token = pair_device(db, clock.now, serial="SN-OTHER")
    url = f"/api/v1/items/{content['video']}"
    client.put(f"{url}/position", headers=auth, json={"position_s": 42})
    other = client.get(url, headers={"Authorization": f"Bearer {other_token}"}).get_json()
    assert other["resume_position_s"] == 0.0


def test_article_detail_has_html_text_and_images(client, auth, content):
    detail = client.get(f"/api/v1/items/{content['article']}", headers=auth).get_json()
    assert detail["kind"] == "article"
    assert "<p>第一步</p>" in detail["html"]
    assert detail["text"].startswith("第一步")
    assert detail["images"] == ["http://localhost/media/articles/2/map.png"]
    assert "hls_url" not in detail


def test_media_url_setting_points_boxes_at_a_cdn(app, client, auth, content):
    app.config["MEDIA_URL"] = "https://cdn.example.org/keting/"
    detail = client.get(f"/api/v1/items/{content['video']}", headers=auth).get_json()
    assert unsigned(detail["hls_url"]) == "https://cdn.example.org/keting/vod/1/master.m3u8"


def error_of(response, status):
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.headers["Content-Type"].startswith("application/json")
    error = response.get_json()["error"]
    assert set(error) == {"code", "message"} and CJK.search(error["message"])
    return error["code"]


@pytest.mark.parametrize("method, path, body, status, code", [
    ("GET", "/api/v1/boards/nosuch/items", None, 404, "unknown_board"),
    ("GET", "/api/v1/boards/dangke/items?page=0", None, 400, "bad_int_param"),
    ("GET", "/api/v1/boards/dangke/items?page=abc", None, 400, "bad_int_param"),
    ("GET", "/api/v1/boards/dangke/items?per_page=101", None, 400, "bad_int_param"),
    ("GET", "/api/v1/boards/dangke/items?per_page=-1", None, 400, "bad_int_param"),
    ("GET", "/api/v1/boards/dangke/items?page=1e3", None, 400, "bad_int_param"),
    ("GET", "/api/v1/items/abc", None, 400, "bad_item_id"),
    ("GET", "/api/v1/items/-1", None, 400, "bad_item_id"),
    ("GET", "/api/v1/items/99999999999999999999999", None, 400, "bad_item_id"),
    ("GET", "/api/v1/items/4242", None, 404, "unknown_item"),
    ("PUT", "/api/v1/items/4242/position", {"position_s": 1}, 404, "unknown_item"),
    ("PUT", "/api/v1/items/{video}/position", None, 400, "body_not_json_object"),
    ("PUT", "/api/v1/items/{video}/position", [1, 2], 400, "body_not_json_object"),
    ("PUT", "/api/v1/items/{video}/position", {}, 400, "bad_position"),
    ("PUT", "/api/v1/items/{video}/position", {"position_s": "12"}, 400, "bad_position"),
    ("PUT", "/api/v1/items/{video}/position", {"position_s": -1}, 400, "bad_position"),
    ("PUT", "/api/v1/items/{video}/position", {"position_s": True}, 400, "bad_position"),
    ("PUT", "/api/v1/items/{article}/position", {"position_s": 3}, 409, "position_not_video"),
    ("GET", "/api/v1/nothing-here", None, 404, "not_found"),
    ("DELETE", "/api/v1/boards", None, 405, "method_not_allowed"),
    ("GET", "/api/v1/devices", None, 405, "method_not_allowed"),
    ("POST", "/api/v1/devices", None, 400, "body_not_json_object"),
])
def test_error_paths(client, auth, content, method, path, body, status, code):
    path = path.format(**content)
    kwargs = {"json": body} if body is not None else {}
    assert error_of(client.open(path, method=method, headers=auth, **kwargs), status) == code


def test_non_finite_position_is_refused(client, auth, content):
    response = client.put(f"/api/v1/items/{content['video']}/position", headers={
        **auth, "Content-Type": "application/json"}, data='{"position_s": NaN}')
    assert error_of(response, 400) == "bad_position"


def test_a_crash_is_a_json_500_without_internals(app, client, auth, monkeypatch):
    def explode(*args, **kwargs):
        raise RuntimeError("secret internal detail")
    monkeypatch.setattr("server.web.api.catalogue_routes.board_counts", explode)
    response = client.get("/api/v1/boards", headers=auth)
    assert error_of(response, 500) == "internal_error"
    assert "secret" not in response.get_data(as_text=True)


def test_front_page_shows_the_boards_in_chinese(client, content):
    page = client.get("/").get_data(as_text=True)
    assert "基层党建" in page and "科普知识" in page and "已发布 1 条" in page
