"""What boxes report they played (watch intervals), and the study credit derived from it.

A box sends intervals in batches: a video (item, from-to media position) or a
channel (wall-clock times only), with the wall-clock start and end and the members
watching. Each interval has the box's own key; while it grows the box re-sends it
with a later end (a checkpoint every half minute, so a power cut loses little), and
the row keeps the longest. From each interval come pieces per member and subject
(a video, or a study programme of the channel's schedule, cut to its times). The
credit of every (member, subject) a batch touched is then computed again from all
of its pieces by the pure rules (credit.py), so re-sent or late reports change
nothing that was already counted.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from zoneinfo import ZoneInfo

from sqlite_utils import Database

from server.core.db import write_transaction
from server.core.errors import UserError
from server.core.json_numbers import finite_number
from server.core.timestamps import format_utc, parse_time
from server.records.credit import Interval, Rules, coupled_subjects, credit_for_member
from server.records.households import viewers
from server.records.members import is_row_id

MAX_BATCH = 100
MAX_INTERVAL_S = 12 * 3600
LONGEST_PROGRAMME_S = 2 * 86400  # the schedule is searched this far back (one index range, not the past)
MIN_INTERVAL_S = 1.0  # shorter ones earn nothing and would only make the member's recount longer
MAX_PIECES_PER_DAY = 2000  # per member: a day of real watching, checkpoints included, is far below
SKEW_CORRECTION_S = 60.0  # a box whose clock is further off than this has its times moved by the difference
FUTURE_SLACK_S = 120.0  # a box's clock a little ahead of the server's is not an error
KEY = re.compile(r"[A-Za-z0-9_.:-]{1,64}")


class SubjectKind(StrEnum):
    """What study credit is for (study_subjects.kind): a video, or a study programme of a channel."""

    VIDEO = "video"
    PROGRAMME = "programme"


@dataclass(frozen=True)
class Report:
    """One checked interval as a box reported it."""

    key: str
    item_id: int | None
    channel: int | None
    media_from: float
    media_to: float
    started_at: float
    ended_at: float
    members: tuple[int, ...]


@dataclass(frozen=True)
class Intake:
    """What became of a batch: how many intervals were taken, and why the others were refused (by index)."""

    accepted: int
    refused: tuple[tuple[int, str, dict], ...]


def _number(raw: dict, name: str, required: bool = True) -> float | None:
    value = raw.get(name)
    if value is None and not required:
        return None
    number = finite_number(value)
    if number is None:
        raise UserError("watch.bad_field", field=name)
    return number


def _integer(raw: dict, name: str) -> int | None:
    value = raw.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 2**53:
        raise UserError("watch.bad_field", field=name)
    return value


def parse_report(raw: object, now: datetime, max_age_days: int, skew_s: float = 0.0) -> Report:
    """One interval of a batch, checked: UserError names the field that is wrong, or why it is refused. Its
    times are moved by `skew_s`, how far the box's clock is behind the server's."""
    if not isinstance(raw, dict):
        raise UserError("watch.not_an_object")
    key = raw.get("key")
    if not isinstance(key, str) or not KEY.fullmatch(key):
        raise UserError("watch.bad_field", field="key")
    item_id, channel = _integer(raw, "item_id"), _integer(raw, "channel")
    if (item_id is None) == (channel is None):
        raise UserError("watch.item_or_channel")
    started, ended = _number(raw, "started_at") + skew_s, _number(raw, "ended_at") + skew_s
    if ended < started or ended - started > MAX_INTERVAL_S:
        raise UserError("watch.bad_span", limit_h=MAX_INTERVAL_S // 3600)
    if ended - started < MIN_INTERVAL_S:
        raise UserError("watch.too_short")
    stamp = now.timestamp()
    if ended > stamp + FUTURE_SLACK_S:
        raise UserError("watch.in_the_future")
    if started < stamp - max_age_days * 86400:
        raise UserError("watch.too_old", days=max_age_days)
    media_from, media_to = 0.0, 0.0
    if item_id is not None:
        media_from, media_to = _number(raw, "from_s"), _number(raw, "to_s")
        if not 0 <= media_from <= media_to <= 86400:
            raise UserError("watch.bad_field", field="to_s")
    members = raw.get("members", [])
    if not isinstance(members, list) or len(members) > 9 or not all(is_row_id(m) for m in members):
        raise UserError("watch.bad_field", field="members")
    return Report(key, item_id, channel, media_from, media_to, started, ended, tuple(sorted(set(members))))


def clock_skew(sent_at: object, now: datetime) -> float:
    """How far behind the server's clock the box's is, from the `sent_at` it stamped the batch with (0 when
    close enough, or not given): boxes without a clock battery start with a wrong time until NTP answers."""
    if sent_at is None:
        return 0.0
    stamp = _number({"sent_at": sent_at}, "sent_at")
    skew = now.timestamp() - stamp
    return skew if abs(skew) > SKEW_CORRECTION_S else 0.0


def record_batch(db: Database, device_id: int, batch: object, now: datetime, rules: Rules, zone: ZoneInfo,
                 max_age_days: int, can_see: Callable[[int], bool] = lambda _item: True,
                 sent_at: object = None) -> Intake:
    """Take a box's batch of intervals (a list); bad ones are refused one by one, the rest kept and credited.

    Only videos the box may see (`can_see`) and members of its household earn anything; the credit of every
    member the batch touched is then worked out again from all their pieces.
    """
    if not isinstance(batch, list):
        raise UserError("watch.not_a_list")
    if len(batch) > MAX_BATCH:
        raise UserError("watch.batch_too_big", limit=MAX_BATCH, status=413)
    skew = clock_skew(sent_at, now)
    reports, refused = [], []
    for index, raw in enumerate(batch):
        try:
            reports.append((index, parse_report(raw, now, max_age_days, skew)))
        except UserError as error:
            refused.append((index, error.message_id, error.params))
    with write_transaction(db):
        household = {v.id for v in viewers(db, device_id)}
        touched: dict[int, set[str]] = {}
        for index, report in reports:
            try:
                for member_id, subject in _store(db, device_id, report, household, now, can_see):
                    touched.setdefault(member_id, set()).add(subject)
            except UserError as error:
                refused.append((index, error.message_id, error.params))
        for member_id, subjects in sorted(touched.items()):
            recompute(db, member_id, rules, zone, subjects)
    return Intake(len(reports) - sum(1 for r in refused if r[0] in {i for i, _ in reports}),
                  tuple(sorted(refused)))


def _store(db: Database, device_id: int, report: Report, household: set[int], now: datetime,
           can_see: Callable[[int], bool]) -> set[tuple[int, str]]:
    """Keep one interval (or its longer version) and its pieces; the (member, subject) pairs whose credit it
    may change.

    A checkpoint is the same key for the same thing from the same position, longer: it keeps the start it was
    first given (a box's clock may have been corrected since) and may not take back media it reported.
    """
    members = [m for m in report.members if m in household]
    row = db.execute("SELECT * FROM watch_intervals WHERE device_id = ? AND key = ?",
                     [device_id, report.key]).fetchone()
    if row is not None:
        same = (row["item_id"], row["channel"], row["media_from"]) == (report.item_id, report.channel,
                                                                       report.media_from)
        span = report.ended_at - report.started_at
        if not same or span <= row["ended_at"] - row["started_at"] or report.media_to < row["media_to"]:
            return set()  # a re-sent interval, an older checkpoint, or a key reused for something else
        old = {(p[0], p[1]) for p in db.execute("SELECT member_id, subject FROM watch_pieces WHERE interval_id = ?",
                                                 [row["id"]])}
        db.execute("DELETE FROM watch_pieces WHERE interval_id = ?", [row["id"]])
        report = Report(report.key, report.item_id, report.channel, report.media_from, report.media_to,
                        row["started_at"], row["started_at"] + span, report.members)
        db.execute("""UPDATE watch_intervals SET ended_at = ?, media_to = ?, members = ?, received_at = ?
                      WHERE id = ?""", [report.ended_at, report.media_to, ",".join(map(str, members)),
                                        format_utc(now), row["id"]])
        interval_id = row["id"]
    else:
        if report.item_id is not None and not can_see(report.item_id):
            return set()  # a draft, or a video for another community: no credit, and its title stays unknown
        if not members:
            return set()  # nobody to credit: a box without a household keeps no history here
        _refuse_flooding(db, members, now)
        old = set()
        interval_id = db.execute(
            """INSERT INTO watch_intervals (device_id, key, item_id, channel, media_from, media_to, started_at,
               ended_at, members, received_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
            [device_id, report.key, report.item_id, report.channel, report.media_from, report.media_to,
             report.started_at, report.ended_at, ",".join(map(str, members)), format_utc(now)]).lastrowid
    pieces = _pieces(db, report) if members else []
    for member_id in members:
        for subject, media_from, media_to, started, ended in pieces:
            db.execute("""INSERT OR REPLACE INTO watch_pieces (member_id, subject, interval_id, media_from, media_to,
                          started_at, ended_at) VALUES (?, ?, ?, ?, ?, ?, ?)""",
                       [member_id, subject, interval_id, media_from, media_to, started, ended])
    return old | {(member_id, piece[0]) for member_id in members for piece in pieces}


def _refuse_flooding(db: Database, members: list[int], now: datetime) -> None:
    """A box sending more intervals for a member in a day than anyone can watch is broken or hostile: refused,
    so one box cannot make every member's recount (and the write lock it holds) long."""
    since = now.timestamp() - 86400
    for member_id in members:
        count = db.execute("SELECT count(*) FROM watch_pieces WHERE member_id = ? AND started_at > ?",
                           [member_id, since]).fetchone()[0]
        if count >= MAX_PIECES_PER_DAY:
            raise UserError("watch.too_many", limit=MAX_PIECES_PER_DAY)


def _pieces(db: Database, report: Report) -> list[tuple[str, float, float, float, float]]:
    """The subjects an interval is study time for: the video itself, or the channel's study programmes it
    overlaps, each with media positions counted from the programme's start. A programme that plays a video
    is that video (a rerun earns nothing new); a live meeting is a subject of its own."""
    if report.item_id is not None:
        item = db.execute("SELECT title, duration_s FROM items WHERE id = ? AND kind = 'video'",
                          [report.item_id]).fetchone()
        if item is None or not item["duration_s"]:
            return []
        subject = f"item:{report.item_id}"
        _remember_subject(db, subject, SubjectKind.VIDEO, report.item_id, item["title"], item["duration_s"])
        return [(subject, report.media_from, report.media_to, report.started_at, report.ended_at)]
    start, end, earliest = (format_utc(datetime.fromtimestamp(t, UTC)) for t in (
        math.floor(report.started_at), math.ceil(report.ended_at), report.started_at - LONGEST_PROGRAMME_S))
    pieces = []
    for entry in db.execute(
            """SELECT e.id, e.title, e.start_at, e.end_at, e.item_id, i.title AS item_title, i.duration_s
               FROM schedule_entries e LEFT JOIN items i ON i.id = e.item_id WHERE e.channel = ? AND e.study = 1
               AND e.state = 'scheduled' AND e.start_at >= ? AND e.start_at < ? AND e.end_at > ?""",
            [report.channel, earliest, end, start]):
        entry_start = parse_time(entry["start_at"]).timestamp()
        entry_end = parse_time(entry["end_at"]).timestamp()
        wall_from, wall_to = max(report.started_at, entry_start), min(report.ended_at, entry_end)
        if wall_to <= wall_from:
            continue
        if entry["item_id"] is not None and entry["duration_s"]:
            subject = f"item:{entry['item_id']}"
            _remember_subject(db, subject, SubjectKind.VIDEO, entry["item_id"], entry["item_title"],
                              entry["duration_s"])
        else:
            subject = f"entry:{entry['id']}"
            _remember_subject(db, subject, SubjectKind.PROGRAMME, entry["id"], entry["title"],
                              entry_end - entry_start)
        pieces.append((subject, wall_from - entry_start, wall_to - entry_start, wall_from, wall_to))
    return pieces


def _remember_subject(db: Database, subject: str, kind: str, ref_id: int, title: str, duration_s: float) -> None:
    """Keep what a subject was (title, length) with the credit, so history outlives the item or the entry."""
    db.execute("""INSERT INTO study_subjects (subject, kind, ref_id, title, duration_s) VALUES (?, ?, ?, ?, ?)
                  ON CONFLICT (subject) DO UPDATE SET title = excluded.title, duration_s = excluded.duration_s""",
               [subject, kind, ref_id, title, duration_s])


def recompute(db: Database, member_id: int, rules: Rules, zone: ZoneInfo,
              touched: Iterable[str] | None = None) -> None:
    """Work out a member's credit again from their pieces: for the subjects `touched` and those sharing wall-clock
    time with them (credit.coupled_subjects), or every subject; only the rows that changed are written."""
    intervals: dict[str, list[Interval]] = {}
    for row in db.execute("""SELECT subject, interval_id, media_from, media_to, started_at, ended_at
                             FROM watch_pieces WHERE member_id = ?""", [member_id]):
        intervals.setdefault(row["subject"], []).append(
            Interval(str(row["interval_id"]), row["started_at"], row["ended_at"], row["media_from"],
                     row["media_to"]))
    subjects = set(intervals) if touched is None else coupled_subjects(intervals, touched)
    durations = {row["subject"]: row["duration_s"] for row in db.execute(
        "SELECT subject, duration_s FROM study_subjects WHERE subject IN (SELECT value FROM json_each(?))",
        [json.dumps(sorted(subjects))])}
    found = credit_for_member({s: intervals.get(s, []) for s in subjects}, durations, rules, zone)
    wanted = {(subject, day.isoformat()): seconds for (subject, day), seconds in found.items()}
    stored = {(row["subject"], row["day"]): row["seconds"] for row in db.execute(
        """SELECT subject, day, seconds FROM study_credit WHERE member_id = ?
           AND subject IN (SELECT value FROM json_each(?))""", [member_id, json.dumps(sorted(subjects))])}
    db.conn.executemany("DELETE FROM study_credit WHERE member_id = ? AND subject = ? AND day = ?",
                        [(member_id, subject, day) for subject, day in stored.keys() - wanted.keys()])
    db.conn.executemany(
        """INSERT INTO study_credit (member_id, day, subject, seconds) VALUES (?, ?, ?, ?)
           ON CONFLICT (member_id, day, subject) DO UPDATE SET seconds = excluded.seconds""",
        [(member_id, day, subject, seconds) for (subject, day), seconds in wanted.items()
         if stored.get((subject, day)) != seconds])
