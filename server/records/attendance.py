"""Check-in (签到) at broadcasts: who attended a programme marked for check-in.

A schedule entry with `checkin_minutes` takes check-ins from its start until that many minutes after. A box
tuned to it sends the members watching when OK is pressed (`check_in`); an administrator marks members who
came in person (`mark`), and the mark keeps who made it. Members who watched at least a share of the
programme on a box (its channel's watch intervals) without checking in are listed apart, as "watched, not
checked in": the committee decides what they count as. Everyone else active in the administrator's scope did
not attend.

Who is a member, which branch and whether active are today's state (members.py), as in the reports.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from sqlite_utils import Database

from server.broadcast.schedule import Entry, EntryState, get_entry, local_label
from server.core.db import write_transaction
from server.core.errors import UserError
from server.core.timestamps import format_utc, parse_time
from server.records import checkin_watch
from server.records.households import MAX_MEMBERS, viewers
from server.records.members import Scope, get_member, is_row_id

# A check-in this long after the window still counts (it was pressed in time and came late over the network, or
# the box's clock is slow). None counts before the start: the programme may still be moved until then.
GRACE = timedelta(seconds=60)


class Presence(StrEnum):
    """How a member attended a check-in programme, as the console lists them."""

    CHECKED_IN = "checked_in"  # pressed OK on a box, or marked by an administrator
    WATCHED = "watched"  # watched enough of it on a box, without checking in
    ABSENT = "absent"


class AttendanceHow(StrEnum):
    """How a check-in was made (attendance.how)."""

    TV = "tv"
    MANUAL = "manual"


@dataclass(frozen=True)
class CheckedIn:
    """One member's check-in as a box is told about it: `already` when it was made before."""

    member_id: int
    name: str
    at: datetime
    already: bool


@dataclass(frozen=True)
class Attendee:
    """One member at one programme."""

    member_id: int
    name: str
    branch_id: int
    presence: Presence
    watched_s: float
    at: datetime | None = None
    how: AttendanceHow | None = None
    marked_by: str | None = None


@dataclass(frozen=True)
class BranchAttendance:
    """A branch's members at one programme, checked in first, then watched, then absent (by name)."""

    branch_id: int
    name: str
    community: str
    attendees: tuple[Attendee, ...]

    def count(self, presence: Presence) -> int:
        """How many of the branch's members attended this way."""
        return sum(1 for a in self.attendees if a.presence is presence)


@dataclass(frozen=True)
class EventAttendance:
    """A check-in programme and its attendance in an administrator's scope."""

    entry: Entry
    watched_share: float
    branches: tuple[BranchAttendance, ...]

    def count(self, presence: Presence) -> int:
        """How many members in scope attended this way."""
        return sum(b.count(presence) for b in self.branches)

    @property
    def members(self) -> int:
        """Members listed: the active ones in scope, and any other who checked in."""
        return sum(len(b.attendees) for b in self.branches)

    @property
    def manual(self) -> int:
        """Check-ins marked by an administrator."""
        return sum(1 for b in self.branches for a in b.attendees if a.how is AttendanceHow.MANUAL)


def _checkin_entry(db: Database, entry_id: object) -> Entry:
    if not is_row_id(entry_id):
        raise UserError("checkin.bad_field", field="entry_id")
    entry = get_entry(db, entry_id)
    if entry.checkin_until is None:
        raise UserError("checkin.not_checkin", status=409, error_code="not_checkin", title=entry.title)
    return entry


def check_in(db: Database, device_id: int, entry_id: object, member_ids: object, now: datetime,
             zone: str) -> tuple[Entry, list[CheckedIn]]:
    """A box's check-in for the members watching: each must be in its household, the window must be open (from
    the start, not before: until then the programme can be moved).

    A member checked in before (on any box, or marked) keeps the first check-in; the answer says `already`.
    """
    if (not isinstance(member_ids, list) or not member_ids or len(member_ids) > MAX_MEMBERS
            or not all(is_row_id(m) for m in member_ids)):
        raise UserError("checkin.bad_field", field="members")
    with write_transaction(db):
        entry = _checkin_entry(db, entry_id)
        if entry.state != EntryState.SCHEDULED:
            raise UserError("checkin.not_broadcast", status=409, error_code="closed", title=entry.title)
        if now < entry.start:
            raise UserError("checkin.not_yet", status=409, error_code="not_yet", title=entry.title,
                            start=local_label(entry.start, zone))
        if now > entry.checkin_until + GRACE:
            raise UserError("checkin.closed", status=409, error_code="closed", title=entry.title,
                            until=local_label(entry.checkin_until, zone))
        household = {v.id: v.name for v in viewers(db, device_id)}
        strangers = [m for m in member_ids if m not in household]
        if strangers:
            raise UserError("checkin.not_household", status=403, error_code="not_household",
                            value=", ".join(map(str, strangers)))
        done = []
        for member_id in dict.fromkeys(member_ids):
            row = db.execute("SELECT at FROM attendance WHERE entry_id = ? AND member_id = ?",
                             [entry.id, member_id]).fetchone()
            if row is None:
                db.execute("""INSERT INTO attendance (entry_id, member_id, how, at, device_id)
                              VALUES (?, ?, 'tv', ?, ?)""", [entry.id, member_id, format_utc(now), device_id])
            at = now if row is None else parse_time(row["at"])
            done.append(CheckedIn(member_id, household[member_id], at, row is not None))
    return entry, done


