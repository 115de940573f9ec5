"""Subtitles: SRT (UTF-8 or GBK) and WebVTT in, WebVTT out, attached to videos."""

from __future__ import annotations

from pathlib import Path

import pytest

from server.catalogue.items import create_item
from server.core.errors import UserError
from server.ingest.subtitles import SIZE_PERCENT, ensure_sizes, sized_path, to_webvtt
from tests.conftest import editor_token
from tests.support.signed import unsigned

SRT = "1\r\n00:00:01,000 --> 00:00:03,500\r\n同志们好\r\n\r\n2\r\n00:00:04,000 --> 00:00:06,000\r\n学习党章\r\n"


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk"])
def test_srt_in_any_common_encoding_becomes_webvtt(encoding):
    assert to_webvtt(SRT.encode(encoding)) == (
        "WEBVTT\n\n00:00:01.000 --> 00:00:03.500\n同志们好\n\n00:00:04.000 --> 00:00:06.000\n学习党章\n")


def test_webvtt_passes_through_with_hours_added():
    vtt = "WEBVTT\n\n01:02.500 --> 01:04.000 align:middle\n你好\n"
    assert to_webvtt(vtt.encode()) == "WEBVTT\n\n00:01:02.500 --> 00:01:04.000\n你好\n"


@pytest.mark.parametrize("raw, message_id", [
    (b"just some notes\nno timings here\n", "subtitles.no_cues"),
    ("1\n00:00:05,000 --> 00:00:01,000\n倒了\n".encode(), "subtitles.bad_timing"),
    (bytes([0xFF, 0xFE, 0x00, 0xD8]) * 10, "subtitles.unreadable"),
])
def test_bad_subtitles_say_what_to_do(raw, message_id):
    with pytest.raises(UserError) as raised:
        to_webvtt(raw)
    assert raised.value.message_id == message_id and raised.value.status == 422


@pytest.fixture
def video(ctx):
    db, lineup = ctx
    return create_item(db, lineup, kind="video", board_id="dangke", title="党课", state="published",
                       hls_path="vod/1/master.m3u8", duration_s=60.0)


def test_editor_attaches_subtitles_and_the_box_sees_them(app, ctx, client, clock, auth, video):
    db, lineup = ctx
    editor = {"Authorization": f"Bearer {editor_token(db, lineup, clock.now)}"}
    response = client.put(f"/api/v1/items/{video}/subtitles/zh?label=中文", data=SRT.encode("gbk"), headers=editor)
    assert response.status_code == 200
    stored = Path(app.config["MEDIA_ROOT"]) / response.get_json()["path"]
    assert stored.read_text(encoding="utf-8").startswith("WEBVTT")
    detail = client.get(f"/api/v1/items/{video}", headers=auth).get_json()
    [subtitles] = detail["subtitles"]
    assert (subtitles["lang"], subtitles["label"]) == ("zh", "中文")
    assert unsigned(subtitles["url"]) == f"http://localhost/media/subtitles/{video}/zh.vtt"
    assert client.get(subtitles["url"]).headers["Content-Type"].startswith("text/vtt")
    assert client.get(f"/media/subtitles/{video}/zh.vtt").status_code == 403  # only through the signed URL


def test_each_track_is_kept_at_the_tvs_sizes_and_older_tracks_get_theirs(app, ctx, client, clock, auth, video):
    db, lineup = ctx
    editor = {"Authorization": f"Bearer {editor_token(db, lineup, clock.now)}"}
    client.put(f"/api/v1/items/{video}/subtitles/zh?label=中文", data=SRT.encode(), headers=editor)
    [subtitles] = client.get(f"/api/v1/items/{video}", headers=auth).get_json()["subtitles"]
    assert set(subtitles["sizes"]) == {"standard", "large", "larger"}
    assert subtitles["sizes"]["standard"] == subtitles["url"]
    larger = client.get(subtitles["sizes"]["larger"]).get_data(as_text=True)
    standard = client.get(subtitles["url"]).get_data(as_text=True)
    # The same cues, with a style block before the first one (where WebVTT allows it).
    assert larger.startswith("WEBVTT\n\nSTYLE\n::cue {\n  font-size: 200%;\n}\n\n")
    assert larger.split("}\n\n", 1)[1] == standard.split("\n\n", 1)[1]
    # A track saved before there were sizes: the box gets the standard one until the sizes are written.
    media = Path(app.config["MEDIA_ROOT"])
    for size in SIZE_PERCENT:
        (media / sized_path(f"subtitles/{video}/zh.vtt", size)).unlink()
    [subtitles] = client.get(f"/api/v1/items/{video}", headers=auth).get_json()["subtitles"]
    assert list(subtitles["sizes"]) == ["standard"]
    assert ensure_sizes(media, f"subtitles/{video}/zh.vtt") and not ensure_sizes(media, f"subtitles/{video}/zh.vtt")
    # A sized file of other subtitles (a backup restored over newer files) is made the track's own again.
    large = media / sized_path(f"subtitles/{video}/zh.vtt", "large")
    large.write_text("WEBVTT\n\n00:00:01.000 --> 00:00:02.000\n旧的\n")
    assert ensure_sizes(media, f"subtitles/{video}/zh.vtt") and "旧的" not in large.read_text()
    assert not list(media.glob(f"subtitles/{video}/*.tmp"))
    [subtitles] = client.get(f"/api/v1/items/{video}", headers=auth).get_json()["subtitles"]
    assert set(subtitles["sizes"]) == {"standard", "large", "larger"}


@pytest.mark.parametrize("path_lang, boards, status", [("zh", ("daode",), 404), ("中文", (), 400)])
def test_subtitle_refusals(ctx, client, clock, video, path_lang, boards, status):
    db, lineup = ctx
    token = editor_token(db, lineup, clock.now, "zhang", boards=boards)
    response = client.put(f"/api/v1/items/{video}/subtitles/{path_lang}", data=SRT.encode(),
                          headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == status


def test_articles_take_no_subtitles(ctx, client, clock):
    db, lineup = ctx
    article = create_item(db, lineup, kind="article", board_id="fengcai", title="风采", body_markdown="正文")
    token = editor_token(db, lineup, clock.now)
    response = client.put(f"/api/v1/items/{article}/subtitles/zh", data=SRT.encode(),
                          headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 409


@pytest.mark.parametrize("lang", ["zh\n", "zh-CN\n", "zh ", "ZH", "z", "zh-CN-extra-long-tag"])
def test_a_language_code_is_matched_whole(ctx, lang):
    from server.ingest.subtitles import LANG_RE

    assert not LANG_RE.fullmatch(lang)


def test_the_job_runner_gives_older_tracks_their_sizes_at_start(app, ctx, client, clock, video):
    from server.ingest.job_runner import JobRunner
    from server.web.context import site

    db, lineup = ctx
    editor = {"Authorization": f"Bearer {editor_token(db, lineup, clock.now)}"}
    path = client.put(f"/api/v1/items/{video}/subtitles/zh", data=SRT.encode(), headers=editor).get_json()["path"]
    media = Path(app.config["MEDIA_ROOT"])
    for size in SIZE_PERCENT:
        (media / sized_path(path, size)).unlink()
    JobRunner(site())._size_subtitles()  # what start() schedules first
    assert all((media / sized_path(path, size)).is_file() for size in SIZE_PERCENT)
