"""The broadcast schedule: one-off entries and recurring rules, with conflicts and pre-emption.

Times are stored in UTC and shown in the configured zone. Two entries on a
channel may not overlap; a new entry marked important pre-empts what it
overlaps instead: entries starting inside it are marked pre-empted, one
already running is cut at its start, and both are reported to the caller.
The past and the programme on air are never edited (the timeline already
played them); changes take effect through a playout rebuild
(playout_store.py), which never touches what is on air except to cut it for
an important programme.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from sqlite_utils import Database

from server.broadcast import recurrence
from server.broadcast.live_input import Resolver, check_live_url
from server.core.channels_yaml import Lineup
from server.core.db import write_transaction
from server.core.errors import NotFound, UserError
from server.core.plain_text import checked
from server.core.timestamps import format_utc, parse_time


class EntryState(StrEnum):
    """Whether an entry will play (schedule_entries.state): scheduled, or pre-empted by an important one."""

    SCHEDULED = "scheduled"
    PREEMPTED = "preempted"


class LiveState(StrEnum):
    """A live event's relay (schedule_entries.live_state), as live_relay.py moves it on."""

    WAITING = "waiting"
    STARTING = "starting"
    RUNNING = "running"
    RETRYING = "retrying"
    DONE = "done"
    FAILED = "failed"


@dataclass(frozen=True)
class Entry:
    """One programme on the schedule."""

    id: int
    channel: int
    item_id: int | None
    rule_id: int | None
    title: str
    start: datetime
    end: datetime
    important: bool
    state: str
    preempted_by: int | None
    live_url: str | None = None
    live_state: str | None = None
    live_error: str | None = None
    recording_item_id: int | None = None
    study: bool = False  # a study programme (学习): watching it credits study time like a video
    checkin_minutes: int | None = None  # check-in (签到) from the start until this many minutes after

    @property
    def checkin_until(self) -> datetime | None:
        """When check-in closes: `checkin_minutes` after the start, at the latest when the programme ends (also
        when an important programme cut it short). None: no check-in at this programme."""
        if self.checkin_minutes is None:
            return None
        return min(self.start + timedelta(minutes=self.checkin_minutes), self.end)


@dataclass
class Outcome:
    """What a change did: the entries it made or changed, and what it pre-empted or cut short."""

    entries: list[Entry] = field(default_factory=list)
    preempted: list[Entry] = field(default_factory=list)
    cut: list[Entry] = field(default_factory=list)
    rule_id: int | None = None


def _entry(row) -> Entry:
    return Entry(row["id"], row["channel"], row["item_id"], row["rule_id"], row["title"],
                 parse_time(row["start_at"]), parse_time(row["end_at"]), bool(row["important"]),
                 row["state"], row["preempted_by"], row["live_url"], row["live_state"], row["live_error"],
                 row["recording_item_id"], bool(row["study"]), row["checkin_minutes"])


MAX_CHECKIN_MINUTES = 240


def checked_checkin_minutes(value: int | None) -> int | None:
    """A check-in window as asked (None or 0: no check-in); 1 to MAX_CHECKIN_MINUTES, else refused in words."""
    if value is None or value == 0:
        return None
    if not 1 <= value <= MAX_CHECKIN_MINUTES:
        raise UserError("schedule.bad_checkin_minutes", value=value, limit=MAX_CHECKIN_MINUTES)
    return value


def local_label(moment: datetime, zone: str) -> str:
    """A time as a viewer or editor reads it: 11月24日 19:30, in the configured zone."""
    local = moment.astimezone(ZoneInfo(zone))
    return f"{local.month}月{local.day}日 {local:%H:%M}"


def get_entry(db: Database, entry_id: int) -> Entry:
    """The schedule entry with this id; 404 if there is none."""
    row = db.execute("SELECT * FROM schedule_entries WHERE id = ?", [entry_id]).fetchone()
    if row is None:
        raise NotFound("schedule.unknown_entry", value=entry_id)
    return _entry(row)


