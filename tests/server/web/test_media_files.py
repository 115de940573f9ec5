"""media/ served in development: types players need, ranges, no way out of the folder, and items' files only
through signed, unexpired URLs (as nginx does in production)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.signed import signed_path


@pytest.fixture
def media(app):
    root = Path(app.config["MEDIA_ROOT"])
    (root / "vod" / "1" / "720p").mkdir(parents=True)
    (root / "vod" / "1" / "master.m3u8").write_text("#EXTM3U\n")
    (root / "vod" / "1" / "720p" / "seg_00000.ts").write_bytes(bytes(range(256)) * 4)
    (root / "vod" / "1" / "zh.vtt").write_text("WEBVTT\n")
    (root / "channels" / "1").mkdir(parents=True)
    (root / "channels" / "1" / "logo.png").write_bytes(b"\x89PNG")
    (root.parent / "secret.txt").write_text("no")
    return root


@pytest.fixture
def signed(app, clock):
    """A signed URL for a media path, as the API hands it out now."""
    return lambda path, lifetime_s=3600: "/media/" + signed_path(app, path, clock.now.timestamp(), lifetime_s)


@pytest.mark.parametrize("path, media_type", [
    ("vod/1/master.m3u8", "application/vnd.apple.mpegurl"),
    ("vod/1/720p/seg_00000.ts", "video/mp2t"),
    ("vod/1/zh.vtt", "text/vtt"),
])
def test_hls_files_have_the_types_players_expect(client, media, signed, path, media_type):
    response = client.get(signed(path))
    assert response.status_code == 200
    assert response.headers["Content-Type"].split(";")[0] == media_type


def test_playlists_are_revalidated_segments_cached(client, media, signed):
    assert client.get(signed("vod/1/master.m3u8")).headers["Cache-Control"] == "no-cache"
    assert "max-age=3600" in client.get(signed("vod/1/720p/seg_00000.ts")).headers["Cache-Control"]


def test_range_requests_for_seeking(client, media, signed):
    response = client.get(signed("vod/1/720p/seg_00000.ts"), headers={"Range": "bytes=10-19"})
    assert response.status_code == 206 and response.data == bytes(range(10, 20))


@pytest.mark.parametrize("path", ["../secret.txt", "..%2fsecret.txt", "vod/../../secret.txt", "nothing.ts"])
def test_nothing_outside_media_root(client, media, path):
    assert client.get(f"/media/{path}").status_code in (403, 404)


def test_items_files_need_a_signature_that_holds_and_has_not_expired(client, media, signed, clock):
    assert client.get("/media/vod/1/720p/seg_00000.ts").status_code == 403  # guessed: refused
    good = signed("vod/1/master.m3u8")
    # One signature covers the item's folder: the master playlist's relative URIs resolve under it.
    assert client.get(good.replace("master.m3u8", "720p/seg_00000.ts")).status_code == 200
    assert client.get(good.replace("vod/1/", "vod/2/")).status_code == 403  # not another item's folder
    parts = good.split("/")
    parts[4] = parts[4][:-2] + ("AA" if not parts[4].endswith("AA") else "BB")
    assert client.get("/".join(parts)).status_code == 403  # tampered
    clock.advance(hours=3)
    assert client.get(good).status_code == 410  # expired (a fresh URL comes from the API)
    assert client.get("/media/channels/1/logo.png").status_code == 200  # channel art stays public


@pytest.mark.parametrize("climb", ["vod/1/../2/master.m3u8", "vod/1/..%2F2/master.m3u8", "vod/1/..%2F..%2Fsecret.txt",
                                   "vod/1/./master.m3u8", "vod/1//master.m3u8", "vod/1/..\\2/master.m3u8"])
def test_a_signature_cannot_be_walked_out_of_its_folder(client, media, signed, climb):
    """The review's bypass: one signed URL (a channel playlist hands them out) plus ".." reached any item."""
    (media / "vod" / "2").mkdir()
    (media / "vod" / "2" / "master.m3u8").write_text("#EXTM3U\nsecret draft\n")
    good = signed("vod/1/master.m3u8")
    walked = good.replace("vod/1/master.m3u8", climb)
    answer = client.get(walked)
    assert answer.status_code in (403, 404) and b"secret" not in answer.data


@pytest.mark.parametrize("path", ["channels/../vod/1/master.m3u8", "channels/1/../../vod/1/720p/seg_00000.ts",
                                  "./vod/1/master.m3u8", "channels//1/logo.png"])
def test_an_unsigned_path_cannot_climb_into_items_files(client, media, path):
    assert client.get(f"/media/{path}").status_code in (403, 404)
