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
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from keting_i18n import text
from stb_client.link.cache import AnswerCache
from stb_client.link.server_api import ApiError, ServerApi, Unreachable
from stb_client.ui.model import (
    SUBTITLE_SIZES,
    Board,
    BoardsLoaded,
    Channel,
    ChannelsLoaded,
    CheckinDone,
    CheckinFailed,
    CheckinWindow,
    ConnectionChanged,
    FavouriteFailed,
    FavouriteSaved,
    FetchBoards,
    FetchChannels,
    FetchGuide,
    FetchHomeRows,
    FetchHousehold,
    FetchItem,
    FetchItems,
    FetchNotices,
    FetchQuiz,
    FetchStudy,
    Guide,
    GuideLoaded,
    GuideSlot,
    HomeEntry,
    HomeRowsLoaded,
    Household,
    HouseholdLoaded,
    ItemDetail,
    ItemLoaded,
    ItemsLoaded,
    ItemSummary,
    Lesson,
    Member,
    Notice,
    NoticesLoaded,
    Programme,
    Quiz,
    QuizLoaded,
    QuizQuestion,
    QuizSaved,
    Reading,
    ReportPlaying,
    ReportPosition,
    ReportWatch,
    SendCheckin,
    SendQuizAttempt,
    SetFavourite,
    StudyCard,
    StudyLoaded,
)

log = logging.getLogger(__name__)
POLL_SECONDS = 30.0
OFFLINE_POLL_SECONDS = 5.0
HOUSEHOLD_EVERY_POLLS = 20  # who watches changes seldom: asked at start, on reconnection and every 10 minutes
WATCH_BATCH = 100
ITEMS_PER_REQUEST = 99  # items are opened by number 1..99


def _local(text: str | None, zone: ZoneInfo) -> str:
    if not text:
        return ""
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(zone).strftime("%H:%M")


def day_words(moment: datetime, today: date) -> str:
    """A local day as the TV says it: "" for today, 明天 for tomorrow, else the month and day."""
    if moment.date() == today:
        return ""
    if (moment.date() - today).days == 1:
        return text("stb.day_tomorrow")
    return text("stb.day_date", month=moment.month, day=moment.day)


def channels_from(answer: dict, now: datetime | None = None) -> tuple[Channel, ...]:
    """The channels answer as the client's channels, with now/next times in the answer's zone (and the day, for a
    programme not today)."""
    zone = ZoneInfo(answer.get("timezone") or "Asia/Shanghai")
    today = (now or datetime.now(UTC)).astimezone(zone).date()

    def programme(raw: dict | None) -> Programme | None:
        if not raw:
            return None
        start = datetime.fromisoformat(raw["start"].replace("Z", "+00:00")) if raw.get("start") else None
        return Programme(raw["title"], _local(raw.get("start"), zone), _local(raw.get("end"), zone),
                         raw.get("important") is True, day_words(start.astimezone(zone), today) if start else "",
                         start.timestamp() if start else 0.0)
    return tuple(Channel(c["number"], c["name"], _http_url(c["stream_url"]), programme(c.get("now")),
                         programme(c.get("next")),
                         programme(c.get("next_important")), _http_url(c.get("lowest_url")))
                 for c in answer["channels"])


def _http_url(value: object) -> str:
    """`value` if it is an http(s) URL (what libVLC is given to play), else "" (an older server sends none)."""
    return value if isinstance(value, str) and value.startswith(("http://", "https://")) else ""


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
    sizes = (subtitles[0].get("sizes") or {}) if subtitles else {}
    sized = tuple((size, url) for size, url in sizes.items() if size in SUBTITLE_SIZES and isinstance(url, str))
    return ItemDetail(raw["id"], raw["kind"], raw["title"], raw.get("hls_url"),
                      subtitles[0]["url"] if subtitles else None, float(raw.get("resume_position_s") or 0),
                      raw.get("duration_s"), raw.get("text") or "", sized, reading_from(raw.get("reading")))


