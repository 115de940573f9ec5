"""The sync thread takes the reducer's effects as objects and answers with its events, online and offline."""

from __future__ import annotations

import queue
import socket

import pytest

from stb_client.link.cache import AnswerCache
from stb_client.link.server_api import ServerApi
from stb_client.link.sync import FETCHES, ServerSync, _checkin_window, channels_from
from stb_client.ui.model import (
    BoardsLoaded,
    ChannelsLoaded,
    CheckinFailed,
    ConnectionChanged,
    FavouriteFailed,
    FetchBoards,
    FetchChannels,
    FetchItems,
    FetchNotices,
    HomeRowsLoaded,
    ItemsLoaded,
    NoticesLoaded,
    ReportPosition,
    SendCheckin,
    SetFavourite,
)

DEADLINE_S = 10


def next_event(events: queue.Queue, kind: type):
    """The next event of `kind`, skipping others; fails after DEADLINE_S."""
    while True:
        event = events.get(timeout=DEADLINE_S)
        if isinstance(event, kind):
            return event


@pytest.fixture
def sync_for():
    started = []

    def make(api: ServerApi, cache: AnswerCache | None = None) -> tuple[ServerSync, queue.Queue]:
        events: queue.Queue = queue.Queue()
        sync = ServerSync(api, events.put, cache, poll_s=3600, offline_poll_s=3600)
        sync.start()
        started.append(sync)
        return sync, events
    yield make
    for sync in started:
        sync.stop()
        sync.thread.join(timeout=DEADLINE_S)


def closed_port() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{probe.getsockname()[1]}"


def test_fetch_effects_come_back_as_events(live_server, device_token, sync_for, tmp_path):
    cache = AnswerCache(tmp_path / "cache.sqlite3")
    sync, events = sync_for(ServerApi(live_server, device_token), cache)
    sync.request(FetchBoards())
    assert next_event(events, ConnectionChanged) == ConnectionChanged(True)
    boards = next_event(events, BoardsLoaded).boards
    assert [b.key for b in boards] == [1, 2, 3, 4, 5, 6, 7, 8, 9, 0]
    sync.request(FetchItems("dangke"))
    assert next_event(events, ItemsLoaded) == ItemsLoaded("dangke", ())
    sync.request(FetchChannels())
    assert [c.number for c in next_event(events, ChannelsLoaded).channels] == [1, 2]
    assert len(cache.get("boards")) == 10 and cache.get("items:dangke")["items"] == []


def test_offline_the_cached_answer_is_used_and_positions_wait(sync_for, tmp_path):
    cache = AnswerCache(tmp_path / "cache.sqlite3")
    cache.put("boards", [{"id": "dangke", "key": 5, "name": "支部党课", "colour": "#0D47A1", "kind": "video"}])
    sync, events = sync_for(ServerApi(closed_port(), "kt_token"), cache)
    sync.request(FetchBoards())
    assert next_event(events, ConnectionChanged) == ConnectionChanged(False)
    assert [b.name for b in next_event(events, BoardsLoaded).boards] == ["支部党课"]
    sync.request(ReportPosition(12, 95.0))
    sync.request(FetchBoards())  # requests run in order: once this answers, the report was handled
    next_event(events, BoardsLoaded)
    assert cache.pending_positions() == [(12, 95.0)]


def test_what_is_not_a_request_is_refused_at_once(sync_for):
    sync, _ = sync_for(ServerApi(closed_port(), None))
    with pytest.raises(TypeError):
        sync.request("boards")
    assert all(ServerSync.handles(kind.__new__(kind)) for kind in FETCHES)


def test_a_check_in_comes_back_refused_in_the_server_s_words_or_as_offline(live_server, device_token, sync_for):
    sync, events = sync_for(ServerApi(live_server, device_token))
    sync.request(SendCheckin(404, (1,)))  # no such programme: the server's words reach the TV
    refused = next_event(events, CheckinFailed)
    assert refused.entry_id == 404 and "节目单里没有编号为 404 的条目" in refused.reason
    offline, offline_events = sync_for(ServerApi(closed_port(), "kt_token"))
    offline.request(SendCheckin(7, (1,)))
    assert next_event(offline_events, CheckinFailed) == CheckinFailed(7)  # not kept for later: it is about now


