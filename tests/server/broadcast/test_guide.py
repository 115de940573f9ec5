"""The guide for boxes (JSON) and for players (XMLTV valid against the DTD, M3U), and the live playlists."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from lxml import etree

from server.core.timestamps import format_utc
from server.web.context import current_lineup, get_db, station
from tests.support.fake_vod import prepare_channels

# Debian's libxmltv-perl ships the XMLTV DTD; scripts/install-deps installs it with the test dependencies.
DTD = Path("/usr/share/sgml/xmltv/dtd/0.5/xmltv.dtd")


@pytest.fixture
def built(app, clock):
    items = prepare_channels(app, fillers=(("dangke", "党课<片段>&“引号”", 50), ("jiaoyu", "教育片", 70)))
    with app.app_context():
        db, lineup = get_db(), current_lineup()
        db.execute("UPDATE items SET description = '讲述基层党建', speaker = '王书记'")
        station().keep_built(db, lineup, clock.now)
    return items


def test_channels_give_stream_logo_now_and_next(client, auth, built, clock):
    answer = client.get("/api/v1/channels", headers=auth)
    assert answer.status_code == 200
    first = answer.json["channels"][0]
    assert first["number"] == 1 and first["name"] == "党建频道"
    assert first["stream_url"] == "http://localhost/live/1/master.m3u8"
    assert first["lowest_url"] == "http://localhost/live/1/360p.m3u8"  # the rung a box's prepared neighbour plays
    assert client.get("/live/1/360p.m3u8").status_code == 200
    assert first["now"]["title"] == "党课<片段>&“引号”" and first["now"]["board_name"] == "支部党课"
    assert first["next"]["title"] == "教育片" and first["next"]["start"] == first["now"]["end"]
    again = client.get("/api/v1/channels", headers={**auth, "If-None-Match": answer.headers["ETag"]})
    assert again.status_code == 304
    assert client.get("/api/v1/channels").status_code == 401


def test_epg_grid_covers_the_range_without_holes(client, auth, built, clock):
    start, end = clock.now, clock.now + timedelta(hours=3)
    answer = client.get("/api/v1/epg", query_string={"from": format_utc(start), "to": format_utc(end),
                                                     "channel": "1"}, headers=auth)
    programmes = answer.json["channels"][0]["programmes"]
    assert len(answer.json["channels"]) == 1
    assert programmes[0]["start"] <= format_utc(start) and programmes[-1]["end"] >= format_utc(end)
    assert all(a["end"] == b["start"] for a, b in zip(programmes, programmes[1:], strict=False))
    bad = client.get("/api/v1/epg", query_string={"from": "tomorrow"}, headers=auth)
    assert bad.status_code == 400 and "tomorrow" in bad.json["error"]["message"]
    assert client.get("/api/v1/epg", query_string={"channel": "9"}, headers=auth).status_code == 404


def test_xmltv_is_valid_against_the_dtd_with_chinese_titles_and_categories(client, built):
    answer = client.get("/epg.xml")
    assert answer.status_code == 200 and answer.mimetype == "application/xml"
    document = etree.fromstring(answer.data)
    assert DTD.is_file(), f"{DTD} is missing: install Debian's libxmltv-perl (scripts/install-deps --test does)"
    dtd = etree.DTD(str(DTD))
    assert dtd.validate(document), dtd.error_log.filter_from_errors()
    channels = document.findall("channel")
    assert [c.get("id") for c in channels] == ["1.keting", "2.keting"]
    assert channels[0].findtext("display-name") == "党建频道"
    assert channels[0].find("icon").get("src") == "http://localhost/media/channels/1/logo.png"
    first = document.find("programme")
    assert first.get("channel") == "1.keting" and first.get("start").endswith(" +0800")
    # Channel 1 runs nothing but filler from two boards: one block names both boards and its first videos.
    assert first.findtext("title") == "精选：支部党课、党员教育"
    assert first.find("title").get("lang") == "zh"
    assert first.findtext("desc").startswith("党课<片段>&“引号”、教育片、党课<片段>&“引号”")
    assert len(document.findall("programme[@channel='1.keting']")) == 1


def test_m3u_lists_every_channel_for_iptv_players(client, built, app):
    text = client.get("/channels.m3u").get_data(as_text=True)
    lines = text.splitlines()
    assert lines[0] == '#EXTM3U x-tvg-url="http://localhost/epg.xml" url-tvg="http://localhost/epg.xml"'
    assert lines[1] == ('#EXTINF:-1 tvg-id="1.keting" tvg-chno="1" tvg-name="党建频道" '
                        'tvg-logo="http://localhost/media/channels/1/logo.png" group-title="客厅党建",党建频道')
    assert lines[2] == "http://localhost/live/1/master.m3u8"
    assert lines[4] == "http://localhost/live/2/master.m3u8"
    app.config["PUBLIC_URL"] = "https://tv.example.org"
    assert "https://tv.example.org/live/1/master.m3u8" in client.get("/channels.m3u").get_data(as_text=True)


def test_live_playlists_are_hls_and_unknown_ones_are_404(client, built):
    master = client.get("/live/1/master.m3u8")
    assert master.mimetype == "application/vnd.apple.mpegurl"
    assert master.get_data(as_text=True).splitlines()[-1] == "360p.m3u8"
    media = client.get("/live/1/720p.m3u8").get_data(as_text=True)
    assert "#EXT-X-DISCONTINUITY-SEQUENCE:0" in media and "/vod/1/720p/seg_00000.ts" in media and "/media/s/" in media
    assert client.get("/live/9/master.m3u8").status_code == 404
    assert client.get("/live/1/1080p.m3u8").status_code == 404


def test_control_characters_left_in_old_rows_do_not_break_the_guide_or_the_m3u(app, client, built, clock):
    """A title with a control character once made /epg.xml unreadable for every player."""
    with app.app_context():
        get_db().execute("UPDATE items SET title = title || char(11) || '尾', description = 'a' || char(27) || 'b'")
        get_db().execute("UPDATE playout SET title = title || char(11) || '尾'")
    answer = client.get("/epg.xml")
    document = etree.fromstring(answer.data)  # raises on a control character
    assert etree.DTD(str(DTD)).validate(document)
    assert "\x0b" not in answer.get_data(as_text=True) and "尾" in document.findtext("programme/desc")


def test_control_characters_are_refused_where_text_comes_in(app, client, clock):
    from tests.conftest import editor_token

    with app.app_context():
        token = editor_token(get_db(), current_lineup(), clock.now, username="admin", role="admin")
    headers = {"Authorization": f"Bearer {token}"}
    answer = client.post("/api/v1/editor/articles", headers=headers,
                         json={"board_id": "banshi", "title": "办事\x1b[2J指南", "body_markdown": "正文"})
    assert answer.status_code == 400 and answer.json["error"]["code"] == "control_character"
    assert "title" in answer.json["error"]["message"] and "U+001B" in answer.json["error"]["message"]
    notice = client.post("/api/v1/admin/notices", headers=headers,
                         json={"title": "停水\x00通知", "expires_at": "2026-11-24T00:00:00Z"})
    assert notice.status_code == 400 and notice.json["error"]["code"] == "control_character"
    fine = client.post("/api/v1/editor/articles", headers=headers,
                       json={"board_id": "banshi", "title": "办事指南", "body_markdown": "第一行\n\t第二行"})
    assert fine.status_code == 201


def test_the_guide_lists_programmes_and_one_block_per_run_of_filler():
    from datetime import UTC, datetime, timedelta

    from server.broadcast.guide import Programme, in_blocks

    start = datetime(2026, 12, 1, 10, tzinfo=UTC)

    def at(minutes: int, length: int, kind: str, title: str, board=("jiaoyu", "党员教育")):
        begin = start + timedelta(minutes=minutes)
        return Programme(1, kind, begin, begin + timedelta(minutes=length), title, *board, "", "", 1, None, False)
    listing = [at(0, 30, "programme", "主题党日"), at(30, 10, "filler", "片一"), at(40, 10, "filler", "片二"),
               at(50, 10, "filler", "片三"), at(60, 5, "slate", "节目间歇", (None, None)),
               at(65, 5, "slate", "节目间歇", (None, None)), at(70, 30, "programme", "党课"),
               at(100, 10, "filler", "片四")]
    blocks = in_blocks(listing)
    assert [(b.title, b.start, b.end) for b in blocks] == [
        ("主题党日", listing[0].start, listing[0].end),
        ("精选：党员教育", listing[1].start, listing[3].end),
        ("节目间歇", listing[4].start, listing[5].end),
        ("党课", listing[6].start, listing[6].end),
        ("片四", listing[7].start, listing[7].end)]  # one filler video alone keeps its own title
    assert blocks[1].description == "片一、片二、片三" and blocks[1].board_name == "党员教育"


def test_the_written_guide_is_served_with_the_requests_address_and_gzipped(app, client, built, clock):
    import gzip

    from server.broadcast.guide_files import write_guide

    with app.app_context():
        count = write_guide(get_db(), current_lineup(), Path(app.config["MEDIA_ROOT"]), clock.now,
                            app.config["TIMEZONE"], app.config["LANGUAGE"])
    assert count == 2
    plain = client.get("/epg.xml")
    assert b'src="http://localhost/media/channels/1/logo.png"' in plain.data and b"keting-media-base" not in plain.data
    packed = client.get("/epg.xml.gz")
    assert packed.mimetype == "application/gzip" and gzip.decompress(packed.data) == plain.data