def reading_from(raw: dict | None) -> Reading | None:
    """An article's reading aloud as the reducer keeps it (None: the article has none yet)."""
    if not raw or not raw.get("url"):
        return None
    return Reading(raw["url"], float(raw.get("duration_s") or 0),
                   tuple((int(offset), float(at)) for offset, at in raw.get("marks") or ()))


@dataclass(frozen=True)
class Request:
    """How one kind of fetch effect is asked of the server, kept offline, and answered to the reducer."""

    fetch: Callable[[ServerApi, object], object]  # (api, effect) -> the server's JSON
    event: Callable[[object, object], object]  # (JSON, effect) -> the reducer's event
    key: Callable[[object], str]  # the effect's key in the offline cache


class _Poll:
    """The sync thread's own tick: refresh channels and notices."""


class _SendWatch:
    """Send the watch intervals waiting in the cache (after the server came back)."""


def wall_time(mono: float) -> float:
    """A time of the reducer's (monotonic) clock as wall-clock seconds since the epoch."""
    return time.time() - (time.monotonic() - mono)


def household_from(raw: dict) -> Household:
    """The household answer as the client's household, with the prompts' timings."""
    return Household(tuple(Member(m["id"], m["name"]) for m in raw.get("members", [])),
                     float(raw.get("still_watching_s", 1800)), float(raw.get("still_watching_answer_s", 60)),
                     float(raw.get("viewers_idle_s", 7200)))


