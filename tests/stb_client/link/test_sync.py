"""The sync thread takes the reducer's effects as objects and answers with its events, online and offline."""

from __future__ import annotations

import queue
import socket

import pytest

from stb_client.link.cache import AnswerCache
from stb_client.link.server_api import ServerApi
from stb_client.link.sync import FETCHES, ServerSync
from stb_client.ui.model import (
    BoardsLoaded,
    ChannelsLoaded,
    ConnectionChanged,
    FetchBoards,
    FetchChannels,
    FetchItems,
    ItemsLoaded,
    ReportPosition,
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