def list_entries(db: Database, start: datetime, end: datetime, channel: int | None = None) -> list[Entry]:
    """Entries overlapping [start, end), pre-empted ones included, by channel and start."""
    sql = "SELECT * FROM schedule_entries WHERE start_at < ? AND end_at > ?"
    params: list[object] = [format_utc(end), format_utc(start)]
    if channel is not None:
        sql += " AND channel = ?"
        params.append(channel)
    return [_entry(row) for row in db.execute(sql + " ORDER BY channel, start_at", params)]


def _check_channel(lineup: Lineup, channel: int) -> None:
    if channel not in {c.number for c in lineup.channels}:
        raise UserError("schedule.unknown_channel", value=channel,
                        known="、".join(str(c.number) for c in lineup.channels))


def broadcast_item(db: Database, item_id: int):
    """The item row if it can go on the air (a video whose ladder is ready)."""
    row = db.execute("SELECT * FROM items WHERE id = ?", [item_id]).fetchone()
    if row is None:
        raise NotFound("schedule.unknown_item", value=item_id)
    if row["kind"] != "video":
        raise UserError("schedule.item_not_video", title=row["title"])
    if row["hls_path"] is None or not row["duration_s"]:
        raise UserError("schedule.item_not_ready", title=row["title"])
    if row["state"] == "archived":
        raise UserError("schedule.item_archived", title=row["title"])
    return row


def _overlapping(db: Database, channel: int, start: datetime, end: datetime, exclude: int | None) -> list[Entry]:
    rows = db.execute("""SELECT * FROM schedule_entries WHERE channel = ? AND state = 'scheduled'
                         AND start_at < ? AND end_at > ? AND id IS NOT ? ORDER BY start_at""",
                      [channel, format_utc(end), format_utc(start), exclude])
    return [_entry(row) for row in rows]


def _place(db: Database, channel: int, start: datetime, end: datetime, important: bool, exclude: int | None,
           zone: str) -> tuple[list[Entry], list[Entry]]:
    """Check a slot: (entries to pre-empt, entries to cut short), or a conflict error naming the first."""
    overlapping = _overlapping(db, channel, start, end, exclude)
    blocking = [e for e in overlapping if e.important or not important]
    if blocking:
        other = blocking[0]
        message = "schedule.conflict_important" if other.important and important else "schedule.conflict"
        raise UserError(message, status=409, error_code="conflict", title=other.title, channel=channel,
                        entry_id=other.id, start=local_label(other.start, zone),
                        end=local_label(other.end, zone).split(" ")[1])
    return [e for e in overlapping if e.start >= start], [e for e in overlapping if e.start < start]


def _apply_preemption(db: Database, winner_id: int, winner_start: datetime, preempted: list[Entry],
                      cut: list[Entry], now: datetime) -> None:
    for entry in preempted:
        db.execute("UPDATE schedule_entries SET state = 'preempted', preempted_by = ?, updated_at = ? WHERE id = ?",
                   [winner_id, format_utc(now), entry.id])
    for entry in cut:
        db.execute("UPDATE schedule_entries SET end_at = ?, preempted_by = ?, updated_at = ? WHERE id = ?",
                   [format_utc(winner_start), winner_id, format_utc(now), entry.id])


def _end_for(item, start: datetime) -> datetime:
    return start + timedelta(seconds=math.ceil(item["duration_s"]))