def study_from(raw: dict) -> StudyCard:
    """The 我的学习 answer as the client's card."""
    def lesson(entry: dict) -> Lesson:
        duration = entry.get("duration_s") or 0
        return Lesson(entry["title"], float(entry.get("lessons") or 0), bool(entry.get("finished")),
                      entry.get("item_id"), min(1.0, (entry.get("credited_s") or 0) / duration) if duration else 0.0)
    return StudyCard(raw["member"]["id"], raw["member"]["name"], float(raw["year_lessons"]),
                     float(raw["target_lessons"]), float(raw["month_lessons"]),
                     tuple(lesson(e) for e in raw.get("recent", [])),
                     tuple(lesson(e) for e in raw.get("unfinished", [])))


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
        self.session = secrets.token_hex(6)  # watch intervals' keys: unique across restarts of the box
        self.unsent_watch: dict[str, dict] = {}  # without a cache: the intervals not taken yet
        self.wall_starts: dict[str, float] = {}  # each interval's wall-clock start, fixed when first sent
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
        return type(effect) in FETCHES or isinstance(effect, (ReportPosition, ReportPlaying, ReportWatch,
                                                             SendCheckin, SendQuizAttempt, SetFavourite))

    def request(self, effect: object) -> None:
        """Queue one fetch or report effect; its answer comes back as an event."""
        if not self.handles(effect):
            raise TypeError(f"not a server request: {effect!r}")
        self.tasks.put(effect)

    def show_cached(self) -> None:
        """Emit what the cache holds for Home and the guide (at start, before the network answers)."""
        for effect in (FetchBoards(), FetchChannels(), FetchHousehold()):
            request = FETCHES[type(effect)]
            raw = self.cache.get(request.key(effect)) if self.cache else None
            if raw is not None:
                self.emit(request.event(raw, effect))

    def _run(self) -> None:
        last_poll = float("-inf")
        polls = 0
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
                polls += 1
                tasks = [FetchChannels(), FetchNotices(), *([FetchHousehold()] if polls % HOUSEHOLD_EVERY_POLLS == 0
                                                           else [])]
            else:
                tasks = [task]
            for one in tasks:
                try:
                    self._handle(one)
                except Exception:  # noqa: BLE001 - one odd answer must not end the box's link to the server
                    log.exception("handling %r", one)

    def _handle(self, task: object) -> None:
        """Carry out one fetch or report effect."""
        if isinstance(task, ReportPosition):
            self._report_position(task)
        elif isinstance(task, ReportPlaying):
            self._report_playing(task)
        elif isinstance(task, ReportWatch):
            self._keep_watch(self.watch_json(task))
            self._send_watch(None if task.position_s is None or task.item_id is None
                             else (task.item_id, task.position_s))
        elif isinstance(task, _SendWatch):
            self._send_watch()
        elif isinstance(task, SendCheckin):
            self._check_in(task)
        elif isinstance(task, SendQuizAttempt):
            self._send_quiz(task)
        elif isinstance(task, SetFavourite):
            self._set_favourite(task)
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

    def _check_in(self, task: SendCheckin) -> None:
        """Send a check-in now (it is about this moment: never kept for later); the answer becomes an event."""
        try:
            answer = self.api.check_in(task.entry_id, list(task.members))
        except Unreachable as error:
            log.info("check-in: %s", error)
            self._set_online(False)
            self.emit(CheckinFailed(task.entry_id))
            return
        except ApiError as error:
            log.warning("check-in refused: %s", error)
            self._set_online(True)
            self.emit(CheckinFailed(task.entry_id, error.message or error.code))
            return
        self._set_online(True)
        self.emit(checkin_done(task.entry_id, answer))

    def _send_quiz(self, attempt: SendQuizAttempt) -> None:
        """Send a finished quiz attempt once; offline or refused it is lost (the TV says so: quiz_nav.py)."""
        try:
            self.api.quiz_attempt(attempt.item_id, list(attempt.members), list(attempt.answers))
        except Unreachable as error:
            log.info("quiz attempt: %s", error)
            self._set_online(False)
            self.emit(QuizSaved(attempt.item_id, False))
            return
        except ApiError as error:
            log.warning("quiz attempt refused: %s", error)
            self._set_online(True)
            self.emit(QuizSaved(attempt.item_id, False))
            return
        self._set_online(True)
        self.emit(QuizSaved(attempt.item_id, True))

    def _set_favourite(self, task: SetFavourite) -> None:
        """Keep or take away a favourite now (never queued: the viewer is told it did not work, and presses again),
        then fetch Home's rows, so the box shows what the server keeps."""
        try:
            self.api.set_favourite(task.item_id, task.on, task.members)
        except Unreachable as error:
            log.info("favourite: %s", error)
            self._set_online(False)
            self.emit(FavouriteFailed(task.item_id))
        except ApiError as error:
            log.warning("favourite refused: %s", error)
            self._set_online(True)
            self.emit(FavouriteFailed(task.item_id, error.message or error.code))
        else:
            self._set_online(True)
            self.emit(FavouriteSaved(task.item_id))
        self._fetch(FetchHomeRows(task.members))

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

    def watch_json(self, report: ReportWatch) -> dict:
        """A watch interval as the server takes it: its key, wall-clock times and what played for whom.

        The wall-clock start is fixed the first time an interval is sent and its end follows from the
        monotonic clock, so a clock corrected by NTP meanwhile does not make a checkpoint another interval.
        """
        key = f"{self.session}-{int(report.started * 1000)}"
        if key not in self.wall_starts:
            if len(self.wall_starts) > 1000:  # intervals last at most hours: forget the oldest
                for old in list(self.wall_starts)[:500]:
                    del self.wall_starts[old]
            self.wall_starts[key] = round(wall_time(report.started), 3)
        started = self.wall_starts[key]
        interval = {"key": key, "started_at": started,
                    "ended_at": round(started + max(0.0, report.ended - report.started), 3),
                    "members": list(report.members)}
        if report.item_id is not None:
            interval.update(item_id=report.item_id, from_s=round(report.from_s, 3),
                            to_s=round(max(report.from_s, report.to_s), 3))
        else:
            interval["channel"] = report.channel
        return interval

    def _keep_watch(self, interval: dict) -> None:
        if self.cache is not None:
            self.cache.keep_watch(interval)
            return
        kept = self.unsent_watch.get(interval["key"])
        if kept is None or kept["ended_at"] <= interval["ended_at"]:
            self.unsent_watch[interval["key"]] = interval

    def _send_watch(self, position: tuple[int, float] | None = None) -> None:
        """Send what waits, oldest first, in batches; what the server took (or refused for good) is dropped.
        A resume point (item id, seconds) rides with the first batch; kept like a ReportPosition's when the
        server cannot be reached."""
        while True:
            waiting = (self.cache.pending_watch(WATCH_BATCH) if self.cache is not None
                       else list(self.unsent_watch.values())[:WATCH_BATCH])
            if not waiting:
                return
            try:
                answer = self.api.report_watch(waiting, time.time(), position)
            except Unreachable:
                self._set_online(False)
                if position is not None and self.cache is not None:
                    self.cache.keep_position(*position)
                return
            except ApiError as error:
                if error.status >= 500:
                    log.warning("watch report: %s (kept, sent again later)", error)
                    if position is not None and self.cache is not None:
                        self.cache.keep_position(*position)  # sent with the next reconnection, like offline
                    return
                log.warning("watch report refused: %s", error)  # a 4xx stays one: do not send it for ever
            else:
                if position is not None and self.cache is not None:
                    self.cache.forget_position(position[0])  # an older one kept after a failure must not follow
                later = {r["index"] for r in answer.get("refused", []) if r.get("code") == "in_the_future"}
                for refused in answer.get("refused", []):
                    log.info("watch interval refused: %s", refused.get("message"))
                # The box's clock ran ahead: keep those and send them again once it is right.
                waiting = [interval for index, interval in enumerate(waiting) if index not in later]
            if self.cache is not None:
                self.cache.forget_watch(waiting)
            else:
                for interval in waiting:
                    if self.unsent_watch.get(interval["key"]) is interval:
                        del self.unsent_watch[interval["key"]]
            self._set_online(True)
            position = None
            if len(waiting) < WATCH_BATCH:
                return

    def _set_online(self, online: bool) -> None:
        if online != self.online:
            self.online = online
            self.emit(ConnectionChanged(online))
            if online:
                self.tasks.put(_SendWatch())
            if online and self.cache is not None:
                for item_id, position in self.cache.pending_positions():
                    self.cache.forget_position(item_id)
                    self.tasks.put(ReportPosition(item_id, position))