def mark(db: Database, scope: Scope, entry_id: object, member_id: int, username: str, now: datetime,
         zone: str) -> bool:
    """An administrator marks a member in scope as attending in person; False if they had checked in already.

    Only once the programme has started (attendance is what happened)."""
    with write_transaction(db):
        entry = _checkin_entry(db, entry_id)
        if now < entry.start:
            raise UserError("checkin.mark_too_early", status=409, error_code="not_yet", title=entry.title,
                            start=local_label(entry.start, zone))
        if entry.state != EntryState.SCHEDULED:
            raise UserError("checkin.mark_not_broadcast", status=409, error_code="closed", title=entry.title)
        member = get_member(db, scope, member_id)
        return db.execute("""INSERT OR IGNORE INTO attendance (entry_id, member_id, how, at, marked_by)
                             VALUES (?, ?, 'manual', ?, ?)""",
                          [entry.id, member.id, format_utc(now), username]).rowcount == 1


def unmark(db: Database, scope: Scope, entry_id: object, member_id: int) -> None:
    """Take back an administrator's mark; a check-in made on a box stays (it is what the box recorded)."""
    with write_transaction(db):
        entry = _checkin_entry(db, entry_id)
        member = get_member(db, scope, member_id)
        row = db.execute("SELECT how FROM attendance WHERE entry_id = ? AND member_id = ?",
                         [entry.id, member.id]).fetchone()
        if row is None:
            raise UserError("checkin.not_marked", status=404, error_code="not_found", name=member.name)
        if row["how"] != AttendanceHow.MANUAL:
            raise UserError("checkin.tv_stays", status=409, error_code="tv_checkin", name=member.name)
        db.execute("DELETE FROM attendance WHERE entry_id = ? AND member_id = ?", [entry.id, member.id])


def event_attendance(db: Database, scope: Scope, entry_id: object, watched_share: float) -> EventAttendance:
    """Who attended a check-in programme, by branch: the active members in scope, and others who checked in."""
    entry = _checkin_entry(db, entry_id)
    watched = checkin_watch.watched(db, entry)
    needed = watched_share * (entry.end - entry.start).total_seconds()
    rows = db.execute(
        f"""WITH RECURSIVE {scope.cte()}
            SELECT m.id, m.name, m.branch_id, b.name AS branch, coalesce(c.name, '') AS community,
                   a.how, a.at, a.marked_by
            FROM members m JOIN scope s ON s.id = m.branch_id JOIN organisations b ON b.id = m.branch_id
            LEFT JOIN organisations c ON c.id = b.parent_id
            LEFT JOIN attendance a ON a.member_id = m.id AND a.entry_id = :entry
            WHERE m.active = 1 OR a.member_id IS NOT NULL
            ORDER BY community, branch, m.branch_id, m.name, m.id""",
        {**scope.params(), "entry": entry.id}).fetchall()
    branches: dict[int, tuple[str, str, list[Attendee]]] = {}
    for row in rows:
        seconds = watched.get(row["id"], 0.0)
        if row["how"] is not None:
            presence = Presence.CHECKED_IN
        elif seconds >= needed:
            presence = Presence.WATCHED
        else:
            presence = Presence.ABSENT
        attendee = Attendee(row["id"], row["name"], row["branch_id"], presence, seconds,
                            parse_time(row["at"]) if row["at"] else None,
                            AttendanceHow(row["how"]) if row["how"] else None, row["marked_by"])
        branches.setdefault(row["branch_id"], (row["branch"], row["community"], []))[2].append(attendee)
    order = list(Presence)
    return EventAttendance(entry, watched_share, tuple(
        BranchAttendance(branch_id, name, community, tuple(sorted(people, key=lambda a: order.index(a.presence))))
        for branch_id, (name, community, people) in branches.items()))


def checkin_entries(db: Database, first: datetime, last: datetime) -> list[Entry]:
    """Check-in programmes starting in [first, last) that were broadcast or will be, by start."""
    rows = db.execute("""SELECT id FROM schedule_entries WHERE checkin_minutes IS NOT NULL AND state = 'scheduled'
                         AND start_at >= ? AND start_at < ? ORDER BY start_at, id""",
                      [format_utc(first), format_utc(last)]).fetchall()
    return [get_entry(db, row["id"]) for row in rows]


