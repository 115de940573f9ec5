"""One URL builder (KETING_PUBLIC_URL, KETING_MEDIA_URL) for every absolute URL, and one parser per kind of
request input that refuses bad values with a 400 naming the field."""

from __future__ import annotations

import re

import pytest

from server.catalogue.items import add_subtitles, create_item
from server.web.context import current_lineup, get_db
from tests.conftest import editor_token
from tests.server.web.test_console_auth import login
from tests.support.signed import unsigned


@pytest.fixture
def content(ctx):
    db, lineup = ctx
    video = create_item(db, lineup, kind="video", board_id="dangke", title="党课", state="published",
                        duration_s=600.0, hls_path="vod/1/master.m3u8", thumbnail_path="vod/1/thumb.jpg")
    add_subtitles(db, video, "zh", "中文", "subtitles/1/zh.vtt")
    article = create_item(db, lineup, kind="article", board_id="banshi", title="办事指南", state="published",
                          body_markdown="![图](articles/ab/map.jpg)")
    return video, article


def absolute_urls(client, auth, video, article, admin) -> list[str]:
    """Every absolute URL a box, a player or an editor is handed for the same content."""
    detail = client.get(f"/api/v1/items/{video}", headers=auth).json
    text = client.get(f"/api/v1/items/{article}", headers=auth).json
    channel = client.get("/api/v1/channels", headers=auth).json["channels"][0]
    upload = client.post("/api/v1/uploads", headers={**admin, "Tus-Resumable": "1.0.0", "Upload-Length": "10",
                                                     "Upload-Metadata": "board ZGFuZ2tl,filename YS5tcDQ="})
    library = client.get(f"/api/v1/editor/items/{video}", headers=admin).json
    m3u = client.get("/channels.m3u").get_data(as_text=True)
    return [detail["hls_url"], detail["thumbnail_url"], detail["subtitles"][0]["url"], text["images"][0],
            channel["stream_url"], channel["logo_url"], upload.headers["Location"], library["hls_url"],
            *re.findall(r'https?://[^"\s,]+', m3u)]


@pytest.fixture
def admin(app, clock):
    with app.app_context():
        token = editor_token(get_db(), current_lineup(), clock.now, username="admin", role="admin")
    return {"Authorization": f"Bearer {token}"}


def test_without_settings_urls_follow_the_request(client, auth, content, admin):
    urls = absolute_urls(client, auth, *content, admin)
    assert all(url.startswith("http://localhost/") for url in urls), urls


def test_behind_a_proxy_every_url_uses_the_public_address(app, client, auth, content, admin):
    app.config["PUBLIC_URL"] = "https://tv.example.org"
    urls = absolute_urls(client, auth, *content, admin)
    assert all(url.startswith("https://tv.example.org/") for url in urls), urls
    assert "https://tv.example.org/media/vod/1/master.m3u8" in [unsigned(url) for url in urls]
    assert "https://tv.example.org/api/v1/uploads/" in urls[6]


def test_media_on_a_cdn_and_the_rest_on_the_public_address(app, client, auth, content, admin):
    app.config.update(PUBLIC_URL="https://tv.example.org/", MEDIA_URL="https://cdn.example.org/keting/")
    video, article = content
    detail = client.get(f"/api/v1/items/{video}", headers=auth).json
    assert unsigned(detail["hls_url"]) == "https://cdn.example.org/keting/vod/1/master.m3u8"
    assert unsigned(detail["subtitles"][0]["url"]) == "https://cdn.example.org/keting/subtitles/1/zh.vtt"
    channel = client.get("/api/v1/channels", headers=auth).json["channels"][0]
    assert channel["stream_url"] == "https://tv.example.org/live/1/master.m3u8"
    assert channel["logo_url"] == "https://cdn.example.org/keting/channels/1/logo.png"


@pytest.mark.parametrize(("path", "field"), [
    ("/api/v1/admin/notices/preview?org_id=abc", "org_id"),
    ("/api/v1/admin/notices/preview?org_id=0", "org_id"),
    ("/api/v1/admin/schedule?channel=abc", "channel"),
    ("/api/v1/admin/schedule?channel=1.5", "channel"),
    ("/api/v1/boards/dangke/items?page=abc", "page"),
    ("/api/v1/boards/dangke/items?per_page=100000", "per_page"),
])
def test_a_bad_query_parameter_is_refused_naming_it(client, auth, admin, path, field):
    headers = auth if path.startswith("/api/v1/boards") else admin
    answer = client.get(path, headers=headers)
    assert answer.status_code == 400, answer.json
    assert answer.json["error"]["code"] in ("bad_id_param", "bad_int_param")
    assert field in answer.json["error"]["message"]


def test_a_bad_channel_in_the_guide_is_refused_and_a_missing_one_is_404(client, auth):
    assert client.get("/api/v1/epg?channel=abc", headers=auth).status_code == 400
    assert client.get("/api/v1/epg?channel=99", headers=auth).status_code == 404
    assert client.get("/api/v1/epg?channel=1", headers=auth).status_code == 200


def test_a_dry_run_flag_must_be_yes_or_no(client, admin, clock):
    answer = client.post("/api/v1/admin/schedule?dry_run=maybe", headers=admin, json={})
    assert answer.status_code == 400 and answer.json["error"]["code"] == "bad_flag_param"


def test_the_console_refuses_a_bad_channel_or_week_instead_of_guessing(app, client, clock):
    with app.app_context():
        editor_token(get_db(), current_lineup(), clock.now, username="admin", role="admin")
    login(client, "admin")
    assert client.get("/console/schedule?channel=1").status_code == 200
    assert client.get("/console/schedule?channel=abc").status_code == 400
    assert client.get("/console/schedule?channel=7").status_code == 404
    assert client.get("/console/schedule?week=last-week").status_code == 400


def test_a_forged_host_header_is_refused_when_the_site_names_its_hosts(app, client):
    app.config["TRUSTED_HOSTS"] = ["tv.example.org"]
    forged = client.get("/channels.m3u", headers={"Host": 'evil.example" tvg-logo="x'})
    assert forged.status_code == 400
    other = client.get("/channels.m3u", headers={"Host": "evil.example"})
    assert other.status_code == 400 and b"evil.example" not in other.data
    good = client.get("/channels.m3u", headers={"Host": "tv.example.org"})
    assert good.status_code == 200 and b"http://tv.example.org/live/1/master.m3u8" in good.data


def test_keting_serve_warns_when_a_public_server_trusts_any_host(app):
    from server.cli import serve_warnings

    assert serve_warnings(app.config, "127.0.0.1") == []
    assert "KETING_PUBLIC_URL" in serve_warnings(app.config, "0.0.0.0")[0]
    app.config["ALLOWED_HOSTS"] = "tv.example.org"
    assert serve_warnings(app.config, "0.0.0.0") == []


def test_the_allowed_hosts_setting_becomes_flasks_trusted_hosts(tmp_path):
    from server import create_app

    pinned = create_app({"DATABASE": str(tmp_path / "k.db"), "MEDIA_ROOT": str(tmp_path / "media"),
                         "SECRET_KEY": "x", "ALLOWED_HOSTS": "tv.example.org, 10.0.0.5:8080"})
    assert pinned.config["TRUSTED_HOSTS"] == ["tv.example.org", "10.0.0.5:8080"]
    assert pinned.test_client().get("/", headers={"Host": "evil.example"}).status_code == 400