def quiz_from(raw: dict) -> Quiz:
    """A video's quiz answer as the client's quiz: questions with 2 to 4 options (anything else is left out)."""
    questions = tuple(
        QuizQuestion(int(q["id"]), int(q.get("revision") or 1), str(q["text"]), tuple(str(o) for o in q["options"]),
                     int(q["correct"]), str(q.get("explanation") or ""))
        for q in raw.get("questions", []) if 2 <= len(q.get("options") or ()) <= 4)
    return Quiz(int(raw["item_id"]), questions)


def home_rows_from(raw: dict, members: tuple[int, ...]) -> HomeRowsLoaded:
    """Home's rows as the client's cards (an entry not understood is left out)."""
    def entries(key: str) -> tuple[HomeEntry, ...]:
        found = []
        for entry in raw.get(key) or ():
            try:
                found.append(HomeEntry(int(entry["id"]), str(entry["kind"]), str(entry["title"]),
                                       str(entry.get("board_id") or ""), entry.get("duration_s"),
                                       float(entry.get("resume_s") or 0)))
            except (KeyError, TypeError, ValueError):
                log.warning("home rows: an entry not understood: %r", entry)
        return tuple(found)
    ids = raw.get("favourite_ids")
    kept = frozenset(i for i in ids if isinstance(i, int) and not isinstance(i, bool)) if isinstance(ids, list) \
        else frozenset()
    return HomeRowsLoaded(entries("recent"), entries("favourites"), members, kept)  # the row's ids are added too


