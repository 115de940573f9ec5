"""Notices boxes poll: urgent notices from administrators and reminders of important broadcasts.

A reminder is not stored: it is derived from an important schedule entry or
one taking check-ins (签到), shown from REMINDER_MINUTES before its start until
its end, so it follows every edit of the schedule by itself. A check-in
programme's reminder carries its window: a box tuned to the channel then
offers "按确定键签到". Boxes show an important programme's reminder (kind
broadcast) over whatever they show; a check-in programme that is not important
(kind checkin) only prompts on its own channel. Urgent notices target every box or one
organisation and those under it (the catalogue's ancestor rule).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlite_utils import Database

from keting_i18n import text
from server.accounts.organisations import ANCESTORS_CTE, get_organisation
from server.broadcast.schedule import local_label
from server.core.channels_yaml import Lineup
from server.core.errors import NotFound, UserError
from server.core.plain_text import checked
from server.core.timestamps import format_utc, parse_time

MAX_TITLE = 100


@dataclass(frozen=True)
class Notice:
    """One notice as a box shows it."""

    id: str  # "n<id>" for urgent notices, "r<entry id>" for reminders
    kind: str  # urgent, broadcast (an important programme) or checkin (a check-in programme, not important)
    title: str
    body: str
    starts_at: datetime
    expires_at: datetime
    channel: int | None = None
    programme_start: datetime | None = None
    entry_id: int | None = None  # the programme a reminder is about
    checkin_until: datetime | None = None  # check-in from programme_start until then (None: no check-in)
    programme_title: str = ""


def add_notice(db: Database, *, title: str, body: str, org_id: int | None, starts_at: datetime,
               expires_at: datetime, now: datetime, user_id: int | None = None) -> int:
    """Publish an urgent notice; it shows on the boxes of `org_id` (None: all) until it expires."""
    title = checked(title, "title").strip()
    checked(body, "body")
    if not title or len(title) > MAX_TITLE:
        raise UserError("notice.bad_title", limit=MAX_TITLE)
    if expires_at <= max(starts_at, now):
        raise UserError("notice.bad_expiry", value=format_utc(expires_at))
    if org_id is not None:
        get_organisation(db, org_id)
    return db.execute("""INSERT INTO notices (title, body, org_id, starts_at, expires_at, created_by, created_at)
                         VALUES (?, ?, ?, ?, ?, ?, ?)""",
                      [title, body.strip(), org_id, format_utc(starts_at), format_utc(expires_at), user_id,
                       format_utc(now)]).lastrowid


def delete_notice(db: Database, notice_id: int) -> None:
    """Delete an urgent notice; 404 if there is none with this id."""
    if db.execute("DELETE FROM notices WHERE id = ?", [notice_id]).rowcount == 0:
        raise NotFound("notice.unknown", value=notice_id)


def list_notices(db: Database, now: datetime) -> list:
    """Urgent notices not yet expired, newest first (for administrators)."""
    return db.execute("SELECT * FROM notices WHERE expires_at > ? ORDER BY id DESC", [format_utc(now)]).fetchall()


def active_notices(db: Database, lineup: Lineup, org_id: int | None, now: datetime, reminder_minutes: int,
                   zone: str, lang: str = "zh_CN") -> list[Notice]:
    """What a box of `org_id` should show now: urgent notices, then broadcast reminders by start."""
    stamp = format_utc(now)
    urgent = db.execute(f"""
        WITH RECURSIVE {ANCESTORS_CTE}
        SELECT * FROM notices WHERE starts_at <= :now AND expires_at > :now
          AND (org_id IS NULL OR org_id IN (SELECT id FROM device_orgs)) ORDER BY id DESC""",
                        {"now": stamp, "org_id": org_id}).fetchall()
    found = [Notice(f"n{row['id']}", "urgent", row["title"], row["body"], parse_time(row["starts_at"]),
                    parse_time(row["expires_at"])) for row in urgent]
    names = {channel.number: channel.name for channel in lineup.channels}
    soon = format_utc(now + timedelta(minutes=reminder_minutes))
    for row in db.execute("""SELECT * FROM schedule_entries WHERE (important = 1 OR checkin_minutes IS NOT NULL)
                             AND state = 'scheduled' AND start_at <= ? AND end_at > ? ORDER BY start_at""",
                          [soon, stamp]):
        start = parse_time(row["start_at"])
        when = local_label(start, zone)
        checkin_until = None if row["checkin_minutes"] is None else start + timedelta(minutes=row["checkin_minutes"])
        title = text("notice.reminder_title" if row["important"] else "notice.reminder_title_checkin", lang=lang,
                     title=row["title"])
        body = text("notice.reminder_body" if checkin_until is None else "notice.reminder_body_checkin", lang=lang,
                    when=when, channel=row["channel"], name=names.get(row["channel"], ""),
                    until=local_label(checkin_until, zone).split(" ")[1] if checkin_until else "")
        kind = "broadcast" if row["important"] else "checkin"  # a check-in alone does not interrupt other boxes
        found.append(Notice(f"r{row['id']}", kind, title, body, start - timedelta(minutes=reminder_minutes),
                            parse_time(row["end_at"]), row["channel"], start, row["id"], checkin_until,
                            row["title"]))
    return found