class OddServer:
    """A server API whose answers are not what the box expects (an old or broken server, a proxy's page)."""

    server_offset_s = 0.0

    def __init__(self, check_in_answer, notices_answer):
        self.check_in_answer, self.notices_answer = check_in_answer, notices_answer

    def check_in(self, entry_id, members):
        return self.check_in_answer

    def notices(self):
        return self.notices_answer


@pytest.mark.parametrize("answer", [{"checked_in": "abc"}, {"checked_in": 5}, [1], {"checked_in": [None]},
                                    {"checked_in": []}, {"checked_in": [{"member_id": True, "name": "x"}]}])
def test_odd_answers_are_a_failed_check_in_and_the_link_goes_on(sync_for, answer):
    sync, events = sync_for(OddServer(answer, [{"id": "r1", "kind": "checkin", "title": "t", "body": "",
                                                "channel": 1, "checkin": {"entry_id": "x"}}]))
    sync.request(SendCheckin(42, (7,)))
    assert next_event(events, CheckinFailed) == CheckinFailed(42, "")
    sync.request(FetchNotices())  # a window it cannot read is left out; the thread is alive to answer
    notices = next_event(events, NoticesLoaded).notices
    assert [n.checkin for n in notices] == [None]


def test_a_check_in_window_is_judged_by_the_server_s_clock(live_server, device_token):
    api = ServerApi(live_server, device_token)
    api.boards()
    assert abs(api.server_offset_s) < 2  # the same machine: the Date header agrees within its second
    raw = {"entry_id": 42, "from": "2026-12-01T11:30:00Z", "until": "2026-12-01T11:45:00Z", "until_label": "19:45"}
    on_time = _checkin_window({**raw, "server_offset_s": 0.0}, "主题党日")
    ahead = _checkin_window({**raw, "server_offset_s": 600.0}, "主题党日")  # the server is 10 minutes ahead
    assert on_time.closes - on_time.opens == 900 and round(on_time.opens - ahead.opens) == 600
    assert _checkin_window({**raw, "from": "2026-12-01T11:30:00"}, "t") is None  # no zone: not guessed


def test_a_favourite_is_kept_then_the_rows_come_back_and_a_refusal_is_said(app, live_server, device_token, sync_for,
                                                                            tmp_path):
    from server.catalogue.items import create_item
    from server.web.context import current_lineup, get_db

    with app.app_context():
        article = create_item(get_db(), current_lineup(), kind="article", board_id="banshi", title="办事指南",
                              state="published", body_markdown="正文")
    cache = AnswerCache(tmp_path / "cache.sqlite3")
    sync, events = sync_for(ServerApi(live_server, device_token), cache)
    sync.request(SetFavourite(article, True))
    rows = next_event(events, HomeRowsLoaded)
    assert [entry.title for entry in rows.favourites] == ["办事指南"] and rows.members == ()
    assert cache.get("home:")["favourites"][0]["id"] == article  # kept for an offline Home
    sync.request(SetFavourite(article + 1, True))  # no such item: the server's words, then the rows again
    refused = next_event(events, FavouriteFailed)
    assert refused.item_id == article + 1 and str(article + 1) in refused.reason
    assert [entry.id for entry in next_event(events, HomeRowsLoaded).favourites] == [article]
    offline, offline_events = sync_for(ServerApi(closed_port(), "kt_token"), cache)
    offline.request(SetFavourite(article, False))
    assert next_event(offline_events, FavouriteFailed) == FavouriteFailed(article, "")
    assert [entry.id for entry in next_event(offline_events, HomeRowsLoaded).favourites] == [article]  # as kept


def test_a_channels_lowest_rung_is_taken_only_as_an_http_url():
    def channel(**fields) -> dict:
        return {"number": 1, "name": "党建频道", "stream_url": "http://s/live/1/master.m3u8", **fields}
    answer = {"channels": [channel(lowest_url="http://s/live/1/360p.m3u8"), channel(lowest_url="file:///etc/passwd"),
                           channel(lowest_url=["http://s/"]), channel()]}
    assert [c.lowest_url for c in channels_from(answer)] == ["http://s/live/1/360p.m3u8", "", "", ""]
