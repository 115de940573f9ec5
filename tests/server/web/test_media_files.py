"""media/ served in development: types players need, ranges, no way out of the folder."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture
def media(app):
    root = Path(app.config["MEDIA_ROOT"])
    (root / "vod" / "1" / "720p").mkdir(parents=True)
    (root / "vod" / "1" / "master.m3u8").write_text("#EXTM3U\n")
    (root / "vod" / "1" / "720p" / "seg_00000.ts").write_bytes(bytes(range(256)) * 4)
    (root / "vod" / "1" / "zh.vtt").write_text("WEBVTT\n")
    (root.parent / "secret.txt").write_text("no")
    return root


@pytest.mark.parametrize("path, media_type", [
    ("vod/1/master.m3u8", "application/vnd.apple.mpegurl"),
    ("vod/1/720p/seg_00000.ts", "video/mp2t"),
    ("vod/1/zh.vtt", "text/vtt"),
])
def test_hls_files_have_the_types_players_expect(client, media, path, media_type):
    response = client.get(f"/media/{path}")
    assert response.status_code == 200
    assert response.headers["Content-Type"].split(";")[0] == media_type


def test_playlists_are_revalidated_segments_cached(client, media):
    assert client.get("/media/vod/1/master.m3u8").headers["Cache-Control"] == "no-cache"
    assert "max-age=3600" in client.get("/media/vod/1/720p/seg_00000.ts").headers["Cache-Control"]


def test_range_requests_for_seeking(client, media):
    response = client.get("/media/vod/1/720p/seg_00000.ts", headers={"Range": "bytes=10-19"})
    assert response.status_code == 206 and response.data == bytes(range(10, 20))


@pytest.mark.parametrize("path", ["../secret.txt", "..%2fsecret.txt", "vod/../../secret.txt", "nothing.ts"])
def test_nothing_outside_media_root(client, media, path):
    assert client.get(f"/media/{path}").status_code == 404


def test_media_route_is_off_when_nginx_serves_the_folder(tmp_path):
    from server import create_app

    app = create_app({"DATABASE": str(tmp_path / "k.db"), "MEDIA_ROOT": str(tmp_path / "m"), "SERVE_MEDIA": False})
    (tmp_path / "m" / "a.ts").write_bytes(b"x")
    assert app.test_client().get("/media/a.ts").status_code == 404