def _insert(db: Database, channel: int, item, start: datetime, important: bool, now: datetime,
            user_id: int | None, rule_id: int | None = None, study: bool = False,
            checkin_minutes: int | None = None) -> int:
    cursor = db.execute(
        """INSERT INTO schedule_entries (channel, item_id, rule_id, title, start_at, end_at, important,
           created_by, created_at, updated_at, study, checkin_minutes) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
        [channel, item["id"], rule_id, item["title"], format_utc(start), format_utc(_end_for(item, start)),
         int(important), user_id, format_utc(now), format_utc(now), int(study), checkin_minutes])
    return cursor.lastrowid


def add_entry(db: Database, lineup: Lineup, *, channel: int, item_id: int, start: datetime, important: bool,
              now: datetime, zone: str, user_id: int | None = None, dry_run: bool = False,
              study: bool = False, checkin_minutes: int | None = None) -> Outcome:
    """Put an item on a channel at `start` (after now); pre-empt when important. dry_run checks only."""
    _check_channel(lineup, channel)
    checkin_minutes = checked_checkin_minutes(checkin_minutes)
    if start <= now:
        raise UserError("schedule.in_the_past", value=local_label(start, zone), now=local_label(now, zone))
    with write_transaction(db):
        item = broadcast_item(db, item_id)
        preempted, cut = _place(db, channel, start, _end_for(item, start), important, None, zone)
        outcome = Outcome(preempted=preempted, cut=cut)
        if dry_run:
            return outcome
        entry_id = _insert(db, channel, item, start, important, now, user_id, study=study,
                           checkin_minutes=checkin_minutes)
        _apply_preemption(db, entry_id, start, preempted, cut, now)
    outcome.entries.append(get_entry(db, entry_id))
    return outcome


MAX_LIVE_HOURS = 12


def add_live_entry(db: Database, lineup: Lineup, *, channel: int, live_url: str, title: str, start: datetime,
                   duration: timedelta, important: bool, now: datetime, zone: str, user_id: int | None = None,
                   dry_run: bool = False, allowed_hosts: Iterable[str] = (),
                   resolver: Resolver | None = None, study: bool = False,
                   checkin_minutes: int | None = None) -> Outcome:
    """A live event: ffmpeg relays `live_url` onto the channel from `start` for `duration` (live_relay.py).

    The URL is checked by live_input.py: an allowed scheme, and a public host unless `allowed_hosts` lists it.
    """
    _check_channel(lineup, channel)
    checkin_minutes = checked_checkin_minutes(checkin_minutes)
    url, title = check_live_url(live_url, allowed_hosts, resolver), checked(title, "title").strip()
    if not title:
        raise UserError("schedule.live_title_missing")
    if not timedelta(seconds=10) <= duration <= timedelta(hours=MAX_LIVE_HOURS):
        raise UserError("schedule.bad_duration", hours=MAX_LIVE_HOURS)
    if start <= now:
        raise UserError("schedule.in_the_past", value=local_label(start, zone), now=local_label(now, zone))
    with write_transaction(db):
        preempted, cut = _place(db, channel, start, start + duration, important, None, zone)
        outcome = Outcome(preempted=preempted, cut=cut)
        if dry_run:
            return outcome
        entry_id = db.execute(
            """INSERT INTO schedule_entries (channel, live_url, title, start_at, end_at, important, live_state,
               created_by, created_at, updated_at, study, checkin_minutes)
               VALUES (?, ?, ?, ?, ?, ?, 'waiting', ?, ?, ?, ?, ?)""",
            [channel, url, title, format_utc(start), format_utc(start + duration), int(important), user_id,
             format_utc(now), format_utc(now), int(study), checkin_minutes]).lastrowid
        _apply_preemption(db, entry_id, start, preempted, cut, now)
    outcome.entries.append(get_entry(db, entry_id))
    return outcome


def _refuse_if_started(entry: Entry, now: datetime, zone: str) -> None:
    if entry.start <= now:
        raise UserError("schedule.already_started", status=409, error_code="started", title=entry.title,
                        start=local_label(entry.start, zone))


def update_entry(db: Database, lineup: Lineup, entry_id: int, *, now: datetime, zone: str,
                 start: datetime | None = None, item_id: int | None = None, important: bool | None = None,
                 dry_run: bool = False, study: bool | None = None, checkin_minutes: int | None = None) -> Outcome:
    """Move an entry, change its item, its importance, whether it is a study programme or its check-in window
    (`checkin_minutes` None: unchanged, 0: none); never one on air or in the past."""
    entry = get_entry(db, entry_id)
    _refuse_if_started(entry, now, zone)
    new_start = start or entry.start
    if new_start <= now:
        raise UserError("schedule.in_the_past", value=local_label(new_start, zone), now=local_label(now, zone))
    new_important = entry.important if important is None else important
    new_study = entry.study if study is None else study
    new_checkin = entry.checkin_minutes if checkin_minutes is None else checked_checkin_minutes(checkin_minutes)
    with write_transaction(db):
        if entry.live_url is not None and item_id is None:  # a live event keeps its length
            item_id_now, title, new_end = None, entry.title, new_start + (entry.end - entry.start)
        else:
            item = broadcast_item(db, item_id or entry.item_id)
            item_id_now, title, new_end = item["id"], item["title"], _end_for(item, new_start)
        preempted, cut = _place(db, entry.channel, new_start, new_end, new_important, entry.id, zone)
        outcome = Outcome(preempted=preempted, cut=cut)
        if dry_run:
            return outcome
        db.execute("""UPDATE schedule_entries SET item_id = ?, live_url = CASE WHEN ? IS NULL THEN live_url END,
                      title = ?, start_at = ?, end_at = ?, important = ?, study = ?, checkin_minutes = ?,
                      state = 'scheduled', preempted_by = NULL, updated_at = ? WHERE id = ?""",
                   [item_id_now, item_id_now, title, format_utc(new_start), format_utc(new_end),
                    int(new_important), int(new_study), new_checkin, format_utc(now), entry.id])
        _apply_preemption(db, entry.id, new_start, preempted, cut, now)
    outcome.entries.append(get_entry(db, entry.id))
    return outcome


def set_checkin(db: Database, entry_id: int, minutes: int, *, now: datetime, zone: str) -> Entry:
    """Change only the check-in window (0: none), also while the programme is on air (a meeting that began late
    needs longer); not once it has ended, and not off once members have checked in (their record stays)."""
    with write_transaction(db):
        entry = get_entry(db, entry_id)
        if entry.end <= now:
            raise UserError("schedule.checkin_after_end", status=409, error_code="started", title=entry.title)
        checkin = checked_checkin_minutes(minutes)
        if checkin is None and db.execute("SELECT 1 FROM attendance WHERE entry_id = ? LIMIT 1",
                                          [entry.id]).fetchone():
            raise UserError("schedule.checkin_in_use", status=409, error_code="conflict", title=entry.title)
        db.execute("UPDATE schedule_entries SET checkin_minutes = ?, updated_at = ? WHERE id = ?",
                   [checkin, format_utc(now), entry.id])
    return get_entry(db, entry.id)


def delete_entry(db: Database, entry_id: int, *, now: datetime, zone: str) -> Entry:
    """Take an entry off the schedule; one on air or in the past stays (it was broadcast)."""
    entry = get_entry(db, entry_id)
    _refuse_if_started(entry, now, zone)
    db.execute("DELETE FROM schedule_entries WHERE id = ?", [entry.id])
    return entry


def add_rule(db: Database, lineup: Lineup, *, channel: int, item_id: int, cron: str, zone: str, first: date,
             last: date | None, important: bool, now: datetime, horizon_days: int, user_id: int | None = None,
             dry_run: bool = False, study: bool = False, checkin_minutes: int | None = None) -> Outcome:
    """A recurring entry: every occurrence from `first` (or now) is placed like a one-off entry.

    Occurrences are expanded `horizon_days` ahead (extend_rules moves that
    forward); a conflict in any of them refuses the whole rule and names it.
    """
    _check_channel(lineup, channel)
    checkin_minutes = checked_checkin_minutes(checkin_minutes)
    if last is not None and last < first:
        raise UserError("schedule.bad_date_range", first=first.isoformat(), last=last.isoformat())
    until = now + timedelta(days=horizon_days)
    with write_transaction(db):
        item = broadcast_item(db, item_id)
        starts = [s for s in recurrence.occurrences(cron, zone, first, last, until) if s > now]
        if not starts:
            raise UserError("schedule.rule_empty", cron=cron)
        outcome = Outcome()
        plans = []
        for start in starts:
            preempted, cut = _place(db, channel, start, _end_for(item, start), important, None, zone)
            plans.append((start, preempted, cut))
            outcome.preempted += preempted
            outcome.cut += cut
        if dry_run:
            return outcome
        rule_id = db.execute(
            """INSERT INTO schedule_rules (channel, item_id, title, cron, timezone, first_date, last_date, important,
               expanded_until, created_by, created_at, study, checkin_minutes)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
            [channel, item["id"], item["title"], cron, zone, first.isoformat(), last.isoformat() if last else None,
             int(important), format_utc(until), user_id, format_utc(now), int(study), checkin_minutes]).lastrowid
        ids = []
        for start, preempted, cut in plans:
            ids.append(_insert(db, channel, item, start, important, now, user_id, rule_id, study, checkin_minutes))
            _apply_preemption(db, ids[-1], start, preempted, cut, now)
    outcome.rule_id = rule_id
    outcome.entries = [get_entry(db, entry_id) for entry_id in ids]
    return outcome