def _boards(raw) -> BoardsLoaded:
    return BoardsLoaded(tuple(Board(b["id"], b["key"], b["name"], b["colour"], b["kind"], b.get("item_count", 0))
                              for b in raw))


def _items(raw, board_id: str) -> ItemsLoaded:
    return ItemsLoaded(board_id, tuple(
        ItemSummary(i["id"], i["kind"], i["title"], i.get("duration_s"), (i.get("published_at") or "")[:10],
                    i.get("thumbnail_url")) for i in raw["items"]))


def checkin_done(entry_id: int, answer: object) -> CheckinDone | CheckinFailed:
    """The server's answer to a check-in as the reducer's event: who is checked in now, who was before."""
    done = answer.get("checked_in") if isinstance(answer, dict) else None
    if not isinstance(done, list) or not done or not all(
            isinstance(m, dict) and _is_id(m.get("member_id")) and isinstance(m.get("name"), str) for m in done):
        log.warning("check-in: unexpected answer %r", answer)
        return CheckinFailed(entry_id, "")
    new = [m for m in done if not m.get("already")]
    label = next((m.get("at_label") for m in new or done if isinstance(m.get("at_label"), str)), "")
    return CheckinDone(entry_id, tuple(m["name"] for m in new), label,
                       tuple(m["name"] for m in done if m.get("already")), tuple(m["member_id"] for m in done))


def _is_id(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


def _checkin_window(raw: object, title: str) -> CheckinWindow | None:
    """A notice's check-in window on the reducer's (monotonic) clock, judged by the server's clock (the offset
    of its Date header, kept with the answer); None when there is none or it is not understood."""
    if not isinstance(raw, dict) or not _is_id(raw.get("entry_id")):
        return None
    try:
        opens, closes = _epoch(raw["from"]), _epoch(raw["until"])
        server_offset = float(raw.get("server_offset_s") or 0.0)
    except (KeyError, TypeError, ValueError):
        log.warning("notice: a check-in window not understood: %r", raw)
        return None
    offset = time.monotonic() - (time.time() + server_offset)
    return CheckinWindow(raw["entry_id"], str(raw.get("title") or title), opens + offset, closes + offset,
                         str(raw.get("until_label") or ""))


def _epoch(stamp: object) -> float:
    moment = datetime.fromisoformat(str(stamp).replace("Z", "+00:00"))
    if moment.tzinfo is None:
        raise ValueError(f"a time without its zone: {stamp}")
    return moment.timestamp()


def _with_server_clock(notices: list, server_offset_s: float) -> list:
    """The notices with the server's clock offset kept in each check-in window (it travels to the cache too)."""
    return [{**n, "checkin": {**n["checkin"], "server_offset_s": server_offset_s}}
            if isinstance(n, dict) and isinstance(n.get("checkin"), dict) else n for n in notices]


def _notices(raw) -> NoticesLoaded:
    return NoticesLoaded(tuple(Notice(n["id"], n["kind"], n["title"], n["body"], n.get("channel"),
                                      _checkin_window(n.get("checkin"), n["title"])) for n in raw))


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
    FetchNotices: Request(lambda api, _: _with_server_clock(api.notices(), api.server_offset_s),
                          lambda raw, _: _notices(raw), lambda _: "notices"),
    FetchHousehold: Request(lambda api, _: api.household(), lambda raw, _: HouseholdLoaded(household_from(raw)),
                            lambda _: "household"),
    FetchStudy: Request(lambda api, e: api.study(e.member_id), lambda raw, _: StudyLoaded(study_from(raw)),
                        lambda e: f"study:{e.member_id}"),
    FetchHomeRows: Request(lambda api, e: api.home(e.members), lambda raw, e: home_rows_from(raw, e.members),
                           lambda e: "home:" + ",".join(map(str, e.members))),
    FetchQuiz: Request(lambda api, e: api.quiz(e.item_id), lambda raw, _: QuizLoaded(quiz_from(raw)),
                       lambda e: f"quiz:{e.item_id}"),
}