@dataclass(frozen=True)
class CheckinLine:
    """A check-in programme in a report: among the active members in scope, how many attended and how."""

    entry_id: int
    title: str
    start: datetime
    start_local: str  # YYYY-MM-DD HH:MM in the site's zone
    channel: int
    members: int
    checked_in: int  # on a box, or marked
    manual: int  # of those, marked by an administrator
    watched: int  # watched enough without checking in

    @property
    def absent(self) -> int:
        """Members who neither checked in nor watched enough."""
        return self.members - self.checked_in - self.watched

    @property
    def rate(self) -> float:
        """The share of members who checked in."""
        return self.checked_in / self.members if self.members else 0.0


def report_lines(db: Database, scope: Scope, first: datetime, last: datetime, watched_share: float,
                 zone: ZoneInfo) -> tuple[CheckinLine, ...]:
    """The check-in programmes starting in [first, last), broadcast, with their attendance among the active
    members of `scope` (who is in it and active is today's state, as in the rest of the report). A site's year
    holds hundreds of thousands of check-ins and of channel intervals, so the check-ins are counted in SQL, and so
    are those who watched without checking in, from what is kept of ended programmes (checkin_watch.py); only a
    programme not kept is worked out here."""
    entries = checkin_entries(db, first, last)
    if not entries:
        return ()
    mine_sql = (f"WITH RECURSIVE {scope.cte()}, mine AS (SELECT m.id FROM members m JOIN scope s ON s.id = m.branch_id"
                " WHERE m.active = 1)")
    cursor = db.conn.cursor()
    cursor.row_factory = None  # plain tuples: a site's ten thousand members
    # Every check-in is of a member (they go with the member), so the check-ins of the active members in scope are
    # read through the smaller side: those members' own, or all of the programmes' (kept with an ended programme)
    # less those of the members left out.
    others = [row[0] for row in cursor.execute(f"{mine_sql} SELECT id FROM members WHERE id NOT IN mine",
                                               scope.params())]
    members = db.execute(f"{mine_sql} SELECT count(*) FROM mine", scope.params()).fetchone()[0]
    ids = [e.id for e in entries]
    kept = checkin_watch.kept(db, scope, ids, watched_share)
    mine: set[int] = set()
    if members <= len(others) or len(kept) < len(ids):
        mine = {row[0] for row in cursor.execute(f"{mine_sql} SELECT id FROM mine", scope.params())}
    if members <= len(others):
        counts = _checkins(db, ids, mine)
    else:
        totals = {entry: (k.checked_in, k.manual) for entry, k in kept.items()}
        totals.update(_checkins(db, [entry for entry in ids if entry not in kept], None))
        out = _checkins(db, ids, others)
        counts = {entry: (n - out.get(entry, (0, 0))[0], manual - out.get(entry, (0, 0))[1])
                  for entry, (n, manual) in totals.items()}
    lines = []
    for entry in entries:
        checked_in, manual = counts.get(entry.id, (0, 0))
        needed = watched_share * (entry.end - entry.start).total_seconds()
        if entry.id in kept:
            watchers = kept[entry.id].watched
        else:
            watchers = sum(1 for seconds in checkin_watch.watched(db, entry, True, mine).values()
                           if seconds >= needed)
        lines.append(CheckinLine(entry.id, entry.title, entry.start, f"{entry.start.astimezone(zone):%Y-%m-%d %H:%M}",
                                 entry.channel, members, checked_in, manual, watchers))
    return tuple(lines)


def _checkins(db: Database, entry_ids: list[int], members: Iterable[int] | None) -> dict[int, tuple[int, int]]:
    """Per entry: its check-ins (of `members`, None: of anyone) and how many of them were marked. With members,
    through each member's own (`+entry_id`: the entries are a list to test, not ranges to scan)."""
    counts: dict[int, tuple[int, int]] = {}
    among = "" if members is None else " AND member_id IN (SELECT value FROM json_each(:members))"
    column = "entry_id" if members is None else "+entry_id"
    for start in range(0, len(entry_ids), 500):
        chunk = entry_ids[start:start + 500]
        params = {"manual": AttendanceHow.MANUAL.value, "members": json.dumps(list(members or ())),
                  **{f"e{n}": entry_id for n, entry_id in enumerate(chunk)}}
        for entry_id, checked_in, manual in db.execute(
                f"""SELECT entry_id, count(*), sum(how = :manual) FROM attendance
                    WHERE {column} IN ({", ".join(f":e{n}" for n in range(len(chunk)))}){among}
                    GROUP BY entry_id""", params):
            counts[entry_id] = (checked_in, manual)
    return counts