def extend_rules(db: Database, now: datetime, horizon_days: int) -> int:
    """Expand every open rule up to now + horizon; an occurrence that would conflict is stored pre-empted
    by the entry in its way (listed, not silently dropped). Returns how many entries were added."""
    until = now + timedelta(days=horizon_days)
    added = 0
    for rule in db.execute("SELECT * FROM schedule_rules WHERE expanded_until < ?", [format_utc(until)]).fetchall():
        expanded = parse_time(rule["expanded_until"])
        last = date.fromisoformat(rule["last_date"]) if rule["last_date"] else None
        item = db.execute("SELECT * FROM items WHERE id = ?", [rule["item_id"]]).fetchone()
        with write_transaction(db):
            for start in recurrence.occurrences(rule["cron"], rule["timezone"],
                                                date.fromisoformat(rule["first_date"]), last, until):
                if start <= expanded or start <= now or item is None or item["hls_path"] is None:
                    continue
                end = _end_for(item, start)
                in_the_way = _overlapping(db, rule["channel"], start, end, None)
                entry_id = _insert(db, rule["channel"], item, start, bool(rule["important"]), now,
                                   rule["created_by"], rule["id"], bool(rule["study"]), rule["checkin_minutes"])
                if in_the_way and not (rule["important"] and not any(e.important for e in in_the_way)):
                    db.execute("UPDATE schedule_entries SET state = 'preempted', preempted_by = ? WHERE id = ?",
                               [in_the_way[0].id, entry_id])
                elif in_the_way:
                    _apply_preemption(db, entry_id, start, [e for e in in_the_way if e.start >= start],
                                      [e for e in in_the_way if e.start < start], now)
                added += 1
            db.execute("UPDATE schedule_rules SET expanded_until = ? WHERE id = ?", [format_utc(until), rule["id"]])
    return added


def delete_rule(db: Database, rule_id: int, *, now: datetime) -> int:
    """End a rule: its future occurrences go, those broadcast or on air stay. Returns how many went."""
    if db.execute("SELECT 1 FROM schedule_rules WHERE id = ?", [rule_id]).fetchone() is None:
        raise NotFound("schedule.unknown_rule", value=rule_id)
    with write_transaction(db):
        removed = db.execute("DELETE FROM schedule_entries WHERE rule_id = ? AND start_at > ?",
                             [rule_id, format_utc(now)]).rowcount
        # Expanded "forever": extend_rules never adds to an ended rule.
        db.execute("UPDATE schedule_rules SET last_date = ?, expanded_until = '9999-12-31T00:00:00Z' WHERE id = ?",
                   [now.date().isoformat(), rule_id])
    return removed
