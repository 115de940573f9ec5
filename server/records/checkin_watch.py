"""What members watched of a check-in programme (签到), and that of ended programmes kept for the reports.

A programme's watchers are the members named by the intervals boxes reported on its channel around its time,
each member's spans joined (overlaps counted once). At a site's scale that is a few thousand intervals a
programme, about 10 ms to work out, half a second for a year of weekly 主题党日: too slow for every report. So a
programme that has ended is worked out once and kept (`settle`, migration m026): `checkin_settled` says it is,
with its channel and times as they were, and `checkin_watch` holds the seconds of each member who watched it and
had not checked in (those who did are counted from `attendance`). Triggers take a programme's rows back as soon
as what they came from changes: an interval on its channel overlapping it written, changed or deleted (a box
reporting late), a check-in made or taken back, the programme moved, cut, pre-empted or its window changed. A
report counts the kept rows in SQL (`kept`) and works out any programme not kept (still on air, or
just changed) as before. `settle` runs in the broadcast runner's reconcile (every RECONCILE_INTERVAL), so
reports rarely meet one; reports themselves write nothing.

Rows of a member deleted since stay until their programme is worked out again; reports count only members in
their scope, so they never show.
"""

from __future__ import annotations

from collections.abc import Container, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlite_utils import Database

from server.broadcast.schedule import Entry, get_entry
from server.core.db import write_transaction
from server.core.errors import NotFound
from server.core.timestamps import format_utc
from server.records.members import Scope

# Watch intervals are looked for from this long before a programme's start (one interval is one sitting).
LONGEST_SITTING = timedelta(hours=24)
CHUNK = 500  # entries per query (SQLite's bound parameters)


def watched(db: Database, entry: Entry, unchecked_only: bool = False, among: Container[int] | None = None
            ) -> dict[int, float]:
    """Seconds of the programme each member watched on a box tuned to its channel (overlaps counted once), for
    the members in `among` (None: all), and with `unchecked_only` for those who did not check in at it. The
    intervals are split into their members in SQL and the check-ins left out there: most who watch check in."""
    start, end = entry.start.timestamp(), entry.end.timestamp()
    unchecked = (" AND j.value NOT IN (SELECT member_id FROM attendance WHERE entry_id = :entry)"
                 if unchecked_only else "")
    spans: dict[int, list[tuple[float, float]]] = {}
    cursor = db.conn.cursor()
    cursor.row_factory = None  # plain tuples: a programme can have thousands of intervals
    # `members` is always written as ids joined by commas (watch_log), so it reads as a JSON array. The covering
    # index (m023) answers the interval part alone.
    for member, a, b in cursor.execute(
            f"""SELECT j.value, max(w.started_at, :start), min(w.ended_at, :end)
                FROM watch_intervals w, json_each('[' || w.members || ']') j
                WHERE w.channel = :channel AND w.started_at < :end AND w.started_at > :earliest
                AND w.ended_at > :start{unchecked}""",
            {"channel": entry.channel, "start": start, "end": end, "entry": entry.id,
             "earliest": start - LONGEST_SITTING.total_seconds()}):
        if among is None or member in among:
            spans.setdefault(member, []).append((a, b))
    return {member: union_length(pieces) for member, pieces in spans.items()}


def union_length(spans: Iterable[tuple[float, float]]) -> float:
    """The length of the union of (start, end) spans."""
    total, reach = 0.0, float("-inf")
    for a, b in sorted(spans):
        if b > reach:
            total += b - max(a, reach)
            reach = b
    return total


def settle(db: Database, now: datetime) -> int:
    """Work out and keep every check-in programme that has ended by `now` and is not kept (each in its own short
    write transaction, so boxes' reports wait for one programme at most); how many were."""
    if db.conn.in_transaction:
        raise RuntimeError("settle writes its own transactions")
    ended = [row[0] for row in db.execute(
        """SELECT e.id FROM schedule_entries e WHERE e.checkin_minutes IS NOT NULL AND e.state = 'scheduled'
           AND e.end_at <= ? AND NOT EXISTS (SELECT 1 FROM checkin_settled s WHERE s.entry_id = e.id)""",
        [format_utc(now)])]
    done = 0
    for entry_id in ended:
        with write_transaction(db):
            # Looked at again under the write lock: another process may have kept it, or it changed meanwhile.
            if db.execute("SELECT 1 FROM checkin_settled WHERE entry_id = ?", [entry_id]).fetchone():
                continue
            try:
                entry = get_entry(db, entry_id)
            except NotFound:  # deleted meanwhile (with its item)
                continue
            if entry.checkin_minutes is None or entry.state != "scheduled" or entry.end > now:
                continue
            checked_in, manual = db.execute(
                "SELECT count(*), coalesce(sum(how = 'manual'), 0) FROM attendance WHERE entry_id = ?",
                [entry.id]).fetchone()
            db.execute("""INSERT INTO checkin_settled (entry_id, channel, start_s, end_s, duration_s, checked_in,
                                                       manual, settled_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)""",
                       [entry.id, entry.channel, entry.start.timestamp(), entry.end.timestamp(),
                        (entry.end - entry.start).total_seconds(), checked_in, manual, format_utc(now)])
            db.conn.executemany("INSERT INTO checkin_watch (entry_id, member_id, seconds) VALUES (?, ?, ?)",
                                [(entry.id, member, seconds)
                                 for member, seconds in watched(db, entry, unchecked_only=True).items()])
            done += 1
    return done


@dataclass(frozen=True)
class Kept:
    """What is kept of an ended programme, for a report: its check-ins (all, and those marked: the members of a
    report's scope are counted from `attendance`, or these less those of the members outside it) and the active
    members of the report's scope who watched at least the share asked without checking in."""

    checked_in: int
    manual: int
    watched: int


def kept(db: Database, scope: Scope, entry_ids: list[int], watched_share: float) -> dict[int, Kept]:
    """What is kept of each of the programmes (those not kept are not in the answer), the watchers counted among
    the active members of `scope` who watched at least `watched_share` of the programme without checking in."""
    found: dict[int, Kept] = {}
    for first in range(0, len(entry_ids), CHUNK):
        chunk = entry_ids[first:first + CHUNK]
        marks = ", ".join(f":e{n}" for n in range(len(chunk)))
        params = {**scope.params(), "share": watched_share, **{f"e{n}": entry_id for n, entry_id in enumerate(chunk)}}
        # `+w.member_id`: the members in scope are looked up for each kept row (a thousand a programme), not
        # each kept row for every member in scope.
        for entry_id, checked_in, manual, watchers in db.execute(
                f"""WITH RECURSIVE {scope.cte()}, mine AS MATERIALIZED (
                        SELECT m.id FROM members m JOIN scope s ON s.id = m.branch_id WHERE m.active = 1)
                    SELECT s.entry_id, s.checked_in, s.manual,
                           (SELECT count(*) FROM checkin_watch w WHERE w.entry_id = s.entry_id
                            AND w.seconds >= :share * s.duration_s AND +w.member_id IN mine)
                    FROM checkin_settled s WHERE s.entry_id IN ({marks})""", params):
            found[entry_id] = Kept(checked_in, manual, watchers)
    return found
