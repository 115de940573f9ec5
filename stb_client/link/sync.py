"""The box's link to the server: the reducer's effects turned into requests, answers into its events.

Effects (FetchBoards, ReportPosition, ...) are queued as they are, objects, and
run one at a time in a worker thread (a box has one slow network); each answer
becomes an event on the client's queue. A failure to reach the server becomes
ConnectionChanged(False), the next success (True); notices and channels are
polled. What the box may ask is the table FETCHES (one Request per fetch
effect) plus the two reports: adding a request touches only them.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from stb_client.link.cache import AnswerCache
from stb_client.link.server_api import ApiError, ServerApi, Unreachable
from stb_client.ui.model import (
    Board,
    BoardsLoaded,
    Channel,
    ChannelsLoaded,
    ConnectionChanged,
    FetchBoards,
    FetchChannels,
    FetchGuide,
    FetchItem,
    FetchItems,
    FetchNotices,
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
    ReportPlaying,
    ReportPosition,
)

log = logging.getLogger(__name__)
POLL_SECONDS = 30.0
OFFLINE_POLL_SECONDS = 5.0
ITEMS_PER_REQUEST = 99  # items are opened by number 1..99


def _local(text: str | None, zone: ZoneInfo) -> str:
    if not text:
        return ""
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(zone).strftime("%H:%M")


def channels_from(answer: dict) -> tuple[Channel, ...]:
    """The channels answer as the client's channels, with now/next times in the answer's zone."""
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
    """An item answer as the client's item detail: the stream, the first subtitle track, the resume point."""
    subtitles = raw.get("subtitles") or []
    return ItemDetail(raw["id"], raw["kind"], raw["title"], raw.get("hls_url"),
                      subtitles[0]["url"] if subtitles else None, float(raw.get("resume_position_s") or 0),
                      raw.get("duration_s"), raw.get("text") or "")


@dataclass(frozen=True)
class Request:
    """How one kind of fetch effect is asked of the server, kept offline, and answered to the reducer."""

    fetch: Callable[[ServerApi, object], object]  # (api, effect) -> the server's JSON
    event: Callable[[object, object], object]  # (JSON, effect) -> the reducer's event
    key: Callable[[object], str]  # the effect's key in the offline cache


class _Poll:
    """The sync thread's own tick: refresh channels and notices."""


class ServerSync:
    """Runs requests for the reducer's fetch and report effects, and the periodic polls.

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
        """Start the worker thread."""
        self.thread.start()

    def stop(self) -> None:
        """Ask the worker thread to end after the request it is running."""
        self.stopping.set()
        self.tasks.put(None)

    @staticmethod
    def handles(effect: object) -> bool:
        """Whether `effect` is a request for the server (a fetch or a report)."""
        return type(effect) in FETCHES or isinstance(effect, (ReportPosition, ReportPlaying))

    def request(self, effect: object) -> None:
        """Queue one fetch or report effect; its answer comes back as an event."""
        if not self.handles(effect):
            raise TypeError(f"not a server request: {effect!r}")
        self.tasks.put(effect)

    def show_cached(self) -> None:
        """Emit what the cache holds for Home and the guide (at start, before the network answers)."""
        for effect in (FetchBoards(), FetchChannels()):
            request = FETCHES[type(effect)]
            raw = self.cache.get(request.key(effect)) if self.cache else None
            if raw is not None:
                self.emit(request.event(raw, effect))

    def _run(self) -> None:
        last_poll = float("-inf")
        while not self.stopping.is_set():
            # Offline, look again soon (the interval shortens the moment a request fails).
            interval = self.poll_s if self.online is not False else self.offline_poll_s
            timeout = max(0.0, last_poll + interval - time.monotonic())
            try:
                task = self.tasks.get(timeout=timeout)
            except queue.Empty:
                task = _Poll()
            if task is None:
                return
            if isinstance(task, _Poll):
                last_poll = time.monotonic()
                for effect in (FetchChannels(), FetchNotices()):
                    self._fetch(effect)
            elif isinstance(task, ReportPosition):
                self._report_position(task)
            elif isinstance(task, ReportPlaying):
                self._report_playing(task)
            else:
                self._fetch(task)

    def _fetch(self, effect: object) -> None:
        request = FETCHES[type(effect)]
        key = request.key(effect)
        try:
            raw = request.fetch(self.api, effect)
        except Unreachable as error:
            log.info("server unreachable: %s", error)
            self._set_online(False)
            raw = self.cache.get(key) if self.cache else None
            if raw is not None:
                self.emit(request.event(raw, effect))
            return
        except ApiError as error:
            log.warning("%s: %s", effect, error)
            self._set_online(True)
            return
        if self.cache is not None:
            self.cache.put(key, raw)
        self._set_online(True)
        self.emit(request.event(raw, effect))

    def _report_playing(self, report: ReportPlaying) -> None:
        try:
            self.api.report_playing(report.channel, report.item_id)
        except (Unreachable, ApiError) as error:  # only informative: never retried
            log.info("playing report: %s", error)

    def _report_position(self, report: ReportPosition) -> None:
        try:
            self.api.save_position(report.item_id, report.position_s)
        except Unreachable:
            self._set_online(False)
            if self.cache is not None:
                self.cache.keep_position(report.item_id, report.position_s)
            return
        except ApiError as error:
            log.warning("position of %s: %s", report.item_id, error)
        self._set_online(True)

    def _set_online(self, online: bool) -> None:
        if online != self.online:
            self.online = online
            self.emit(ConnectionChanged(online))
            if online and self.cache is not None:
                for item_id, position in self.cache.pending_positions():
                    self.cache.forget_position(item_id)
                    self.tasks.put(ReportPosition(item_id, position))


def _boards(raw) -> BoardsLoaded:
    return BoardsLoaded(tuple(Board(b["id"], b["key"], b["name"], b["colour"], b["kind"], b.get("item_count", 0))
                              for b in raw))


def _items(raw, board_id: str) -> ItemsLoaded:
    return ItemsLoaded(board_id, tuple(
        ItemSummary(i["id"], i["kind"], i["title"], i.get("duration_s"), (i.get("published_at") or "")[:10],
                    i.get("thumbnail_url")) for i in raw["items"]))


def _notices(raw) -> NoticesLoaded:
    return NoticesLoaded(tuple(Notice(n["id"], n["kind"], n["title"], n["body"], n.get("channel")) for n in raw))


FETCHES: dict[type, Request] = {
    FetchBoards: Request(lambda api, _: api.boards(), lambda raw, _: _boards(raw), lambda _: "boards"),
    FetchItems: Request(lambda api, e: api.board_items(e.board_id, 1, ITEMS_PER_REQUEST),
                        lambda raw, e: _items(raw, e.board_id), lambda e: f"items:{e.board_id}"),
    FetchItem: Request(lambda api, e: api.item(e.item_id), lambda raw, _: ItemLoaded(item_from(raw)),
                       lambda e: f"item:{e.item_id}"),
    FetchChannels: Request(lambda api, _: api.channels(),
                           lambda raw, _: ChannelsLoaded(channels_from(raw), raw.get("timezone") or ""),
                           lambda _: "channels"),
    FetchGuide: Request(lambda api, _: api.epg(*_guide_span()), lambda raw, _: GuideLoaded(guide_from(raw)),
                        lambda _: "guide"),
    FetchNotices: Request(lambda api, _: api.notices(), lambda raw, _: _notices(raw), lambda _: "notices"),
}
