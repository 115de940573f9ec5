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
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from .cache import AnswerCache
from .model import (
    Board,
    BoardsLoaded,
    Channel,
    ChannelsLoaded,
    ConnectionChanged,
    Guide,
    GuideLoaded,
    GuideSlot,
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
OFFLINE_POLL_SECONDS = 5.0
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


def guide_from(answer: dict, wall: float | None = None, mono: float | None = None) -> Guide:
    """The EPG answer as the guide grid's data, stamped with both clocks read now."""
    zone = ZoneInfo(answer.get("timezone") or "Asia/Shanghai")

    def slot(raw: dict) -> GuideSlot:
        start = datetime.fromisoformat(raw["start"].replace("Z", "+00:00"))
        end = datetime.fromisoformat(raw["end"].replace("Z", "+00:00"))
        return GuideSlot(raw["title"], start.timestamp(), end.timestamp(), start.astimezone(zone).strftime("%H:%M"))
    channels = tuple((c["number"], tuple(slot(p) for p in c["programmes"])) for c in answer["channels"])
    return Guide(channels, time.time() if wall is None else wall, time.monotonic() if mono is None else mono,
                 str(zone))


def _guide_span() -> tuple[str, str]:
    """The hours the grid can show: from the half hour now is in, a day ahead (whole minutes,
    so the conditional GET's URL, and with it the cached answer, stays the same for a while)."""
    start = int(time.time() // 1800 * 1800)
    return (datetime.fromtimestamp(start, UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            datetime.fromtimestamp(start + 24 * 3600, UTC).strftime("%Y-%m-%dT%H:%M:%SZ"))


def item_from(raw: dict) -> ItemDetail:
    subtitles = raw.get("subtitles") or []
    return ItemDetail(raw["id"], raw["kind"], raw["title"], raw.get("hls_url"),
                      subtitles[0]["url"] if subtitles else None, float(raw.get("resume_position_s") or 0),
                      raw.get("duration_s"), raw.get("text") or "")


class ServerSync:
    """Runs requests for the reducer's fetch effects and the periodic polls.

    With a cache, every answer is kept, and while the server cannot be reached the
    kept answer is used instead; polls come every OFFLINE_POLL_SECONDS then, so the
    box notices by itself when the network is back.
    """

    def __init__(self, api: ServerApi, emit: Callable[[object], None], cache: AnswerCache | None = None,
                 poll_s: float = POLL_SECONDS, offline_poll_s: float = OFFLINE_POLL_SECONDS):
        self.api = api
        self.emit = emit
        self.cache = cache
        self.poll_s, self.offline_poll_s = poll_s, offline_poll_s
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
        """Queue one request by name: boards, items, item, channels, notices, position, playing."""
        self.tasks.put((name, args))

    def show_cached(self) -> None:
        """Emit what the cache holds for Home and the guide (at start, before the network answers)."""
        for name in ("boards", "channels"):
            raw = self.cache.get(name) if self.cache else None
            if raw is not None:
                self.emit(CONVERT[name](raw))

    def _run(self) -> None:
        last_poll = float("-inf")
        while not self.stopping.is_set():
            # Offline, look again soon (the interval shortens the moment a request fails).
            interval = self.poll_s if self.online is not False else self.offline_poll_s
            timeout = max(0.0, last_poll + interval - time.monotonic())
            try:
                task = self.tasks.get(timeout=timeout)
            except queue.Empty:
                task = ("poll", ())
            if task is None:
                return
            if task[0] == "poll":
                last_poll = time.monotonic()
                for name in ("channels", "notices"):
                    self._do(name, ())
                continue
            self._do(*task)

    def _do(self, name: str, args: tuple) -> None:
        if name == "position":
            self._report(*args)
            return
        if name == "playing":
            try:
                self.api.report_playing(*args)
            except (Unreachable, ApiError) as error:  # only informative: never retried
                log.info("playing report: %s", error)
            return
        key = ":".join([name, *map(str, args)])
        try:
            raw = FETCH[name](self.api, *args)
        except Unreachable as error:
            log.info("server unreachable: %s", error)
            self._set_online(False)
            raw = self.cache.get(key) if self.cache else None
            if raw is not None:
                self.emit(CONVERT[name](raw, *args))
            return
        except ApiError as error:
            log.warning("%s %s: %s", name, args, error)
            self._set_online(True)
            return
        if self.cache is not None:
            self.cache.put(key, raw)
        self._set_online(True)
        self.emit(CONVERT[name](raw, *args))

    def _report(self, item_id: int, position_s: float) -> None:
        try:
            self.api.save_position(item_id, position_s)
        except Unreachable:
            self._set_online(False)
            if self.cache is not None:
                self.cache.keep_position(item_id, position_s)
            return
        except ApiError as error:
            log.warning("position of %s: %s", item_id, error)
        self._set_online(True)

    def _set_online(self, online: bool) -> None:
        if online != self.online:
            self.online = online
            self.emit(ConnectionChanged(online))
            if online and self.cache is not None:
                for item_id, position in self.cache.pending_positions():
                    self.cache.forget_position(item_id)
                    self.tasks.put(("position", (item_id, position)))


def _boards(raw) -> BoardsLoaded:
    return BoardsLoaded(tuple(Board(b["id"], b["key"], b["name"], b["colour"], b["kind"], b.get("item_count", 0))
                              for b in raw))


def _items(raw, board_id: str) -> ItemsLoaded:
    return ItemsLoaded(board_id, tuple(
        ItemSummary(i["id"], i["kind"], i["title"], i.get("duration_s"), (i.get("published_at") or "")[:10],
                    i.get("thumbnail_url")) for i in raw["items"]))


def _notices(raw) -> NoticesLoaded:
    return NoticesLoaded(tuple(Notice(n["id"], n["kind"], n["title"], n["body"], n.get("channel")) for n in raw))


FETCH = {
    "boards": lambda api: api.boards(),
    "items": lambda api, board_id: api.board_items(board_id, 1, ITEMS_PER_REQUEST),
    "item": lambda api, item_id: api.item(item_id),
    "channels": lambda api: api.channels(),
    "guide": lambda api: api.epg(*_guide_span()),
    "notices": lambda api: api.notices(),
}
CONVERT = {
    "boards": _boards,
    "items": _items,
    "item": lambda raw, *_: ItemLoaded(item_from(raw)),
    "channels": lambda raw, *_: ChannelsLoaded(channels_from(raw), raw.get("timezone") or ""),
    "guide": lambda raw, *_: GuideLoaded(guide_from(raw)),
    "notices": _notices,
}
