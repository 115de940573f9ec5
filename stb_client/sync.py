"""The box's link to the server: API answers turned into the reducer's events, off the main thread.

Requests run one at a time in a worker thread (a box has one slow network);
each answer becomes an event on the client's queue. A failure to reach the
server becomes ConnectionChanged(False), the next success (True); notices and
channels are polled, boards refreshed now and then.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from datetime import datetime
from zoneinfo import ZoneInfo

from .model import (
    Board,
    BoardsLoaded,
    Channel,
    ChannelsLoaded,
    ConnectionChanged,
    ItemDetail,
    ItemLoaded,
    ItemsLoaded,
    ItemSummary,
    Notice,
    NoticesLoaded,
    Programme,
)
from .server_api import ApiError, ServerApi, Unreachable

log = logging.getLogger(__name__)
POLL_SECONDS = 30.0
ITEMS_PER_REQUEST = 99  # items are opened by number 1..99


def _local(text: str | None, zone: ZoneInfo) -> str:
    if not text:
        return ""
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(zone).strftime("%H:%M")


def channels_from(answer: dict) -> tuple[Channel, ...]:
    zone = ZoneInfo(answer.get("timezone") or "Asia/Shanghai")

    def programme(raw: dict | None) -> Programme | None:
        return Programme(raw["title"], _local(raw.get("start"), zone), _local(raw.get("end"), zone)) if raw else None
    return tuple(Channel(c["number"], c["name"], c["stream_url"], programme(c.get("now")), programme(c.get("next")))
                 for c in answer["channels"])


def item_from(raw: dict) -> ItemDetail:
    subtitles = raw.get("subtitles") or []
    return ItemDetail(raw["id"], raw["kind"], raw["title"], raw.get("hls_url"),
                      subtitles[0]["url"] if subtitles else None, float(raw.get("resume_position_s") or 0),
                      raw.get("duration_s"), raw.get("text") or "")


class ServerSync:
    """Runs requests for the reducer's fetch effects and the periodic polls."""

    def __init__(self, api: ServerApi, emit: Callable[[object], None]):
        self.api = api
        self.emit = emit
        self.tasks: queue.Queue = queue.Queue()
        self.online: bool | None = None
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._run, name="server-sync", daemon=True)

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.stopping.set()
        self.tasks.put(None)

    def request(self, name: str, *args) -> None:
        """Queue one request by name: boards, items, item, channels, notices, position."""
        self.tasks.put((name, args))

    def _run(self) -> None:
        next_poll = 0.0
        while not self.stopping.is_set():
            timeout = max(0.0, next_poll - time.monotonic())
            try:
                task = self.tasks.get(timeout=timeout)
            except queue.Empty:
                task = ("poll", ())
            if task is None:
                return
            if task[0] == "poll":
                next_poll = time.monotonic() + POLL_SECONDS
                for name in ("channels", "notices"):
                    self._do(name, ())
                continue
            self._do(*task)

    def _do(self, name: str, args: tuple) -> None:
        try:
            event = getattr(self, f"_{name}")(*args)
        except Unreachable as error:
            log.info("server unreachable: %s", error)
            self._set_online(False)
            return
        except ApiError as error:
            log.warning("%s %s: %s", name, args, error)
            self._set_online(True)
            return
        self._set_online(True)
        if event is not None:
            self.emit(event)

    def _set_online(self, online: bool) -> None:
        if online != self.online:
            self.online = online
            self.emit(ConnectionChanged(online))

    def _boards(self):
        return BoardsLoaded(tuple(Board(b["id"], b["key"], b["name"], b["colour"], b["kind"], b.get("item_count", 0))
                                  for b in self.api.boards()))

    def _items(self, board_id: str):
        answer = self.api.board_items(board_id, 1, ITEMS_PER_REQUEST)
        return ItemsLoaded(board_id, tuple(
            ItemSummary(i["id"], i["kind"], i["title"], i.get("duration_s"), (i.get("published_at") or "")[:10],
                        i.get("thumbnail_url")) for i in answer["items"]))

    def _item(self, item_id: int):
        return ItemLoaded(item_from(self.api.item(item_id)))

    def _channels(self):
        return ChannelsLoaded(channels_from(self.api.channels()))

    def _notices(self):
        return NoticesLoaded(tuple(Notice(n["id"], n["kind"], n["title"], n["body"], n.get("channel"))
                                   for n in self.api.notices()))

    def _position(self, item_id: int, position_s: float):
        self.api.save_position(item_id, position_s)
        return None
